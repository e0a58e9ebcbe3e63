import { ACTIONS, MAX_IDENTIFIER_BYTES, type ActionName } from './actions';
import { DATABASE_AUTH_MODES, LAMBDA_ENV, type DatabaseAuthMode } from './environment';
import { ConfigError, messages } from './errors';

/** How the function logs in with `DB_AUTH=master-secret`: as the RDS master user, with the RDS-managed secret. */
export interface MasterSecretAuth {
  readonly mode: 'master-secret';
  /** ARN of the RDS-managed secret (`DB_SECRET_ARN`); its SecretString is `{"username","password"}`. */
  readonly secretArn: string;
}

/** How the function logs in with `DB_AUTH=iam`: as its own role, with an IAM token signed for each new session. */
export interface IamAuth {
  readonly mode: 'iam';
  /**
   * The PostgreSQL role (`DB_USER`): a name as the migrations create it (lower-case letters, digits,
   * `_` and `$`, not starting with a digit or `$`), 1 to 63 bytes; a member of `rds_iam`.
   */
  readonly user: string;
  /** The AWS Region the token is signed for (`AWS_REGION`, which Lambda sets): the RDS instance's Region. */
  readonly region: string;
}

/** The login of {@link HandlerConfig.auth}, one shape per {@link DatabaseAuthMode}. */
export type DatabaseAuth = MasterSecretAuth | IamAuth;

/**
 * The Lambda's configuration, read once per container from the environment the stack sets.
 * Every duration carries its unit in its name; ranges are checked by {@link loadConfig}.
 */
export interface HandlerConfig {
  /**
   * How sessions log in (`DB_AUTH`, with `DB_SECRET_ARN` for `master-secret`, `DB_USER` and
   * `AWS_REGION` for `iam`; the variables of the other mode are ignored).
   * @default - `master-secret`, the seed's flow, when `DB_AUTH` is unset
   */
  readonly auth: DatabaseAuth;
  /**
   * The actions this function runs (`DB_ACTIONS`, comma-separated names of `ACTION_SPECS`), in the
   * order of {@link ACTIONS}; the handler refuses any other with 400 before a session opens.
   * @default - every action, when `DB_ACTIONS` is unset or blank
   */
  readonly actions: readonly ActionName[];
  /** PostgreSQL host name (`DB_HOST`), also the TLS server name checked against the certificate. */
  readonly dbHost: string;
  /** PostgreSQL port (`DB_PORT`), 1-65535. */
  readonly dbPort: number;
  /** Database name (`DB_NAME`). */
  readonly dbName: string;
  /** TCP connect timeout to Secrets Manager, in milliseconds (`SECRETS_MANAGER_CONNECT_TIMEOUT_MS`). */
  readonly secretsManagerConnectTimeoutMillis: number;
  /** Limit of one Secrets Manager request and its response, in milliseconds (`SECRETS_MANAGER_REQUEST_TIMEOUT_MS`). */
  readonly secretsManagerRequestTimeoutMillis: number;
  /** Time to open a PostgreSQL session (TCP, TLS, auth), in milliseconds (`DB_CONNECT_TIMEOUT_MS`). */
  readonly dbConnectTimeoutMillis: number;
  /**
   * Per-query limit, in milliseconds (`DB_QUERY_TIMEOUT_MS`): the server's `statement_timeout`; the
   * client waits slightly longer (`clientQueryTimeoutMillis` in db.ts) so the server cancels first.
   * The migration function bounds its statements by the invocation's remaining time instead, and
   * uses this only when that is unknown (`migrationStatementTimeoutMillis` in migrate-handler.ts).
   */
  readonly dbQueryTimeoutMillis: number;
  /**
   * How long fetched credentials are reused, in seconds (`SECRET_CACHE_TTL_SECONDS`); 0 fetches every
   * time. Unused with `iam`, whose tokens are signed per session.
   */
  readonly secretCacheTtlSeconds: number;
  /**
   * Most PostgreSQL sessions this instance of the handler holds at once (`DB_POOL_MAX_SESSIONS`), 1
   * to 64: its concurrent invocations each get a session of their own, up to this many, and the rest
   * wait for one to come back.
   */
  readonly dbPoolMaxSessions: number;
}

/** One integer variable: its name, default and inclusive range. */
interface IntegerVariable {
  readonly name: string;
  readonly defaultValue?: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
}

/**
 * The optional tuning variables. The function timeout is 10 s by default, so every limit stays
 * well below it: the longest Secrets Manager call is bounded by connect + request timeout.
 */
export const TUNING_VARIABLES = {
  secretsManagerConnectTimeoutMillis: { name: LAMBDA_ENV.secretsManagerConnectTimeoutMillis, defaultValue: 1000, min: 50, max: 5000, unit: 'ms' },
  secretsManagerRequestTimeoutMillis: { name: LAMBDA_ENV.secretsManagerRequestTimeoutMillis, defaultValue: 3000, min: 50, max: 8000, unit: 'ms' },
  dbConnectTimeoutMillis: { name: LAMBDA_ENV.dbConnectTimeoutMillis, defaultValue: 3000, min: 50, max: 8000, unit: 'ms' },
  dbQueryTimeoutMillis: { name: LAMBDA_ENV.dbQueryTimeoutMillis, defaultValue: 3000, min: 50, max: 8000, unit: 'ms' },
  secretCacheTtlSeconds: { name: LAMBDA_ENV.secretCacheTtlSeconds, defaultValue: 300, min: 0, max: 86400, unit: 's' },
  // The default is the benchmark's choice (docs/benchmarks.md, "Concurrent invocations in one
  // environment"). The maximum is Lambda Managed Instances' default concurrency per vCPU for Node.js,
  // 64, with one worker thread (one handler instance) per vCPU by default
  // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-nodejs-runtime.html).
  dbPoolMaxSessions: { name: LAMBDA_ENV.dbPoolMaxSessions, defaultValue: 4, min: 1, max: 64, unit: 'sessions' },
} as const satisfies Record<string, IntegerVariable>;

