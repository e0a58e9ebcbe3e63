import { Client } from 'pg';
import { readOnly, type HealthResult } from '../../lambda-src/actions';
import { clientQueryTimeoutMillis } from '../../lambda-src/db';
import { DatabaseQueryError, messages } from '../../lambda-src/errors';
import { createHandler, type ErrorResponse, type HandlerInstance, type SuccessResponse } from '../../lambda-src/handler';
import { createTestCa } from '../../local/certificates';
import { APP_DATABASE, APP_USER, captureLogs, startLambdaFixture, useAwsEndpoint, type LambdaFixture } from '../../local/lambda-fixture';
import { startTcpProxy, type TcpProxy } from '../../local/tcp-proxy';

let fixture: LambdaFixture;
let restoreEnv: () => void = () => undefined;
const handlers: HandlerInstance[] = [];

beforeAll(async () => {
  fixture = await startLambdaFixture();
  restoreEnv = useAwsEndpoint(fixture.secretsManager.endpoint);
});

afterAll(async () => {
  await Promise.all(handlers.map((h) => h.close()));
  restoreEnv();
  await fixture?.stop();
});

/** The statement timeout of the timeout tests, in milliseconds: short, so a stalled query fails fast. */
const QUERY_TIMEOUT_MILLIS = 300;

function track(instance: HandlerInstance): HandlerInstance {
  handlers.push(instance);
  return instance;
}

describe('TLS', () => {
  it('refuses a server certificate from an unknown CA with a DatabaseConnectError, without fetching the secret again', async () => {
    const otherCa = createTestCa('some other CA');
    const logs = captureLogs();
    const { handler } = track(createHandler({ env: fixture.lambdaEnv(), ca: otherCa.certPem, logSink: logs.sink }));
    const callsBefore = fixture.secretsManager.getSecretValueCalls;

    const response = await handler({ action: 'health' });

    expect(response).toMatchObject({ statusCode: 502, error: { type: 'DatabaseConnect' } });
    const { message } = (response as ErrorResponse).error;
    expect(message).toMatch(/^TLS verification of PostgreSQL at 127\.0\.0\.1:\d+ failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
    expect(message).toContain('NODE_EXTRA_CA_CERTS');
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsBefore + 1);
    for (const password of fixture.passwords) expect(logs.text()).not.toContain(password);
  });

  it('says the server does not offer TLS when it declines the TLS request (a relay answers it with N for the shared server), rather than pointing at the security group', async () => {
    // The test server with ssl off would answer the TLS request with N, as a server without TLS does;
    // but other test files use it at the same time, so a relay in front of it answers for it.
    const relay = await startTcpProxy(fixture.pg.port, { declineTls: true });
    try {
      const { handler } = track(
        createHandler({ env: fixture.lambdaEnv({ DB_PORT: String(relay.port) }), ca: fixture.pg.ca.certPem, logSink: () => undefined }),
      );
      const response = await handler({ action: 'health' });

      expect(response).toEqual({
        statusCode: 502,
        error: { type: 'DatabaseConnect', message: messages.dbNoTls(fixture.pg.host, relay.port) },
      });
      expect((response as ErrorResponse).error.message).not.toContain('security group');
      expect(relay.connections).toBe(1);
    } finally {
      await relay.close();
    }
  });

  it('uses a test server that rejects sessions without TLS, so a working health check implies TLS', async () => {
    const plain = new Client({ host: fixture.pg.host, port: fixture.pg.port, user: APP_USER, password: fixture.password, database: APP_DATABASE, ssl: false });

    await expect(plain.connect()).rejects.toThrow(/no encryption/);
    await plain.end().catch(() => undefined);
  });
});

describe('session replacement', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(fixture.pg.port);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('retries once on a new session when the query finds its session silently dropped', async () => {
    const logs = captureLogs();
    const instance = track(
      createHandler({ env: fixture.lambdaEnv({ DB_PORT: String(proxy.port) }), ca: fixture.pg.ca.certPem, logSink: logs.sink }),
    );
    const first = (await instance.handler({ action: 'health' })) as SuccessResponse;
    const callsAfterFirst = fixture.secretsManager.getSecretValueCalls;

    // The client is not told: it finds out when the next query is sent.
    proxy.dropSilently();
    const second = await instance.handler({ action: 'health' });

    expect(second).toMatchObject({ statusCode: 200, result: { tls: true } });
    expect(((second as SuccessResponse).result as HealthResult).backendPid).not.toBe((first.result as HealthResult).backendPid);
    expect(instance.runtime()?.database.connectCount).toBe(2);
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsAfterFirst);
    expect(logs.parsed()).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'database session lost during the query; retrying once on a new session' }),
    );
  });
});

