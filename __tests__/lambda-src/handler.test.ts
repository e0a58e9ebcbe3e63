import { randomBytes } from 'node:crypto';
import { ACTIONS, ACTION_SPECS, type HealthResult, type TablesResult } from '../../lambda-src/actions';
import { MAX_ECHO_CHARS, echo, messages } from '../../lambda-src/errors';
import { createIamAuthTokenSigner, type IamAuthTokenProps } from '../../lambda-src/iam-auth';
import {
  LAMBDA_SYNC_RESPONSE_LIMIT_BYTES,
  MAX_RESPONSE_BYTES,
  createHandler,
  type ErrorResponse,
  type HandlerInstance,
  type SuccessResponse,
} from '../../lambda-src/handler';
import { APP_USER, APP_DATABASE, captureLogs, startLambdaFixture, useAwsEndpoint, type LambdaFixture } from '../../local/lambda-fixture';

let fixture: LambdaFixture;
let restoreEnv: () => void = () => undefined;
const handlers: HandlerInstance[] = [];

beforeAll(async () => {
  fixture = await startLambdaFixture();
  restoreEnv = useAwsEndpoint(fixture.secretsManager.endpoint);
  const owner = await fixture.appClient();
  try {
    await owner.query('CREATE TABLE orders (id int PRIMARY KEY)');
  } finally {
    await owner.end();
  }
});

afterAll(async () => {
  await Promise.all(handlers.map((h) => h.close()));
  restoreEnv();
  await fixture?.stop();
});

/** A handler as one warm container has it, trusting the test CA, logging into `logs`. */
function newContainer(logs = captureLogs()): HandlerInstance {
  const instance = createHandler({ env: fixture.lambdaEnv(), ca: fixture.pg.ca.certPem, logSink: logs.sink });
  handlers.push(instance);
  return instance;
}

function healthOf(response: SuccessResponse | ErrorResponse): HealthResult {
  expect(response).toMatchObject({ statusCode: 200, action: 'health' });
  return (response as SuccessResponse).result as HealthResult;
}

function expectNoPassword(text: string): void {
  for (const password of fixture.passwords) expect(text).not.toContain(password);
}

describe('health', () => {
  it('reports the server, the TLS version and the secret version over a verified TLS session, with no password in the response or the logs', async () => {
    const logs = captureLogs();
    const { handler } = newContainer(logs);
    const callsBefore = fixture.secretsManager.getSecretValueCalls;

    const response = await handler({ action: 'health' }, { awsRequestId: 'req-health-1' });

    const result = healthOf(response);
    expect(result.serverVersion).toMatch(/^PostgreSQL \d+/);
    expect(result.tls).toBe(true);
    expect(result.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(result.currentUser).toBe(APP_USER);
    expect(result.database).toBe(APP_DATABASE);
    expect(Number.isNaN(Date.parse(result.serverTime))).toBe(false);
    expect(result.auth).toBe('master-secret');
    expect(result.secret).toEqual({ arn: fixture.secretsManager.secretArn, versionId: fixture.secretsManager.versionId });
    // The real SDK client signed its call to the local endpoint.
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsBefore + 1);
    expect(fixture.secretsManager.allRequestsSigned).toBe(true);

    expectNoPassword(JSON.stringify(response));
    expectNoPassword(logs.text());
    const finished = logs.parsed().find((line) => line.message === 'invocation succeeded');
    expect(finished).toMatchObject({ level: 'info', action: 'health', requestId: 'req-health-1' });
    expect(typeof finished?.durationMs).toBe('number');
  });

  it('runs health when the event has no action', async () => {
    const { handler } = newContainer();
    expect(healthOf(await handler({})).tls).toBe(true);
  });

  it('reuses one session and one secret fetch across five warm invocations', async () => {
    const instance = newContainer();
    const callsBefore = fixture.secretsManager.getSecretValueCalls;

    const pids = new Set<number>();
    for (let i = 0; i < 5; i += 1) pids.add(healthOf(await instance.handler({ action: 'health' })).backendPid);

    expect(pids.size).toBe(1);
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsBefore + 1);
    expect(instance.runtime()?.database.connectCount).toBe(1);
  });

  it('replaces the session the server terminated (pg_terminate_backend) on the next invocation, without fetching the secret again', async () => {
    const instance = newContainer();
    const first = healthOf(await instance.handler({ action: 'health' }));
    const callsAfterFirst = fixture.secretsManager.getSecretValueCalls;

    await fixture.terminateBackend(first.backendPid);
    const second = healthOf(await instance.handler({ action: 'health' }));

    expect(second.backendPid).not.toBe(first.backendPid);
    expect(second.tls).toBe(true);
    expect(instance.runtime()?.database.connectCount).toBe(2);
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsAfterFirst);
  });
});

