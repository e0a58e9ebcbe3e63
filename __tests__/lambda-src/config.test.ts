import { ACTIONS } from '../../lambda-src/actions';
import { AWS_REGION_VARIABLE, loadConfig, TUNING_VARIABLES } from '../../lambda-src/config';
import { DATABASE_AUTH_MODES, LAMBDA_ENV } from '../../lambda-src/environment';
import { ConfigError, messages } from '../../lambda-src/errors';

const REQUIRED = {
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-abc-XyZ123',
  DB_HOST: 'db.abc.eu-west-1.rds.amazonaws.com',
  DB_PORT: '5432',
  DB_NAME: 'app',
};

describe('loadConfig', () => {
  it('applies the documented defaults when only the stack contract variables are set', () => {
    expect(loadConfig(REQUIRED)).toEqual({
      auth: { mode: 'master-secret', secretArn: REQUIRED.DB_SECRET_ARN },
      actions: ACTIONS,
      dbHost: REQUIRED.DB_HOST,
      dbPort: 5432,
      dbName: 'app',
      secretsManagerConnectTimeoutMillis: 1000,
      secretsManagerRequestTimeoutMillis: 3000,
      dbConnectTimeoutMillis: 3000,
      dbQueryTimeoutMillis: 3000,
      secretCacheTtlSeconds: 300,
      dbPoolMaxSessions: 4,
    });
  });

  it('keeps every default Secrets Manager call (connect + request) well below the 10 s function timeout', () => {
    const { secretsManagerConnectTimeoutMillis: c, secretsManagerRequestTimeoutMillis: r } = loadConfig(REQUIRED);
    expect(c + r).toBeLessThanOrEqual(5000);
  });

  it('reads the tuning variables', () => {
    const config = loadConfig({ ...REQUIRED, SECRETS_MANAGER_REQUEST_TIMEOUT_MS: '1500', SECRET_CACHE_TTL_SECONDS: '0', DB_POOL_MAX_SESSIONS: '1' });
    expect(config.secretsManagerRequestTimeoutMillis).toBe(1500);
    expect(config.secretCacheTtlSeconds).toBe(0);
    expect(config.dbPoolMaxSessions).toBe(1);
  });

  it.each(Object.values(TUNING_VARIABLES))('rejects $name outside $min-$max with a message naming the variable, the value and the range', (variable) => {
    const value = String(variable.max + 1);
    expect(() => loadConfig({ ...REQUIRED, [variable.name]: value })).toThrow(
      new ConfigError(messages.badEnv(variable.name, value, `an integer from ${variable.min} to ${variable.max} (${variable.unit})`)),
    );
  });

  it('rejects a non-integer timeout', () => {
    expect(() => loadConfig({ ...REQUIRED, DB_QUERY_TIMEOUT_MS: '2.5s' })).toThrow(/DB_QUERY_TIMEOUT_MS is "2\.5s"; expected an integer from 50 to 8000 \(ms\)/);
  });

  it.each(['DB_SECRET_ARN', 'DB_HOST', 'DB_PORT', 'DB_NAME'])('fails when %s is not set', (name) => {
    const env: Record<string, string | undefined> = { ...REQUIRED, [name]: undefined };
    expect(() => loadConfig(env)).toThrow(new RegExp(`environment variable ${name} is not set`));
  });

  it('rejects a DB_SECRET_ARN that is not a Secrets Manager ARN', () => {
    expect(() => loadConfig({ ...REQUIRED, DB_SECRET_ARN: 'rds!db-abc' })).toThrow(/DB_SECRET_ARN is "rds!db-abc"; expected a Secrets Manager secret ARN/);
  });
});

/** The variables of an IAM function as the stack sets them: no secret, a role; AWS_REGION from Lambda. */
const IAM = {
  DB_HOST: REQUIRED.DB_HOST,
  DB_PORT: REQUIRED.DB_PORT,
  DB_NAME: REQUIRED.DB_NAME,
  DB_AUTH: 'iam',
  DB_USER: 'app_reader',
  AWS_REGION: 'eu-west-1',
};