describe('query timeouts', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(fixture.pg.port);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  /** A warm container whose session goes through the proxy, with a short query timeout. */
  async function warmContainerBehindProxy(logs = captureLogs()): Promise<{ instance: HandlerInstance; first: HealthResult }> {
    const instance = track(
      createHandler({
        env: fixture.lambdaEnv({ DB_PORT: String(proxy.port), DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MILLIS) }),
        ca: fixture.pg.ca.certPem,
        logSink: logs.sink,
      }),
    );
    const first = await instance.handler({ action: 'health' });
    expect(first).toMatchObject({ statusCode: 200 });
    return { instance, first: (first as SuccessResponse).result as HealthResult };
  }

  it('waits slightly longer than the server, so a statement timeout comes back as SQLSTATE 57014 and the session is reused', async () => {
    // Long enough that the margin (200 ms here) dwarfs scheduling delays on a busy machine.
    const instance = track(createHandler({ env: fixture.lambdaEnv({ DB_QUERY_TIMEOUT_MS: '2000' }), ca: fixture.pg.ca.certPem, logSink: () => undefined }));
    const first = (await instance.handler({ action: 'health' })) as SuccessResponse;
    const database = instance.runtime()!.database;

    const failure = await database.run((client) => client.query('SELECT pg_sleep(5)')).catch((err: unknown) => err);
    const after = (await instance.handler({ action: 'health' })) as SuccessResponse;

    expect(failure).toBeInstanceOf(DatabaseQueryError);
    expect(failure).toMatchObject({ sqlState: '57014', message: expect.stringContaining('57014') });
    expect((after.result as HealthResult).backendPid).toBe((first.result as HealthResult).backendPid);
    expect(database.connectCount).toBe(1);
  });

  it('gives the client a margin over the server: a tenth of the statement timeout, from 100 ms to 1 s', () => {
    expect([50, 1000, 3000, 8000, 20000].map(clientQueryTimeoutMillis)).toEqual([150, 1100, 3300, 8800, 21000]);
  });

  it('retries a read-only action once on a new session after the connection stalls without closing', async () => {
    const logs = captureLogs();
    const { instance, first } = await warmContainerBehindProxy(logs);
    const callsBefore = fixture.secretsManager.getSecretValueCalls;

    proxy.stall();
    const second = await instance.handler({ action: 'health' }, { getRemainingTimeInMillis: () => 10_000 });

    expect(second).toMatchObject({ statusCode: 200, result: { tls: true } });
    expect(((second as SuccessResponse).result as HealthResult).backendPid).not.toBe(first.backendPid);
    expect(instance.runtime()?.database.connectCount).toBe(2);
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsBefore);
    expect(logs.parsed()).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'no answer within the read timeout; retrying once on a new session' }),
    );
  });

  it('does not retry after a read timeout when the invocation has no time left for a connect and a query', async () => {
    const logs = captureLogs();
    const { instance } = await warmContainerBehindProxy(logs);

    proxy.stall();
    const second = await instance.handler({ action: 'health' }, { getRemainingTimeInMillis: () => 100 });

    expect(second).toEqual({
      statusCode: 500,
      error: { type: 'DatabaseQuery', message: messages.dbReadTimeout(clientQueryTimeoutMillis(QUERY_TIMEOUT_MILLIS), QUERY_TIMEOUT_MILLIS) },
    });
    expect(instance.runtime()?.database.connectCount).toBe(1);
    expect(logs.parsed()).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'no answer within the read timeout; too little time left to retry', remainingMs: 100 }),
    );
    // The stalled session was dropped: the next invocation opens a new one and succeeds.
    expect(await instance.handler({ action: 'health' })).toMatchObject({ statusCode: 200 });
    expect(instance.runtime()?.database.connectCount).toBe(2);
  });

  it('does not retry work that is not read-only after a read timeout', async () => {
    const { instance } = await warmContainerBehindProxy();
    const database = instance.runtime()!.database;

    proxy.stall();
    const failure = await database.run((client) => client.query('SELECT 1'), { readOnly: false }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(DatabaseQueryError);
    expect(database.connectCount).toBe(1);
  });
});

describe('readOnly', () => {
  it('makes PostgreSQL refuse a write inside it (SQLSTATE 25006) and rolls back', async () => {
    const client = await fixture.appClient();
    try {
      const failure = await readOnly(client, () => client.query('CREATE TABLE must_not_exist (id int)')).catch((err: unknown) => err);

      expect(failure).toMatchObject({ code: '25006' });
      const { rows } = await client.query("SELECT to_regclass('must_not_exist') AS found, current_setting('transaction_read_only') AS ro");
      expect(rows[0]).toEqual({ found: null, ro: 'off' });
    } finally {
      await client.end();
    }
  });
});