describe('rotation', () => {
  it('fetches the secret again once after PostgreSQL rejects the cached password (28P01) and succeeds with the new version', async () => {
    const logs = captureLogs();
    const instance = newContainer(logs);
    const first = healthOf(await instance.handler({ action: 'health' }));
    const callsAfterFirst = fixture.secretsManager.getSecretValueCalls;

    // A rotation changes the password in PostgreSQL and the secret's AWSCURRENT version but
    // leaves open sessions alone; the cached password matters once a new session is needed.
    const rotatedVersion = await fixture.rotate();
    await fixture.terminateBackend(first.backendPid);
    const after = healthOf(await instance.handler({ action: 'health' }));

    expect(after.secret?.versionId).toBe(rotatedVersion);
    expect(after.secret?.versionId).not.toBe(first.secret?.versionId);
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsAfterFirst + 1);
    expect(logs.parsed()).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('28P01') }));
    expectNoPassword(logs.text());

    // Warm again: the refreshed credentials are cached.
    healthOf(await instance.handler({ action: 'health' }));
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsAfterFirst + 1);
  });

  it('fails with a DatabaseConnectError naming 28P01 after exactly one extra fetch when the secret still holds the rejected password', async () => {
    const instance = newContainer();
    const first = healthOf(await instance.handler({ action: 'health' }));
    const callsAfterFirst = fixture.secretsManager.getSecretValueCalls;

    // Mid-rotation: PostgreSQL has a password AWSCURRENT does not hold yet.
    await fixture.changeDatabasePassword();
    await fixture.terminateBackend(first.backendPid);
    try {
      const response = await instance.handler({ action: 'health' });

      expect(response).toMatchObject({ statusCode: 502, error: { type: 'DatabaseConnect' } });
      expect((response as ErrorResponse).error.message).toContain('28P01');
      expect(fixture.secretsManager.getSecretValueCalls).toBe(callsAfterFirst + 1);
      expectNoPassword(JSON.stringify(response));
    } finally {
      // Finish the rotation so later tests find secret and role in step.
      await fixture.rotate();
    }
  });
});

