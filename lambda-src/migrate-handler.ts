import { loadConfig, type Env, type HandlerConfig } from './config';
import { DatabasePool } from './db';
import { LAMBDA_ENV } from './environment';
import { BadRequestError, ConfigError, LambdaError, MigrationError, describeError, echo, messages } from './errors';
import { createLogger, elapsedMillis, type LogSink } from './log';
import { createSecretLogin, secretFetchBudgetMillis, type SecretLogin } from './login';
import { applyMigrations } from './migrate';
import { MIGRATIONS_FOLDER, loadMigrations, type Migration, type MigrationEvent, type PlannedMigration } from './migration-files';
import type { SecretsManagerLike } from './secrets';

/*
 * The migration function's entry point (`index.handler` of its bundle, which carries the folder
 * `migrations/` beside `index.js`, where MIGRATIONS_FOLDER points). Terraform invokes it once per
 * set of migrations (`aws_lambda_invocation` keyed with `migrationsDigest`); any failure is thrown,
 * so Lambda reports a FunctionError and the apply fails.
 */

/** What an invocation returns: the migrations it applied and those applied before it, by name, in order. */
export interface MigrationResponse {
  readonly applied: string[];
  readonly alreadyApplied: string[];
}

/** The part of the Lambda context the migration handler reads. */
export interface MigrationContext {
  /** Milliseconds before Lambda stops the invocation: what bounds each migration statement. */
  getRemainingTimeInMillis?(): number;
}

/** The migration function's signature: resolves with what it did, or throws. */
export type MigrateHandler = (event: unknown, context?: MigrationContext) => Promise<MigrationResponse>;

/** What a test may inject; production uses every default. */
export interface MigrateHandlerDeps {
  /**
   * The environment (`DB_SECRET_ARN`, `DB_HOST`, `DB_PORT`, `DB_NAME`, the timeouts), read once, on the first invocation.
   * @default process.env
   */
  readonly env?: Env;
  /**
   * The Secrets Manager client.
   * @default - an SDK client created on the first fetch with the configured timeouts
   */
  readonly secretsManager?: SecretsManagerLike;
  /**
   * PEM of the CA(s) PostgreSQL's certificate must chain to, replacing Node.js's trust store.
   * @default - Node.js's trust store, which in Lambda includes NODE_EXTRA_CA_CERTS
   */
  readonly ca?: string;
  /**
   * Where log lines go.
   * @default - stdout, one JSON object per line
   */
  readonly logSink?: LogSink;
  /**
   * The folder of the migrations to apply.
   * @default MIGRATIONS_FOLDER
   */
  readonly migrationsFolder?: string;
}

/**
 * What each migration statement leaves of the invocation, in milliseconds: the client waits up to
 * a second past `statement_timeout` (`clientQueryTimeoutMillis` in db.ts), and the error must still
 * be logged and returned before Lambda stops the function.
 */
export const MIGRATION_TIME_MARGIN_MILLIS = 2000;

/** The shortest `statement_timeout` a migration run starts with, in milliseconds; with less time left it does not start. */
export const MIN_MIGRATION_STATEMENT_TIMEOUT_MILLIS = 1000;

/**
 * The `statement_timeout` of the migration session, in milliseconds: what is left of the invocation
 * once the secret is read and the session opened at their limits, less
 * {@link MIGRATION_TIME_MARGIN_MILLIS}; so PostgreSQL cancels a statement (57014, its migration
 * rolled back and named) before Lambda stops the function mid-transaction. The advisory lock's wait
 * counts as a statement. It bounds each statement, not the run: a migration of several statements
 * is bounded as a whole by the function's timeout. Without a deadline (a local run),
 * `DB_QUERY_TIMEOUT_MS`.
 * @throws ConfigError when less than {@link MIN_MIGRATION_STATEMENT_TIMEOUT_MILLIS} would be left
 */
export function migrationStatementTimeoutMillis(config: HandlerConfig, remainingMillis: number | undefined): number {
  if (remainingMillis === undefined) return config.dbQueryTimeoutMillis;
  const neededMillis = secretFetchBudgetMillis(config) + config.dbConnectTimeoutMillis + MIGRATION_TIME_MARGIN_MILLIS;
  const timeoutMillis = remainingMillis - neededMillis;
  if (timeoutMillis < MIN_MIGRATION_STATEMENT_TIMEOUT_MILLIS) {
    throw new ConfigError(messages.migrationTooLittleTime(remainingMillis, neededMillis + MIN_MIGRATION_STATEMENT_TIMEOUT_MILLIS));
  }
  return timeoutMillis;
}

/**
 * Builds the migration handler. Each invocation:
 * 1. checks the event's list against the bundled migrations, name and checksum, and refuses with a
 *    {@link MigrationError} listing every difference, before reading any secret: a function built
 *    from other files than the plan showed applies nothing;
 * 2. logs in as the RDS master user with the RDS-managed secret (`DB_SECRET_ARN`, the cache and
 *    Secrets Manager client of the main handler, a fetch again after 28P01), over verified TLS, on
 *    one session opened for this invocation and closed after it;
 * 3. runs {@link applyMigrations} with {@link migrationStatementTimeoutMillis} as `statement_timeout`.
 *
 * It throws on any failure, never returns an error: {@link MigrationError} naming the migration and
 * PostgreSQL's SQLSTATE and message, `DatabaseConnectError`, `SecretFetchError`, `ConfigError` (also
 * when `DB_AUTH` is `iam`), `BadRequestError` for a malformed event. Messages never hold a password.
 */