const DB_PORT: IntegerVariable = { name: LAMBDA_ENV.dbPort, min: 1, max: 65535, unit: '' };

const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/**
 * A role name as the migrations create it (`CREATE ROLE <name>` unquoted, which PostgreSQL folds
 * to lower case; `rolesCreated` in migration-files.ts reads them the same way): a letter or `_`,
 * then letters, digits, `_` or `$`. All ASCII, so its length in characters is its length in bytes.
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
const ROLE_NAME_PATTERN = /^[a-z_][a-z0-9_$]*$/;

/**
 * The Region variable Lambda sets in every function's environment (a reserved variable: the stack
 * cannot set it). https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const AWS_REGION_VARIABLE = 'AWS_REGION';

/** An AWS Region name, e.g. `ap-southeast-1` or `us-gov-west-1`. */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The environment the Lambda reads: `process.env` in production, a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration.
 * @throws ConfigError naming the variable, the value received and what is allowed.
 */
export function loadConfig(env: Env): HandlerConfig {
  return {
    auth: readAuth(env),
    actions: readActions(env),
    dbHost: requireString(env, LAMBDA_ENV.dbHost, "the RDS instance's endpoint address"),
    dbPort: readInteger(env, DB_PORT),
    dbName: requireString(env, LAMBDA_ENV.dbName, 'the database name'),
    secretsManagerConnectTimeoutMillis: readInteger(env, TUNING_VARIABLES.secretsManagerConnectTimeoutMillis),
    secretsManagerRequestTimeoutMillis: readInteger(env, TUNING_VARIABLES.secretsManagerRequestTimeoutMillis),
    dbConnectTimeoutMillis: readInteger(env, TUNING_VARIABLES.dbConnectTimeoutMillis),
    dbQueryTimeoutMillis: readInteger(env, TUNING_VARIABLES.dbQueryTimeoutMillis),
    secretCacheTtlSeconds: readInteger(env, TUNING_VARIABLES.secretCacheTtlSeconds),
    dbPoolMaxSessions: readInteger(env, TUNING_VARIABLES.dbPoolMaxSessions),
  };
}

/** `DB_AUTH` and the variables of its mode. */
function readAuth(env: Env): DatabaseAuth {
  const mode = (env[LAMBDA_ENV.dbAuth]?.trim() || 'master-secret') as DatabaseAuthMode;
  if (!DATABASE_AUTH_MODES.includes(mode)) {
    throw new ConfigError(messages.badEnv(LAMBDA_ENV.dbAuth, mode, `one of ${DATABASE_AUTH_MODES.join(', ')} (unset: master-secret)`));
  }
  if (mode === 'master-secret') {
    const secretArn = requireString(env, LAMBDA_ENV.secretArn, 'the ARN of the RDS-managed secret (arn:aws:secretsmanager:<region>:<account>:secret:...)');
    if (!SECRET_ARN_PATTERN.test(secretArn)) {
      throw new ConfigError(messages.badEnv(LAMBDA_ENV.secretArn, secretArn, 'a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:...)'));
    }
    return { mode, secretArn };
  }
  const roleName = `a PostgreSQL role name of 1 to ${MAX_IDENTIFIER_BYTES} bytes: lower-case letters, digits, _ and $, starting with a letter or _ (with ${LAMBDA_ENV.dbAuth}=iam)`;
  const user = requireString(env, LAMBDA_ENV.dbUser, roleName);
  if (!ROLE_NAME_PATTERN.test(user) || user.length > MAX_IDENTIFIER_BYTES) throw new ConfigError(messages.badEnv(LAMBDA_ENV.dbUser, user, roleName));
  const regionName = `the AWS Region of the RDS instance, e.g. us-east-1 (Lambda sets it; with ${LAMBDA_ENV.dbAuth}=iam the token is signed for it)`;
  const region = requireString(env, AWS_REGION_VARIABLE, regionName);
  if (!REGION_PATTERN.test(region)) throw new ConfigError(messages.badEnv(AWS_REGION_VARIABLE, region, regionName));
  return { mode, user, region };
}

/** `DB_ACTIONS`: the named actions in the order of {@link ACTIONS}, or all of them when unset or blank. */
function readActions(env: Env): readonly ActionName[] {
  const raw = env[LAMBDA_ENV.dbActions]?.trim();
  if (!raw) return ACTIONS;
  const expected = `comma-separated action names, each one of ${ACTIONS.join(', ')} (unset: all of them)`;
  const names = raw.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(ACTIONS as readonly string[]).includes(name)) throw new ConfigError(messages.badEnv(LAMBDA_ENV.dbActions, raw, expected));
  }
  return ACTIONS.filter((action) => names.includes(action));
}

function requireString(env: Env, name: string, expected: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(messages.missingEnv(name, expected));
  return value;
}

function readInteger(env: Env, variable: IntegerVariable): number {
  const raw = env[variable.name]?.trim();
  const expected = `an integer from ${variable.min} to ${variable.max}${variable.unit ? ` (${variable.unit})` : ''}`;
  if (!raw) {
    if (variable.defaultValue !== undefined) return variable.defaultValue;
    throw new ConfigError(messages.missingEnv(variable.name, expected));
  }
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < variable.min || value > variable.max) {
    throw new ConfigError(messages.badEnv(variable.name, raw, expected));
  }
  return value;
}
