import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MigrationError, messages } from './errors';

/*
 * The migration files: what the migration function applies (lambda-src/migrate.ts) and what the
 * stack bundles beside it and keys the migration invocation with (stacks/constructs/migrations.ts).
 * Only node:fs and node:crypto, so the stacks and config/ may import it.
 */

/**
 * The folder of the migrations: `lambda-src/migrations/` in the repository. A bundle that runs
 * them must carry the folder beside its `index.js`, where this path then points.
 */
export const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');

/** A migration file's name: a four-digit number, an underscore, a lower-case name, `.sql`. */
const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** One migration: a file of the migrations folder. */
export interface Migration {
  /** The file's name without `.sql`, e.g. `0001_app_roles`; migrations apply in the order of their names. */
  readonly name: string;
  /** The SQL, any number of statements; it runs in a transaction the runner opens and commits. */
  readonly sql: string;
  /**
   * SHA-256 of the SQL with line ends as `\n`, in hex (64 characters): recorded when applied, and
   * checked on every later run. Line ends are normalised so that a checkout that writes CRLF (git's
   * `core.autocrlf` on Windows) does not read as a changed migration.
   */
  readonly checksum: string;
}

/**
 * Reads the migrations of `folder`: every `.sql` file, by name. Other files are left alone.
 * @param folder absolute path
 * @default folder - {@link MIGRATIONS_FOLDER}
 * @throws MigrationError for a `.sql` file not named `NNNN_name.sql`, or two files of one number
 */
export function loadMigrations(folder: string = MIGRATIONS_FOLDER): Migration[] {
  // sort() compares UTF-16 code units: for ASCII names, the order of their bytes.
  const files = readdirSync(folder)
    .filter((file) => file.toLowerCase().endsWith('.sql'))
    .sort();
  const byNumber = new Map<string, string>();
  return files.map((file) => {
    const number = FILE_NAME.exec(file)?.[1];
    if (number === undefined) throw new MigrationError(messages.migrationFileName(file, folder));
    const name = file.slice(0, -'.sql'.length);
    const taken = byNumber.get(number);
    if (taken !== undefined) throw new MigrationError(messages.migrationNumberTaken(number, taken, name), { migration: name });
    byNumber.set(number, name);
    return migration(name, readFileSync(path.join(folder, file), 'utf8'));
  });
}

/** A {@link Migration} of `name` and `sql`, with its checksum. */
export function migration(name: string, sql: string): Migration {
  return { name, sql, checksum: createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex') };
}

/**
 * One digest of a set of migrations: SHA-256, in hex, over each migration's name and checksum in
 * order. It changes when a migration is added, removed, renamed or edited, and only then; the stack
 * keys the migration invocation (`aws_lambda_invocation` triggers) with it.
 */
export function migrationsDigest(migrations: readonly Migration[]): string {
  const hash = createHash('sha256');
  for (const m of [...migrations].sort(compareMigrationNames)) hash.update(`${m.name}\0${m.checksum}\n`);
  return hash.digest('hex');
}

/**
 * The PostgreSQL roles the migrations create (`CREATE ROLE <name>`, unquoted lower-case names), in
 * order of first appearance: what an application function's `databaseRole` may name
 * (config/schema.ts).
 */
export function rolesCreated(migrations: readonly Migration[]): string[] {
  const roles = new Set<string>();
  for (const m of migrations) for (const match of m.sql.matchAll(/\bCREATE\s+ROLE\s+([a-z_][a-z0-9_$]*)/gi)) roles.add(match[1].toLowerCase());
  return [...roles];
}

/**
 * Orders migrations as they apply: by name, comparing UTF-16 code units (the bytes, for the ASCII
 * names of migration files). For `Array.prototype.sort`.
 */
export function compareMigrationNames(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** One migration as the plan lists it: what the stack read from lambda-src/migrations/ when it synthesized. */
export interface PlannedMigration {
  /** The file's name without `.sql`, e.g. `0001_app_roles`. */
  readonly name: string;
  /** SHA-256 of its text, in hex (64 characters; {@link Migration.checksum}). */
  readonly checksum: string;
}

/**
 * The migration function's event: the migrations the plan shows, which must be exactly the ones it
 * carries (lambda-src/migrate-handler.ts). The stack sends it as the `aws_lambda_invocation` input,
 * and the plan review reads it back (tools/plan-review-migrations.ts).
 */
export interface MigrationEvent {
  readonly migrations: readonly PlannedMigration[];
}

/** The {@link MigrationEvent} of `migrations`: each one's name and checksum, in the order given. */
export function migrationEvent(migrations: readonly Migration[]): MigrationEvent {
  return { migrations: migrations.map(({ name, checksum }) => ({ name, checksum })) };
}
