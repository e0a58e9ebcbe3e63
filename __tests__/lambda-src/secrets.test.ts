import { SecretFetchError } from '../../lambda-src/errors';
import { createHandler } from '../../lambda-src/handler';
import { createLogger } from '../../lambda-src/log';
import { SecretCache, createSecretsManagerClient } from '../../lambda-src/secrets';
import { captureLogs, useAwsEndpoint, SECRET_ARN } from '../../local/lambda-fixture';
import { freePort } from '../../local/postgres';
import { startLocalSecretsManager, startSilentServer, type LocalSecretsManager } from '../../local/secrets-manager-server';

/** Environment of a Lambda whose database is never reached: these tests stop at the secret. */
function lambdaEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return { DB_SECRET_ARN: SECRET_ARN, DB_HOST: '127.0.0.1', DB_PORT: '1', DB_NAME: 'appdb', ...overrides };
}

const FAST_TIMEOUTS = { SECRETS_MANAGER_CONNECT_TIMEOUT_MS: '100', SECRETS_MANAGER_REQUEST_TIMEOUT_MS: '200' };

/** The cause a caller reads at the end of every "could not reach Secrets Manager" message, as the response shows it. */
const UNREACHABLE_CAUSE =
  ": likely no Secrets Manager VPC endpoint in the Lambda's subnets, or its private DNS is off, " +
  'or the endpoint security group does not admit 443 from the Lambda';

/** The message of a SecretFetch response when Secrets Manager could not be reached within `budgetMillis`, around the SDK's own detail. */
function unreachableMessage(budgetMillis: number): string {
  return expect.stringMatching(
    new RegExp(`^could not reach Secrets Manager to read ${escapeRegExp(SECRET_ARN)} within ${budgetMillis} ms \\(.+\\)${escapeRegExp(UNREACHABLE_CAUSE)}$`),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let restoreEnv: () => void = () => undefined;
afterEach(() => restoreEnv());

describe('when Secrets Manager cannot be reached', () => {
  it('fails with a SecretFetch error naming the missing VPC endpoint when the endpoint accepts but never answers', async () => {
    const silent = await startSilentServer();
    try {
      restoreEnv = useAwsEndpoint(silent.endpoint);
      const logs = captureLogs();
      // A connect timeout generous enough for a loaded machine, so the failure is surely the request's.
      const timeouts = { ...FAST_TIMEOUTS, SECRETS_MANAGER_CONNECT_TIMEOUT_MS: '2000' };
      const { handler } = createHandler({ env: lambdaEnv(timeouts), logSink: logs.sink });

      const response = await handler({ action: 'health' });

      expect(response).toEqual({ statusCode: 502, error: { type: 'SecretFetch', message: unreachableMessage(2200) } });
      // The SDK did connect: the failure is the request timeout, not a refused connection.
      expect(silent.connections).toBeGreaterThanOrEqual(1);
      expect(logs.parsed()).toContainEqual(expect.objectContaining({ level: 'error', message: 'secret fetch failed', secretArn: SECRET_ARN }));
    } finally {
      await silent.close();
    }
  });

  it('fails with the same named cause when nothing listens on the endpoint port', async () => {
    const closedPort = await freePort();
    restoreEnv = useAwsEndpoint(`http://127.0.0.1:${closedPort}`);
    const { handler } = createHandler({ env: lambdaEnv(FAST_TIMEOUTS), logSink: () => undefined });

    const response = await handler({ action: 'health' });

    expect(response).toEqual({ statusCode: 502, error: { type: 'SecretFetch', message: unreachableMessage(300) } });
    expect(JSON.stringify(response)).toContain('ECONNREFUSED');
  });
});

describe('SecretCache against a local Secrets Manager (real SDK client)', () => {
  let sm: LocalSecretsManager;
  beforeAll(async () => {
    sm = await startLocalSecretsManager(SECRET_ARN, { username: 'app_user', password: 'first-password-value' });
  });
  afterAll(async () => {
    await sm?.close();
  });

  function newCache(now: () => number, secretArn = SECRET_ARN): SecretCache {
    restoreEnv = useAwsEndpoint(sm.endpoint);
    return new SecretCache({
      secretArn,
      ttlSeconds: 300,
      fetchBudgetMillis: 4000,
      client: () => createSecretsManagerClient({ connectTimeoutMillis: 1000, requestTimeoutMillis: 3000 }),
      log: createLogger(() => undefined),
      now,
    });
  }

  it('serves the cached credentials until SECRET_CACHE_TTL_SECONDS pass, then fetches the new version', async () => {
    let clock = 1_000_000;
    const cache = newCache(() => clock);
    const callsBefore = sm.getSecretValueCalls;

    const first = await cache.get();
    clock += 299_000;
    const cached = await cache.get();
    const nextVersion = sm.setSecret({ username: 'app_user', password: 'second-password-value' });
    clock += 2_000;
    const refreshed = await cache.get();

    expect(first).toMatchObject({ username: 'app_user', password: 'first-password-value', secretArn: SECRET_ARN });
    expect(cached).toBe(first);
    expect(refreshed).toMatchObject({ password: 'second-password-value', versionId: nextVersion });
    expect(sm.getSecretValueCalls).toBe(callsBefore + 2);
  });

  it('shares one fetch between concurrent callers', async () => {
    const cache = newCache(() => 0);
    const callsBefore = sm.getSecretValueCalls;

    const [a, b, c] = await Promise.all([cache.get(), cache.get(), cache.refresh()]);

    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(sm.getSecretValueCalls).toBe(callsBefore + 1);
  });

  it('fetches once per rejected version: a refresh after an older version was rejected returns the newer cached one', async () => {
    const cache = newCache(() => 0);
    const first = await cache.get();
    const callsBefore = sm.getSecretValueCalls;
    const rotated = sm.setSecret({ username: 'app_user', password: 'rotated-password-value' });

    // Three sessions refused with the first version at once, then one more after the fetch.
    const concurrent = await Promise.all([cache.refresh(first.versionId), cache.refresh(first.versionId), cache.refresh(first.versionId)]);
    const late = await cache.refresh(first.versionId);
    // The new version refused as well (the secret is ahead of PostgreSQL): fetched again.
    const again = await cache.refresh(rotated);

    for (const credentials of [...concurrent, late, again]) expect(credentials).toMatchObject({ versionId: rotated });
    expect(sm.getSecretValueCalls).toBe(callsBefore + 2);
  });

  it('fails with a SecretFetchError telling to check DB_SECRET_ARN when the secret does not exist', async () => {
    const otherArn = SECRET_ARN.replace('test', 'gone');
    const cache = newCache(() => 0, otherArn);

    const failure = await cache.get().catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(SecretFetchError);
    expect((failure as Error).message).toBe(`secret ${otherArn} was not found: check DB_SECRET_ARN against the RDS instance's master user secret`);
  });

  it('rejects a SecretString without a password and does not echo its content', async () => {
    sm.setSecret({ username: 'app_user', passwd: 'misspelt-field-value' } as unknown as { username: string; password: string });
    const cache = newCache(() => 0);

    const failure = await cache.get().catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(SecretFetchError);
    expect((failure as Error).message).toBe(
      `secret ${SECRET_ARN} version ${sm.versionId} lacks a string username or password; expected a SecretString of {"username": "...", "password": "..."}`,
    );
    expect((failure as Error).message).not.toContain('misspelt-field-value');
  });
});