describe('loadConfig: DB_AUTH', () => {
  it('logs in with the master secret when DB_AUTH is unset, blank or master-secret', () => {
    for (const value of [undefined, ' ', 'master-secret']) {
      expect(loadConfig({ ...REQUIRED, DB_AUTH: value }).auth).toEqual({ mode: 'master-secret', secretArn: REQUIRED.DB_SECRET_ARN });
    }
  });

  it('reads DB_USER and AWS_REGION with DB_AUTH=iam, and needs no DB_SECRET_ARN', () => {
    expect(loadConfig(IAM).auth).toEqual({ mode: 'iam', user: 'app_reader', region: 'eu-west-1' });
  });

  it('rejects a DB_AUTH outside DATABASE_AUTH_MODES, naming the variable, the value and the accepted modes', () => {
    expect(() => loadConfig({ ...REQUIRED, DB_AUTH: 'IAM' })).toThrow(
      new ConfigError(messages.badEnv(LAMBDA_ENV.dbAuth, 'IAM', `one of ${DATABASE_AUTH_MODES.join(', ')} (unset: master-secret)`)),
    );
    expect(DATABASE_AUTH_MODES).toEqual(['master-secret', 'iam']);
  });

  it.each([LAMBDA_ENV.dbUser, AWS_REGION_VARIABLE])('fails when %s is not set with DB_AUTH=iam', (name) => {
    expect(() => loadConfig({ ...IAM, [name]: undefined })).toThrow(new RegExp(`^environment variable ${name} is not set; expected .*DB_AUTH=iam`));
  });

  it('fails when DB_SECRET_ARN is not set with DB_AUTH=master-secret', () => {
    expect(() => loadConfig({ ...IAM, DB_AUTH: 'master-secret' })).toThrow(/^environment variable DB_SECRET_ARN is not set/);
  });

  it.each([
    ['a capital letter, which an unquoted CREATE ROLE would have folded', 'App_reader'],
    ['a leading digit', '1reader'],
    ['a hyphen', 'app-reader'],
    ['a quote', 'app"reader'],
    ['64 bytes, one over the identifier limit', 'r'.repeat(64)],
  ])('rejects a DB_USER with %s', (_name, user) => {
    let failure: unknown;
    try {
      loadConfig({ ...IAM, DB_USER: user });
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message.startsWith(`environment variable DB_USER is ${JSON.stringify(user)}; expected a PostgreSQL role name of 1 to 63 bytes`)).toBe(true);
  });

  it('accepts a DB_USER of 63 bytes with _ and $', () => {
    const user = `_r$${'x'.repeat(60)}`;
    expect(loadConfig({ ...IAM, DB_USER: user }).auth).toMatchObject({ user });
  });

  it('rejects an AWS_REGION that is not a Region name', () => {
    expect(() => loadConfig({ ...IAM, AWS_REGION: 'Frankfurt' })).toThrow(/^environment variable AWS_REGION is "Frankfurt"; expected the AWS Region/);
  });
});

describe('loadConfig: DB_ACTIONS', () => {
  it('accepts every action when DB_ACTIONS is unset or blank', () => {
    expect(loadConfig(REQUIRED).actions).toEqual(ACTIONS);
    expect(loadConfig({ ...REQUIRED, DB_ACTIONS: ' ' }).actions).toEqual(ACTIONS);
  });

  it('reads the listed actions, with spaces around the commas, in the order of ACTION_SPECS', () => {
    expect(loadConfig({ ...REQUIRED, DB_ACTIONS: 'health' }).actions).toEqual(['health']);
    expect(loadConfig({ ...REQUIRED, DB_ACTIONS: ' tables , health' }).actions).toEqual(['health', 'tables']);
  });

  it.each(['health,drop', 'health,', 'Health'])('rejects %j, naming the variable and the accepted actions', (value) => {
    expect(() => loadConfig({ ...REQUIRED, DB_ACTIONS: value })).toThrow(
      new ConfigError(messages.badEnv(LAMBDA_ENV.dbActions, value, `comma-separated action names, each one of ${ACTIONS.join(', ')} (unset: all of them)`)),
    );
  });
});
