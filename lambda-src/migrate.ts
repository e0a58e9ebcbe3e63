import type { ClientBase } from 'pg';
import { MigrationError, describeError, errorCode, isServerError, messages } from './errors';
import { createLogger, elapsedMillis, type Logger } from './log';
import { compareMigrationNames, type Migration } from './migration-files';

/**
 * The table that records the applied migrations, created by the first run: `name` (the file's
 * name without `.sql`), `checksum` ({@link Migration.checksum}) and `applied_at` (the time of the
 * transaction that applied it).
 */
export const MIGRATIONS_TABLE = 'public.schema_migrations';

/**
 * The key of the session-level advisory lock a run holds from before it reads the table until
 * after its last migration: the bytes of the ASCII `wbmigrat` as a bigint. Advisory locks belong to
 * one database, so runs on different databases of a server do not wait for each other.
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
export const MIGRATION_LOCK_KEY = 8602558537705611636n;

/** What {@link applyMigrations} did. */
export interface MigrationRun {
  /** The migrations this run applied, in order. */
  readonly applied: readonly string[];
  /** The migrations it found applied already, in order. */
  readonly alreadyApplied: readonly string[];
}

/** Options of {@link applyMigrations}. */
export interface ApplyMigrationsOptions {
  /**
   * Where each applied migration is logged, with its duration.
   * @default - stdout, one JSON object per line
   */
  readonly log?: Logger;
}

/**
 * Applies the migrations not applied yet, in order, on `client`'s database.
 *
 * - A session-level advisory lock ({@link MIGRATION_LOCK_KEY}) is held for the whole run, so two
 *   runs never interleave: the second waits, then finds everything applied. The wait has no limit
 *   of its own; the session's `lock_timeout` or `statement_timeout` bound it.
 * - Before applying anything, every recorded migration must still be in `migrations` with the
 *   same checksum, and every pending one must sort after the last applied one.
 * - Each migration runs in a transaction of its own, which also records it in
 *   {@link MIGRATIONS_TABLE}: it is applied whole and recorded, or not at all. A failing migration
 *   is rolled back; the ones before it stay applied, as they stay recorded (so a run after the fix
 *   starts where this one stopped), and none after it runs.
 *
 * The role needs to create {@link MIGRATIONS_TABLE} on the first run, and whatever the
 * migrations do (on RDS, the master user).
 *
 * @param client an open session outside any transaction; it stays open
 * @param migrations as {@link loadMigrations} returns them; they apply in the order of their names
 * @throws MigrationError naming the migration, with PostgreSQL's SQLSTATE as `sqlState` and its
 *   error as `cause` when it failed in PostgreSQL
 */
export async function applyMigrations(client: ClientBase, migrations: readonly Migration[], options: ApplyMigrationsOptions = {}): Promise<MigrationRun> {
  const log = options.log ?? createLogger();
  if (client.getTransactionStatus() !== 'I') throw new Error('applyMigrations: the session is inside a transaction; pass one outside any');
  const key = MIGRATION_LOCK_KEY.toString();
  await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      name text PRIMARY KEY,
      checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    // COLLATE "C": in the order of their bytes, as the files are sorted, whatever the database's collation.
    const { rows } = await client.query<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY name COLLATE "C"`);
    const pending = pendingMigrations([...migrations].sort(compareMigrationNames), rows);
    for (const next of pending) await applyOne(client, next, log);
    const applied = pending.map((m) => m.name);
    log.info('migrations up to date', { applied: applied.length, alreadyApplied: rows.length });
    return { applied, alreadyApplied: rows.map((r) => r.name) };
  } finally {
    // When the session itself failed, PostgreSQL released the lock with it.
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
  }
}

/**
 * The migrations of `migrations` not in `recorded`, after checking that the two agree.
 * @throws MigrationError for a recorded migration changed or missing, or a pending one out of order
 */
function pendingMigrations(migrations: readonly Migration[], recorded: readonly { name: string; checksum: string }[]): Migration[] {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  for (const { name, checksum } of recorded) {
    const file = byName.get(name);
    if (file === undefined) throw new MigrationError(messages.migrationMissing(name), { migration: name });
    if (file.checksum !== checksum) throw new MigrationError(messages.migrationChanged(name, checksum, file.checksum), { migration: name });
  }
  const done = new Set(recorded.map((r) => r.name));
  const lastApplied = recorded.at(-1)?.name;
  const pending = migrations.filter((m) => !done.has(m.name));
  const early = pending.find((m) => lastApplied !== undefined && m.name < lastApplied);
  if (early) throw new MigrationError(messages.migrationOutOfOrder(early.name, lastApplied!), { migration: early.name });
  return pending;
}

/** Applies and records `next` in one transaction; rolls back and throws a {@link MigrationError} when it fails. */
async function applyOne(client: ClientBase, next: Migration, log: Logger): Promise<void> {
  const started = performance.now();
  try {
    await client.query('BEGIN');
    // No parameters: pg sends the text as one simple query, which may hold many statements.
    await client.query(next.sql);
    if (client.getTransactionStatus() !== 'T') throw new MigrationError(messages.migrationEndedTransaction(next.name), { migration: next.name });
    await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum) VALUES ($1, $2)`, [next.name, next.checksum]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof MigrationError) throw err;
    if (!isServerError(err)) throw new MigrationError(messages.migrationInterrupted(next.name, describeError(err)), { cause: err, migration: next.name });
    const sqlState = errorCode(err)!;
    const line = lineAt(next.sql, (err as { position?: string }).position);
    throw new MigrationError(messages.migrationFailed(next.name, sqlState, (err as Error).message, line), { cause: err, migration: next.name, sqlState });
  }
  log.info('migration applied', { migration: next.name, durationMs: elapsedMillis(started) });
}

/** The line of `sql` at PostgreSQL's error `position` (1-based, in characters, not UTF-16 units), if it gave one. */
function lineAt(sql: string, position: string | undefined): number | undefined {
  const offset = Number(position);
  if (!Number.isInteger(offset) || offset < 1) return undefined;
  return Array.from(sql).slice(0, offset - 1).join('').split('\n').length;
}