describe('DB_AUTH=iam (IAM authentication itself cannot run here: the token check is PostgreSQL\'s password check of a stand-in token)', () => {
  /** A stand-in signer whose "token" is the role's password, counting its calls and recording its props. */
  function standInSigner(token: () => string): { create: (props: IamAuthTokenProps) => () => Promise<string>; props: IamAuthTokenProps[]; calls: number } {
    const signer = {
      props: [] as IamAuthTokenProps[],
      calls: 0,
      create: (props: IamAuthTokenProps) => {
        signer.props.push(props);
        return async () => {
          signer.calls += 1;
          return token();
        };
      },
    };
    return signer;
  }

  const iamEnv = (): Record<string, string> => {
    const { DB_SECRET_ARN: _unused, ...rest } = fixture.lambdaEnv({ DB_AUTH: 'iam', DB_USER: APP_USER, AWS_REGION: 'eu-west-1' });
    return rest;
  };

  it('signs a token for each new session and none for a reused one (stand-in token = the role\'s password), reads no secret, and reports auth iam without a secret', async () => {
    const signer = standInSigner(() => fixture.password);
    const logs = captureLogs();
    const instance = createHandler({ env: iamEnv(), ca: fixture.pg.ca.certPem, logSink: logs.sink, createTokenSigner: signer.create });
    handlers.push(instance);
    const secretCallsBefore = fixture.secretsManager.getSecretValueCalls;

    const first = healthOf(await instance.handler({ action: 'health' }));

    expect(signer.props).toEqual([{ hostname: fixture.pg.host, port: fixture.pg.port, username: APP_USER, region: 'eu-west-1' }]);
    expect(signer.calls).toBe(1);
    expect(first).toMatchObject({ auth: 'iam', currentUser: APP_USER, tls: true });
    expect(first).not.toHaveProperty('secret');

    // Warm: the open session is reused, and needs no token.
    const warm = healthOf(await instance.handler({ action: 'health' }));
    expect(warm.backendPid).toBe(first.backendPid);
    expect(signer.calls).toBe(1);

    // Two sessions at once: the second is new, so it gets a token of its own.
    const { database } = instance.runtime()!;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding = database.run(() => held);
    const pid = await database.run(async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    release();
    await holding;
    expect(database.connectCount).toBe(2);
    expect(signer.calls).toBe(2);
    expect(pid).not.toBe(first.backendPid);

    // A session the server ended is replaced with a new one, and a new token.
    await fixture.terminateBackend(first.backendPid);
    await fixture.terminateBackend(pid);
    healthOf(await instance.handler({ action: 'health' }));
    expect(signer.calls).toBe(3);

    expect(fixture.secretsManager.getSecretValueCalls).toBe(secretCallsBefore);
    expect(logs.parsed()).toContainEqual(expect.objectContaining({ message: 'database session opened', auth: 'iam', user: APP_USER }));
    expectNoPassword(logs.text());
  });

  it('fails with a DatabaseConnectError naming the user, the host, rds_iam and rds-db:connect when PostgreSQL rejects the token (28P01), after one token and no retry', async () => {
    const signer = standInSigner(() => 'not-the-password');
    const instance = createHandler({ env: iamEnv(), ca: fixture.pg.ca.certPem, logSink: () => undefined, createTokenSigner: signer.create });
    handlers.push(instance);

    const response = await instance.handler({ action: 'health' });

    expect(response).toEqual({
      statusCode: 502,
      error: {
        type: 'DatabaseConnect',
        message: messages.dbIamAuth(fixture.pg.host, fixture.pg.port, APP_USER, '28P01', `password authentication failed for user "${APP_USER}"`),
      },
    });
    const { message } = (response as ErrorResponse).error;
    for (const part of [APP_USER, `${fixture.pg.host}:${fixture.pg.port}`, 'rds_iam', 'rds-db:connect']) expect(message).toContain(part);
    expect(signer.calls).toBe(1);
    expect(message).not.toContain('not-the-password');
  });

  it('signs with createIamAuthTokenSigner for DB_HOST, DB_PORT, DB_USER and AWS_REGION with the environment\'s keys when no signer is injected (a frozen clock makes the token known; the role\'s password is that token)', async () => {
    const role = `iam_signed_${randomBytes(4).toString('hex')}`;
    const { admin } = fixture.pg;
    // Only Date is frozen: pg's timers and sockets run as usual.
    jest.useFakeTimers({
      now: new Date('2025-06-01T12:00:00Z'),
      doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
    });
    try {
      const token = await createIamAuthTokenSigner({ hostname: fixture.pg.host, port: fixture.pg.port, username: role, region: 'us-east-1' })();
      expect(token).toContain(`DBUser=${role}`);
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${admin.escapeLiteral(token)}`);
      const env = { ...iamEnv(), DB_USER: role, AWS_REGION: 'us-east-1' };
      const instance = createHandler({ env, ca: fixture.pg.ca.certPem, logSink: () => undefined });
      handlers.push(instance);

      const result = healthOf(await instance.handler({ action: 'health' }));

      expect(result).toMatchObject({ auth: 'iam', currentUser: role });
      await instance.close();
    } finally {
      jest.useRealTimers();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});

describe('DB_ACTIONS', () => {
  it('answers 400 BadRequest naming the action and the accepted ones to an action outside DB_ACTIONS, before reading the secret or opening a session', async () => {
    const instance = createHandler({ env: fixture.lambdaEnv({ DB_ACTIONS: 'health' }), ca: fixture.pg.ca.certPem, logSink: () => undefined });
    handlers.push(instance);
    const callsBefore = fixture.secretsManager.getSecretValueCalls;

    const refused = await instance.handler({ action: 'tables', schema: 'public' });

    expect(refused).toEqual({ statusCode: 400, error: { type: 'BadRequest', message: messages.actionNotAccepted('tables', ['health'], 'DB_ACTIONS') } });
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsBefore);
    expect(instance.runtime()?.database.connectCount).toBe(0);

    expect(await instance.handler({ action: 'health' })).toMatchObject({ statusCode: 200, action: 'health' });
  });
});

describe('tables', () => {
  it('lists the tables of the requested schema', async () => {
    const { handler } = newContainer();

    const response = await handler({ action: 'tables', schema: 'public' });

    expect(response).toEqual({
      statusCode: 200,
      action: 'tables',
      result: { schema: 'public', tableCount: 1, truncated: false, tables: [{ name: 'orders', type: 'BASE TABLE' }] },
    });
  });

  it('passes the schema as a parameter, so a quote in it matches nothing instead of changing the SQL', async () => {
    const { handler } = newContainer();

    const response = await handler({ action: 'tables', schema: "public' OR '1'='1" });

    expect(response).toMatchObject({ statusCode: 200, result: { tables: [] } });
  });
});

describe('bad events', () => {
  it.each<[string, unknown, string]>([
    ['a string', 'health', 'the event must be a JSON object; received the string "health"'],
    ['a number', 42, 'the event must be a JSON object; received a number'],
    ['an array', [{ action: 'health' }], 'the event must be a JSON object; received an array'],
    // The accepted actions are the table's, in its order: adding one changes no test.
    ['an unknown action', { action: 'drop' }, `unknown action: received the string "drop"; accepted: ${ACTIONS.join(', ')}`],
    ['a non-string action', { action: 5 }, `action "<none>": parameter "action" must be one of ${ACTIONS.join(', ')}; received a number`],
    ['a non-string schema', { action: 'tables', schema: 7 }, 'action "tables": parameter "schema" must be a string of 1 to 63 bytes in UTF-8; received a number'],
    ['an empty schema', { action: 'tables', schema: '' }, 'action "tables": parameter "schema" must be a string of 1 to 63 bytes in UTF-8; received the string ""'],
  ])('answers 400 BadRequest to %s without touching Secrets Manager or PostgreSQL', async (_name, event, message) => {
    const logs = captureLogs();
    const instance = newContainer(logs);
    const callsBefore = fixture.secretsManager.getSecretValueCalls;

    const response = await instance.handler(event, { awsRequestId: 'req-bad' });

    expect(response).toEqual({ statusCode: 400, error: { type: 'BadRequest', message } });
    expect(fixture.secretsManager.getSecretValueCalls).toBe(callsBefore);
    expect(instance.runtime()).toBeUndefined();
    expect(logs.parsed()).toContainEqual(expect.objectContaining({ level: 'warn', errorType: 'BadRequest', requestId: 'req-bad' }));
  });

});

describe('caller errors: always 4xx, never echoed without bound', () => {
  const MIB = 1024 * 1024;
  /** A run of the letter y longer than any echo may be: its presence means an unbounded echo. */
  const TOO_LONG_RUN = 'y'.repeat(MAX_ECHO_CHARS + 1);
  const huge = 'y'.repeat(MIB);

  /** What the caller got wrong, the event, and the field the answer must name. */
  type Case = [string, unknown, string];
  const parserCases: Case[] = [
    ['a 1 MiB string as the event', huge, 'event'],
    ['a 1 MiB action', { action: huge }, 'action'],
    ['an action with a NUL and terminal escapes', { action: 'he\u0000\u001b[2Jalth' + huge }, 'action'],
    ['an object holding 1 MiB as the action', { action: { y: huge } }, 'action'],
    ['an array holding 1 MiB as the action', { action: [huge] }, 'action'],
  ];
  // Every parameter of every action, each way a value can be wrong, in each layer that can find it.
  const parameterCases: Case[] = ACTIONS.flatMap((action) =>
    ACTION_SPECS[action].parameters.flatMap(({ name, maxBytes }): Case[] => [
      [`${action}: a 1 MiB ${name} (parser)`, { action, [name]: huge }, name],
      [`${action}: a ${name} one byte too long (parser)`, { action, [name]: 'y'.repeat(maxBytes + 1) }, name],
      [`${action}: an empty ${name} (parser)`, { action, [name]: '' }, name],
      [`${action}: a number as ${name} (parser)`, { action, [name]: 1 }, name],
      [`${action}: an object holding 1 MiB as ${name} (parser)`, { action, [name]: { y: huge } }, name],
      [`${action}: an array holding 1 MiB as ${name} (parser)`, { action, [name]: [huge] }, name],
      [`${action}: a ${name} with a lone surrogate (driver)`, { action, [name]: 'y'.repeat(maxBytes - 1) + '\uD800' }, name],
      [`${action}: a ${name} with a NUL, which PostgreSQL rejects (PostgreSQL)`, { action, [name]: '\u0000' + 'y'.repeat(maxBytes - 1) }, name],
    ]),
  );

  it.each([...parserCases, ...parameterCases])('answers 400 naming the field, with a small body and short log lines, to %s', async (_name, event, field) => {
    const logs = captureLogs();
    const { handler } = newContainer(logs);

    const response = await handler(event, { awsRequestId: 'req-caller' });

    expect(response).toMatchObject({ statusCode: 400, error: { type: 'BadRequest' } });
    const body = JSON.stringify(response);
    expect(Buffer.byteLength(body)).toBeLessThan(4 * 1024);
    expect((response as ErrorResponse).error.message).toContain(field);
    expect(body).not.toContain(TOO_LONG_RUN);
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const line of logs.lines) {
      expect(Buffer.byteLength(line)).toBeLessThan(16 * 1024);
      expect(line).not.toContain(TOO_LONG_RUN);
    }
    expect(logs.parsed()).toContainEqual(expect.objectContaining({ level: 'warn', errorType: 'BadRequest', requestId: 'req-caller' }));
  });

  it('names the SQLSTATE when PostgreSQL rejects a schema (22021 for a NUL), and keeps the session for the next call', async () => {
    const instance = newContainer();

    const rejected = await instance.handler({ action: 'tables', schema: 'pub\u0000lic' });
    const next = await instance.handler({ action: 'tables', schema: 'public' });

    expect(rejected).toEqual({
      statusCode: 400,
      error: {
        type: 'BadRequest',
        message: messages.paramRejectedByDatabase('tables', ['schema'], '22021', 'invalid byte sequence for encoding "UTF8": 0x00', [echo('pub\u0000lic')]),
      },
    });
    expect(next).toMatchObject({ statusCode: 200, result: { schema: 'public' } });
    expect(instance.runtime()?.database.connectCount).toBe(1);
  });

  it('refuses a schema the driver would alter (a lone surrogate becomes U+FFFD) instead of listing another schema', async () => {
    const { handler } = newContainer();

    const response = await handler({ action: 'tables', schema: 'a\uDC00b' });

    expect(response).toEqual({ statusCode: 400, error: { type: 'BadRequest', message: messages.paramNotSendable('tables', 'schema', echo('a\uDC00b')) } });
  });
});

describe('identifier limits in bytes, as PostgreSQL counts them', () => {
  /** 31 two-byte characters: 62 bytes, what PostgreSQL keeps of a longer name of "é" (it never splits a character). */
  const SHORT = 'é'.repeat(31);
  /** Exactly 63 bytes: the longest name PostgreSQL keeps whole. */
  const LONGEST = 'é'.repeat(31) + 'x';

  beforeAll(async () => {
    const owner = await fixture.appClient();
    try {
      for (const [schema, table] of [[SHORT, 'in_short'], [LONGEST, 'in_longest']]) {
        await owner.query(`CREATE SCHEMA ${owner.escapeIdentifier(schema)}`);
        await owner.query(`CREATE TABLE ${owner.escapeIdentifier(schema)}.${table} (id int)`);
      }
    } finally {
      await owner.end();
    }
  });

  it('answers 400 naming the 63-byte limit to a schema of 40 × "é" (40 characters, 80 bytes), which PostgreSQL would cut to another schema\'s name', async () => {
    const schema = 'é'.repeat(40);
    // The premise, on the real server: the 80-byte name, bound as a parameter, lists the other schema's table.
    const direct = await fixture.appClient();
    try {
      const { rows } = await direct.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
      expect(rows).toEqual([{ table_name: 'in_short' }]);
    } finally {
      await direct.end();
    }
    const { handler } = newContainer();

    const response = await handler({ action: 'tables', schema });

    expect(response).toEqual({
      statusCode: 400,
      error: {
        type: 'BadRequest',
        message:
          'action "tables": parameter "schema" is 80 bytes in UTF-8, over the 63-byte limit of a PostgreSQL identifier ' +
          `(NAMEDATALEN - 1), past which PostgreSQL would cut it and match another name; received the string "${schema}"`,
      },
    });
  });

  it('lists a schema whose name is exactly 63 bytes (32 characters)', async () => {
    const { handler } = newContainer();

    const response = await handler({ action: 'tables', schema: LONGEST });

    expect(response).toMatchObject({ statusCode: 200, result: { schema: LONGEST, tableCount: 1, tables: [{ name: 'in_longest' }] } });
  });

  it.each([
    ['32 two-byte characters', 64, 'é'.repeat(32)],
    ['21 three-byte characters and one more byte', 64, '€'.repeat(21) + 'x'],
    ['16 four-byte characters (32 UTF-16 code units)', 64, '😀'.repeat(16)],
    ['the 63 two-byte characters that passed a check in characters', 126, 'é'.repeat(63)],
  ])('answers 400 to %s (%i bytes)', async (_name, bytes, schema) => {
    const { handler } = newContainer();

    const response = await handler({ action: 'tables', schema });

    expect(response).toMatchObject({ statusCode: 400, error: { type: 'BadRequest' } });
    expect((response as ErrorResponse).error.message).toContain(`is ${bytes} bytes in UTF-8, over the 63-byte limit`);
  });
});

describe('bounded responses', () => {
  const SCHEMA = 'many_tables';
  const TABLE_COUNT = 300;
  /** A bound small enough for a few hundred tables to pass it, in bytes. */
  const SMALL_BOUND = 4096;

  beforeAll(async () => {
    const owner = await fixture.appClient();
    try {
      await owner.query(`CREATE SCHEMA ${SCHEMA}`);
      await owner.query(`DO $$ BEGIN FOR i IN 1..${TABLE_COUNT} LOOP EXECUTE format('CREATE TABLE ${SCHEMA}.t_%s (id int)', lpad(i::text, 4, '0')); END LOOP; END $$`);
    } finally {
      await owner.end();
    }
  });

  function tablesOf(response: SuccessResponse | ErrorResponse): TablesResult {
    expect(response).toMatchObject({ statusCode: 200, action: 'tables' });
    return (response as SuccessResponse).result as TablesResult;
  }

  it('keeps the default bound at Lambda\'s 6 MB limit for a synchronous response, read as 6,000,000 bytes', () => {
    expect(LAMBDA_SYNC_RESPONSE_LIMIT_BYTES).toBe(6_000_000);
    expect(MAX_RESPONSE_BYTES).toBe(LAMBDA_SYNC_RESPONSE_LIMIT_BYTES);
  });

  it('lists every table, saying so, when they fit', async () => {
    const { handler } = newContainer();

    const result = tablesOf(await handler({ action: 'tables', schema: SCHEMA }));

    expect(result).toMatchObject({ schema: SCHEMA, tableCount: TABLE_COUNT, truncated: false });
    expect(result.tables).toHaveLength(TABLE_COUNT);
  });

  it('truncates a listing over the bound to the first tables by name that fit, and says so with the total count', async () => {
    const instance = createHandler({ env: fixture.lambdaEnv(), ca: fixture.pg.ca.certPem, logSink: () => undefined, maxResponseBytes: SMALL_BOUND });
    handlers.push(instance);

    const response = await instance.handler({ action: 'tables', schema: SCHEMA });

    const result = tablesOf(response);
    expect(result).toMatchObject({ schema: SCHEMA, tableCount: TABLE_COUNT, truncated: true });
    const listed = result.tables.length;
    expect(listed).toBeGreaterThan(0);
    expect(result.tables.map((t) => t.name)).toEqual(Array.from({ length: listed }, (_, i) => `t_${String(i + 1).padStart(4, '0')}`));
    const bytes = Buffer.byteLength(JSON.stringify(response));
    expect(bytes).toBeLessThanOrEqual(SMALL_BOUND);
    // As many as fit: one more table would have passed the bound.
    const oneMore = { ...response, result: { ...result, tables: [...result.tables, { name: `t_${String(listed + 1).padStart(4, '0')}`, type: 'BASE TABLE' }] } };
    expect(Buffer.byteLength(JSON.stringify(oneMore))).toBeGreaterThan(SMALL_BOUND);
  });

  it('answers 500 ResponseTooLarge, never a response over the bound, when a result cannot be cut to fit', async () => {
    const instance = createHandler({ env: fixture.lambdaEnv(), ca: fixture.pg.ca.certPem, logSink: () => undefined, maxResponseBytes: 200 });
    handlers.push(instance);

    const response = await instance.handler({ action: 'health' });

    expect(response).toEqual({
      statusCode: 500,
      error: {
        type: 'ResponseTooLarge',
        message: expect.stringMatching(
          /^the response to action "health" would be \d+ bytes, over the 200 bytes this function returns to stay below Lambda's limit on a synchronous response$/,
        ),
      },
    });
  });
});

describe('configuration errors', () => {
  it('answers 500 Config naming the variable, the value and the range when DB_CONNECT_TIMEOUT_MS is out of range', async () => {
    const instance = createHandler({ env: fixture.lambdaEnv({ DB_CONNECT_TIMEOUT_MS: '60000' }), logSink: () => undefined });

    const response = await instance.handler({ action: 'health' });

    expect(response).toEqual({
      statusCode: 500,
      error: { type: 'Config', message: messages.badEnv('DB_CONNECT_TIMEOUT_MS', '60000', 'an integer from 50 to 8000 (ms)') },
    });
  });
});
