import { Client } from 'pg';
import { lambdaTimeouts } from '../../config/derived';
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

describe('sessions the server ends during a query', () => {
  it('closes a session whose query PostgreSQL answered by ending it (57P01), so the retry gets a new one', async () => {
    const instance = track(createHandler({ env: fixture.lambdaEnv(), ca: fixture.pg.ca.certPem, logSink: () => undefined }));
    expect(await instance.handler({ action: 'health' })).toMatchObject({ statusCode: 200 });
    const database = instance.runtime()!.database;
    const pids: number[] = [];

    const pid = await database.run(
      async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        pids.push(rows[0].pid);
        // The first attempt's backend ends itself: its answer is FATAL 57P01, a server-reported error.
        if (pids.length === 1) await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
        return rows[0].pid;
      },
      { readOnly: true },
    );

    expect(pids).toHaveLength(2);
    expect(pid).not.toBe(pids[0]);
    expect(database.connectCount).toBe(2);
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

describe('concurrent invocations in one process (Lambda Managed Instances)', () => {
  /**
   * The statement timeout of the bursts, in milliseconds: the one the stack derives for a 10 s
   * function. Shorter ones made valid calls on a loaded machine (load 11 on 2 cores) time out too.
   */
  const BURST_QUERY_TIMEOUT_MILLIS = lambdaTimeouts(10).dbQueryTimeoutMillis;
  const TABLE = 'burst_marker';

  beforeAll(async () => {
    const owner = await fixture.appClient();
    try {
      await owner.query(`CREATE TABLE ${TABLE} (id int)`);
    } finally {
      await owner.end();
    }
  });

  function container(env: Record<string, string> = {}): HandlerInstance {
    return track(createHandler({ env: fixture.lambdaEnv(env), ca: fixture.pg.ca.certPem, logSink: () => undefined }));
  }

  /**
   * Read-only work in a transaction of its own that outlasts the statement timeout, run by the
   * container's pool as an invocation's work is: it settles with a DatabaseQueryError, PostgreSQL's
   * cancellation (57014), or on a loaded machine the client's read timeout just after it.
   */
  function slowWork(instance: HandlerInstance): Promise<unknown> {
    return instance
      .runtime()!
      .database.run((client) => readOnly(client, () => client.query('SELECT pg_sleep(10)')), { readOnly: true })
      .then(
        () => 'finished',
        (err: unknown) => err,
      );
  }

  type Call = { kind: 'health' | 'tables' | 'nul' | 'slow'; outcome: Promise<unknown> };

  /** One burst: valid calls, caller errors (a NUL that PostgreSQL rejects inside the transaction) and slow work, interleaved. */
  function burst(instance: HandlerInstance): Call[] {
    const kinds: Call['kind'][] = ['slow', 'tables', 'nul', 'health', 'tables', 'tables', 'nul', 'health', 'slow', 'tables', 'nul', 'tables', 'health', 'tables', 'health', 'tables'];
    return kinds.map((kind, i) => {
      const requestId = { awsRequestId: `burst-${i}` };
      switch (kind) {
        case 'slow':
          return { kind, outcome: slowWork(instance) };
        case 'nul':
          return { kind, outcome: instance.handler({ action: 'tables', schema: `pub\u0000lic${i}` }, requestId) };
        case 'health':
          return { kind, outcome: instance.handler({ action: 'health' }, requestId) };
        case 'tables':
          return { kind, outcome: instance.handler({ action: 'tables', schema: 'public' }, requestId) };
      }
    });
  }

  it.each([
    ['the default pool', {}],
    ['a pool of one session, which queues the invocations', { DB_POOL_MAX_SESSIONS: '1' }],
  ])('answers 200 to every valid call of two bursts that mix caller errors and statement timeouts, with %s', async (_name, env) => {
    const instance = container({ DB_QUERY_TIMEOUT_MS: String(BURST_QUERY_TIMEOUT_MILLIS), ...env });
    expect(await instance.handler({ action: 'health' })).toMatchObject({ statusCode: 200 });
    const maxSessions = instance.runtime()!.config.dbPoolMaxSessions;

    for (let round = 0; round < 2; round += 1) {
      const calls = burst(instance);
      const outcomes = await Promise.all(calls.map((c) => c.outcome));

      calls.forEach(({ kind }, i) => {
        const outcome = outcomes[i];
        if (kind === 'health') expect(outcome).toMatchObject({ statusCode: 200, action: 'health', result: { tls: true } });
        if (kind === 'tables') {
          expect(outcome).toEqual({
            statusCode: 200,
            action: 'tables',
            result: { schema: 'public', tableCount: 1, truncated: false, tables: [{ name: TABLE, type: 'BASE TABLE' }] },
          });
        }
        if (kind === 'nul') {
          expect(outcome).toMatchObject({ statusCode: 400, error: { type: 'BadRequest', message: expect.stringContaining('SQLSTATE 22021') } });
        }
        if (kind === 'slow') expect(outcome).toBeInstanceOf(DatabaseQueryError);
      });
    }
    expect(instance.runtime()!.database.connectCount).toBeLessThanOrEqual(maxSessions);

    // Warm again: every session went back to the pool usable, and the credentials are cached.
    const fetchesBefore = fixture.secretsManager.getSecretValueCalls;
    const connectsBefore = instance.runtime()!.database.connectCount;
    for (let i = 0; i < 100; i += 1) expect(await instance.handler({ action: 'tables', schema: 'public' })).toMatchObject({ statusCode: 200 });
    expect(fixture.secretsManager.getSecretValueCalls - fetchesBefore).toBe(0);
    expect(instance.runtime()!.database.connectCount - connectsBefore).toBe(0);
  });

  it('holds a slow call on its own session: the valid calls sent after it are answered before PostgreSQL cancels it', async () => {
    const instance = container({ DB_QUERY_TIMEOUT_MS: '2000' });
    expect(await instance.handler({ action: 'health' })).toMatchObject({ statusCode: 200 });
    const settled: string[] = [];

    const slow = slowWork(instance).then((outcome) => {
      settled.push('slow');
      return outcome;
    });
    const valid = Array.from({ length: 8 }, (_, i) =>
      instance.handler({ action: i % 2 ? 'health' : 'tables' }).then((response) => {
        settled.push('valid');
        return response;
      }),
    );
    const responses = await Promise.all(valid);

    for (const response of responses) expect(response).toMatchObject({ statusCode: 200 });
    expect(settled).toEqual(Array(8).fill('valid'));
    expect(await slow).toBeInstanceOf(DatabaseQueryError);
  });

  it('answers 503 DatabaseBusy, not a Lambda timeout, when every session stays busy past the time the invocation can wait, and lends the session on afterwards', async () => {
    const instance = container({ DB_POOL_MAX_SESSIONS: '1', DB_QUERY_TIMEOUT_MS: '1000' });
    expect(await instance.handler({ action: 'health' })).toMatchObject({ statusCode: 200 });

    const slow = slowWork(instance);
    // 3000 ms of connect (the default) and 1100 ms of query do not fit in 2000 ms.
    const busy = await instance.handler({ action: 'health' }, { getRemainingTimeInMillis: () => 2000 });
    // One that can wait is answered once the slow work gives the session back.
    const patient = instance.handler({ action: 'health' }, { getRemainingTimeInMillis: () => 60_000 });

    expect(busy).toEqual({
      statusCode: 503,
      error: {
        type: 'DatabaseBusy',
        message:
          'all 1 PostgreSQL session(s) of this handler instance stayed busy for the 0 ms the invocation could wait ' +
          'while keeping 4100 ms for a connect and a query: more invocations ran at once here than DB_POOL_MAX_SESSIONS ' +
          'allows sessions; raise it within the connection budget, or send fewer invocations at once',
      },
    });
    expect(await slow).toBeInstanceOf(DatabaseQueryError);
    expect(await patient).toMatchObject({ statusCode: 200 });
    expect(instance.runtime()!.database.connectCount).toBe(1);
  });

  it('gives up waiting once the invocation has only a connect and a query left, and the session it was owed goes back to the pool', async () => {
    const instance = container({ DB_POOL_MAX_SESSIONS: '1', DB_QUERY_TIMEOUT_MS: '2000' });
    expect(await instance.handler({ action: 'health' })).toMatchObject({ statusCode: 200 });

    const slow = slowWork(instance);
    // Keeps 3000 + 2200 ms; may wait 200 ms, far less than the 2000 ms the slow work holds the session.
    const busy = await instance.handler({ action: 'health' }, { getRemainingTimeInMillis: () => 5400 });

    expect(busy).toMatchObject({ statusCode: 503, error: { type: 'DatabaseBusy', message: expect.stringContaining('stayed busy for the 200 ms') } });
    expect(await slow).toBeInstanceOf(DatabaseQueryError);
    // With no deadline, this waits for the session: it would wait forever had the abandoned request kept it.
    expect(await instance.handler({ action: 'health' })).toMatchObject({ statusCode: 200 });
    expect(instance.runtime()!.database.connectCount).toBe(1);
  });

  it('after a rotation, fetches the secret once for a burst whose new sessions PostgreSQL all refuses with 28P01, and answers 200 to every call', async () => {
    const logs = captureLogs();
    const instance = track(createHandler({ env: fixture.lambdaEnv(), ca: fixture.pg.ca.certPem, logSink: logs.sink }));
    const first = (await instance.handler({ action: 'health' })) as SuccessResponse;
    const fetchesBefore = fixture.secretsManager.getSecretValueCalls;

    const rotated = await fixture.rotate();
    await fixture.terminateBackend((first.result as HealthResult).backendPid);
    const responses = await Promise.all(Array.from({ length: 12 }, () => instance.handler({ action: 'health' })));

    for (const response of responses) {
      expect(response).toMatchObject({ statusCode: 200, result: { secret: { versionId: rotated } } });
    }
    expect(fixture.secretsManager.getSecretValueCalls - fetchesBefore).toBe(1);
    expect(instance.runtime()!.database.connectCount).toBeLessThanOrEqual(1 + instance.runtime()!.config.dbPoolMaxSessions);
    for (const password of fixture.passwords) expect(logs.text()).not.toContain(password);
  });
});