export function createMigrateHandler(deps: MigrateHandlerDeps = {}): MigrateHandler {
  const log = createLogger(deps.logSink);
  let runtime: { readonly config: HandlerConfig; readonly login: SecretLogin } | undefined;

  const getRuntime = (): { readonly config: HandlerConfig; readonly login: SecretLogin } => {
    if (runtime) return runtime;
    const config = loadConfig(deps.env ?? process.env);
    const { auth } = config;
    if (auth.mode !== 'master-secret') throw new ConfigError(messages.migrationNeedsMasterSecret(LAMBDA_ENV.dbAuth, auth.mode));
    runtime = { config, login: createSecretLogin(auth, config, log, deps) };
    return runtime;
  };

  return async (event, context) => {
    const started = performance.now();
    try {
      const planned = parseMigrationEvent(event);
      const migrations = loadMigrations(deps.migrationsFolder ?? MIGRATIONS_FOLDER);
      const differences = planDifferences(migrations, planned);
      if (differences.length > 0) throw new MigrationError(messages.migrationPlanMismatch(differences));
      const { config, login } = getRuntime();
      const database = new DatabasePool({
        host: config.dbHost,
        port: config.dbPort,
        database: config.dbName,
        connectTimeoutMillis: config.dbConnectTimeoutMillis,
        maxSessions: 1,
        queryTimeoutMillis: migrationStatementTimeoutMillis(config, context?.getRemainingTimeInMillis?.()),
        login,
        log,
        ca: deps.ca,
      });
      try {
        const run = await database.run((client) => applyMigrations(client, migrations, { log }));
        log.info('migration invocation succeeded', { applied: run.applied.join(', '), alreadyApplied: run.alreadyApplied.length, durationMs: elapsedMillis(started) });
        return { applied: [...run.applied], alreadyApplied: [...run.alreadyApplied] };
      } finally {
        await database.close();
      }
    } catch (err) {
      log.error('migration invocation failed', {
        durationMs: elapsedMillis(started),
        errorType: err instanceof LambdaError ? err.type : 'Internal',
        errorMessage: err instanceof LambdaError ? err.message : describeError(err),
        migration: err instanceof MigrationError ? err.migration : undefined,
        sqlState: err instanceof LambdaError ? err.sqlState : undefined,
      });
      throw err;
    }
  };
}

/**
 * The event's list of migrations.
 * @throws BadRequestError naming the first field that is not as {@link MigrationEvent} says
 */
export function parseMigrationEvent(event: unknown): readonly PlannedMigration[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new BadRequestError(messages.migrationEventMalformed('the event', echo(event)));
  const list = (event as { migrations?: unknown }).migrations;
  if (!Array.isArray(list)) throw new BadRequestError(messages.migrationEventMalformed('"migrations"', echo(list)));
  return list.map((item: unknown, i): PlannedMigration => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new BadRequestError(messages.migrationEventMalformed(`"migrations"[${i}]`, echo(item)));
    const { name, checksum } = item as { name?: unknown; checksum?: unknown };
    if (typeof name !== 'string') throw new BadRequestError(messages.migrationEventMalformed(`"migrations"[${i}].name`, echo(name)));
    if (typeof checksum !== 'string') throw new BadRequestError(messages.migrationEventMalformed(`"migrations"[${i}].checksum`, echo(checksum)));
    return { name, checksum };
  });
}

/**
 * How the bundled migrations differ from the planned ones, one phrase per migration, in the order
 * of their names; empty when they are the same set (the order of the event's list does not matter:
 * migrations apply in the order of their names). The event's values appear only echoed (bounded).
 */
export function planDifferences(bundled: readonly Migration[], planned: readonly PlannedMigration[]): string[] {
  const inBundle = new Map(bundled.map((m) => [m.name, m.checksum]));
  const inPlan = new Map<string, string>();
  const differences = new Map<string, string>();
  for (const { name, checksum } of planned) {
    if (inPlan.has(name)) differences.set(name, `listed twice in the plan: ${echo(name)}`);
    inPlan.set(name, checksum);
  }
  for (const name of new Set([...inBundle.keys(), ...inPlan.keys()])) {
    if (differences.has(name)) continue;
    const bundledChecksum = inBundle.get(name);
    const plannedChecksum = inPlan.get(name);
    if (plannedChecksum === undefined) differences.set(name, `bundled but not planned: ${name}`);
    else if (bundledChecksum === undefined) differences.set(name, `planned but not bundled: ${echo(name)}`);
    else if (bundledChecksum !== plannedChecksum) differences.set(name, `${name} has checksum ${bundledChecksum} bundled, but ${echo(plannedChecksum)} planned`);
  }
  return [...differences.keys()].sort().map((name) => differences.get(name)!);
}

/** The Lambda entry point of the migration function (`index.handler` in its bundle). */
export const handler: MigrateHandler = createMigrateHandler();
