import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { testPostgres, type TlsPostgres } from './postgres';
import { startLocalSecretsManager, type LocalSecretsManager, type LocalSecretsManagerOptions } from './secrets-manager-server';

/**
 * A suffix new in every module instance: jest loads this module afresh for each test file, so each
 * file's role and database are its own on the server the run's files share (postgres.ts).
 */
const FILE_SUFFIX = randomBytes(4).toString('hex');

/** The role and database the Lambda uses in tests, one pair per test file (one fixture per file). */
export const APP_USER = `app_user_${FILE_SUFFIX}`;
export const APP_DATABASE = `appdb_${FILE_SUFFIX}`;
export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123abcd-test-AbCdEf';

/** Embedded TLS PostgreSQL plus a local Secrets Manager holding the app role's credentials. */
export interface LambdaFixture {
  readonly pg: TlsPostgres;
  readonly secretsManager: LocalSecretsManager;
  /** The app role's current password in PostgreSQL. */
  readonly password: string;
  /** Every password the app role has had, to search responses and logs for. */
  readonly passwords: readonly string[];
  /** The Lambda's environment (the stack's contract) for this fixture, plus `overrides`. */
  lambdaEnv(overrides?: Record<string, string>): Record<string, string>;
  /** Changes the role's password in PostgreSQL only, returning it. */
  changeDatabasePassword(): Promise<string>;
  /** Rotates: a new password in PostgreSQL and a new AWSCURRENT version. Returns the version id. */
  rotate(): Promise<string>;
  /** Terminates the backend `pid` and waits until PostgreSQL no longer lists it. */
  terminateBackend(pid: number): Promise<void>;
  /** A session as the app role on the app database, verified TLS; the caller ends it. */
  appClient(): Promise<Client>;
  stop(): Promise<void>;
}

export function newPassword(): string {
  return 'pw-' + randomBytes(18).toString('base64url');
}

/**
 * Starts the fixture: the run's shared PostgreSQL under jest (a server of its own elsewhere), with
 * this file's role and database, and a local Secrets Manager holding the role's credentials. One per
 * test file: {@link APP_USER} and {@link APP_DATABASE} are the file's. `options` go to the local
 * Secrets Manager (its latency).
 */
export async function startLambdaFixture(options: LocalSecretsManagerOptions = {}): Promise<LambdaFixture> {
  const pg = await testPostgres();
  let secretsManager: LocalSecretsManager | undefined;
  try {
    let password = newPassword();
    const passwords = [password];
    await pg.createAppDatabase(APP_USER, password, APP_DATABASE);
    secretsManager = await startLocalSecretsManager(SECRET_ARN, { username: APP_USER, password }, options);
    const sm = secretsManager;
    const changeDatabasePassword = async (): Promise<string> => {
      password = newPassword();
      passwords.push(password);
      await pg.admin.query(`ALTER ROLE ${APP_USER} PASSWORD ${pg.admin.escapeLiteral(password)}`);
      return password;
    };
    return {
      pg,
      secretsManager: sm,
      get password() {
        return password;
      },
      passwords,
      lambdaEnv: (overrides = {}) => ({
        DB_SECRET_ARN: SECRET_ARN,
        DB_HOST: pg.host,
        DB_PORT: String(pg.port),
        DB_NAME: APP_DATABASE,
        ...overrides,
      }),
      changeDatabasePassword,
      async rotate() {
        const next = await changeDatabasePassword();
        return sm.setSecret({ username: APP_USER, password: next });
      },
      async terminateBackend(pid) {
        await pg.admin.query('SELECT pg_terminate_backend($1)', [pid]);
        for (let attempt = 0; attempt < 200; attempt += 1) {
          const { rowCount } = await pg.admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
          if (rowCount === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error(`backend ${pid} is still listed after pg_terminate_backend`);
      },
      async appClient() {
        const client = new Client({
          host: pg.host,
          port: pg.port,
          user: APP_USER,
          password,
          database: APP_DATABASE,
          ssl: { rejectUnauthorized: true, ca: pg.ca.certPem },
        });
        await client.connect();
        return client;
      },
      async stop() {
        await sm.close();
        await pg.stop();
      },
    };
  } catch (err) {
    await secretsManager?.close();
    await pg.stop();
    throw err;
  }
}

/**
 * Points the real AWS SDK at `endpoint` through the standard variables, with static fake keys
 * and no shared config files, and returns a function restoring the previous values.
 */
export function useAwsEndpoint(endpoint: string): () => void {
  const values: Record<string, string> = awsEnvironment(endpoint);
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** The AWS variables a Lambda has, with fake keys and `endpoint` for Secrets Manager. */
export function awsEnvironment(endpoint: string): Record<string, string> {
  const missing = path.join(tmpdir(), 'no-such-aws-config');
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-secret-key',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_CONFIG_FILE: missing,
    AWS_SHARED_CREDENTIALS_FILE: missing,
  };
}

/** Collects log lines; `text()` joins them for searching. */
export function captureLogs(): { sink: (line: string) => void; lines: string[]; text(): string; parsed(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    sink: (line) => lines.push(line),
    lines,
    text: () => lines.join('\n'),
    parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
