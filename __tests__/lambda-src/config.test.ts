import { loadConfig, TUNING_VARIABLES } from '../../lambda-src/config';
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
      secretArn: REQUIRED.DB_SECRET_ARN,
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
