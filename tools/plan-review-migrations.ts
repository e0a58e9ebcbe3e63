/**
 * The migrations an apply runs, read from the plan: the stack declares one `aws_lambda_invocation`
 * (construct path ending `/migrations/invocation`) whose `input` lists the migrations,
 * `{"migrations":[{"name":"0001_app_roles","checksum":"<64 hex>"}, ...]}`, and whose `triggers` is
 * `{ "migrations_digest": "<sha256 hex>" }` (lambda-src/migration-files.ts `migrationsDigest`), so a
 * new migration set replaces the invocation and the migration function runs once more on apply.
 *
 * The invocation's previous input is what the function ran with last, so what the database has
 * recorded as applied. The function refuses (lambda-src/migrate.ts `pendingMigrations`) an applied
 * migration whose checksum changed or that is gone from the list, and a new one that sorts before
 * the last applied one: this module names each, so the plan review shows it before the apply fails.
 */
import { compareMigrationNames, type PlannedMigration } from '../lambda-src/migration-files';

/**
 * The parts of a `resource_changes` entry of `terraform show -json` this module reads (a
 * `ResourceChangeJson` of ./plan-review.ts, spelled out here so the two modules import in one
 * direction only).
 */
export interface InvocationChange {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    readonly after_unknown?: unknown;
  };
}

/** The resource type of the migration invocation. */
export const MIGRATION_INVOCATION_TYPE = 'aws_lambda_invocation';

/** One migration of the invocation's input (the migration function's event, lambda-src/migration-files.ts). */
export type MigrationEntry = PlannedMigration;

/** What one planned change of a migration invocation does to the database. */
export interface MigrationPlan {
  /** The invocation's address. */
  readonly address: string;
  /**
   * The migrations the apply runs, in the order they apply (by name): those of the new input not in
   * the previous one, all of them when the invocation is created. Undefined when the new input is
   * known only at apply.
   */
  readonly toRun?: readonly MigrationEntry[];
  /** Migrations in both inputs with a different checksum: edited after they were applied. */
  readonly edited: readonly { readonly name: string; readonly before: string; readonly after: string }[];
  /** Migrations of the previous input missing from the new one: removed or renamed after they were applied. */
  readonly removed: readonly MigrationEntry[];
  /** New migrations that sort before the last migration of the previous input, which is applied: `[name, lastApplied]`. */
  readonly outOfOrder: readonly (readonly [string, string])[];
  /** Why a reviewer must look: one line per edited, removed or out-of-order migration, or an input this module cannot read. */
  readonly attention: readonly string[];
}

/** How many hex digits of a checksum the summary shows. */
const SHOWN_CHECKSUM_DIGITS = 12;

/** A checksum as the summary shows it: its first {@link SHOWN_CHECKSUM_DIGITS} hex digits. */
export function shortChecksum(checksum: string): string {
  return checksum.slice(0, SHOWN_CHECKSUM_DIGITS);
}

/**
 * The migrations of an invocation input: the `migrations` list of its JSON. Undefined when the
 * input is absent (a create has no previous input), not JSON, or has no such list (an
 * invocation that is not the migration invocation).
 */
export function migrationsOfInput(input: unknown): MigrationEntry[] | undefined {
  if (typeof input !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    return undefined;
  }
  const list = (parsed as { migrations?: unknown } | null)?.migrations;
  if (!Array.isArray(list)) return undefined;
  return list
    .filter((m): m is MigrationEntry => typeof m?.name === 'string' && typeof m?.checksum === 'string')
    .map(({ name, checksum }) => ({ name, checksum }));
}

/**
 * The migration plan of `rc` when it creates, replaces or updates an `aws_lambda_invocation` whose
 * input lists migrations; undefined for any other change (a delete runs nothing, and an
 * invocation of another function lists none).
 */
export function migrationPlan(rc: InvocationChange): MigrationPlan | undefined {
  if (rc.mode !== 'managed' || rc.type !== MIGRATION_INVOCATION_TYPE) return undefined;
  const actions = rc.change.actions.join(',');
  if (!['create', 'update', 'delete,create', 'create,delete'].includes(actions)) return undefined;
  const before = rc.change.before as Record<string, unknown> | null | undefined;
  const after = rc.change.after as Record<string, unknown> | null | undefined;
  const inputUnknown = (rc.change.after_unknown as Record<string, unknown> | undefined)?.input === true;
  const previous = migrationsOfInput(before?.input);
  const next = migrationsOfInput(after?.input);
  if (inputUnknown) {
    if (previous === undefined) return undefined;
    return {
      address: rc.address,
      edited: [],
      removed: [],
      outOfOrder: [],
      attention: ['the migration list is known only at apply, so this review cannot say which migrations run'],
    };
  }
  if (next === undefined) return undefined;
  const applied = new Map((previous ?? []).map((m) => [m.name, m]));
  const listed = new Set(next.map((m) => m.name));
  const toRun = next.filter((m) => !applied.has(m.name)).sort(compareMigrationNames);
  const edited = next
    .filter((m) => applied.has(m.name) && applied.get(m.name)!.checksum !== m.checksum)
    .map((m) => ({ name: m.name, before: applied.get(m.name)!.checksum, after: m.checksum }))
    .sort(compareMigrationNames);
  const removed = (previous ?? []).filter((m) => !listed.has(m.name)).sort(compareMigrationNames);
  const lastApplied = [...applied.values()].sort(compareMigrationNames).at(-1)?.name;
  const outOfOrder = lastApplied === undefined ? [] : toRun.filter((m) => m.name < lastApplied).map((m) => [m.name, lastApplied] as const);
  const attention = [
    ...edited.map(
      (e) =>
        `migration \`${e.name}\` was edited after it was applied (checksum \`${shortChecksum(e.before)}\` -> \`${shortChecksum(e.after)}\`): ` +
        'the migration function refuses it and the apply fails at the invocation; restore its text and make the change in a new migration',
    ),
    ...removed.map(
      (m) =>
        `migration \`${m.name}\` was applied but is no longer in the list (removed or renamed): the migration function refuses the run ` +
        'and the apply fails at the invocation; restore it',
    ),
    ...outOfOrder.map(
      ([name, last]) =>
        `migration \`${name}\` is new but sorts before \`${last}\`, which is applied: the migration function refuses it; renumber it to sort after \`${last}\``,
    ),
  ];
  return { address: rc.address, toRun, edited, removed, outOfOrder, attention };
}

/** The Markdown lines of the Migrations section for `plans` (none when there is none). */
export function renderMigrations(plans: readonly MigrationPlan[]): string[] {
  if (plans.length === 0) return [];
  const lines = [`#### Migrations (${plans.length} invocation${plans.length === 1 ? '' : 's'})`, ''];
  for (const p of plans) {
    if (p.toRun === undefined) lines.push(`- \`${p.address}\` runs the migration function with a list known only at apply`);
    else if (p.toRun.length === 0) lines.push(`- \`${p.address}\` runs no new migration`);
    else {
      lines.push(`- \`${p.address}\` runs ${p.toRun.length} migration${p.toRun.length === 1 ? '' : 's'}, in this order:`);
      for (const m of p.toRun) lines.push(`  - \`${m.name}\` (checksum \`${shortChecksum(m.checksum)}\`)`);
    }
    for (const reason of p.attention) lines.push(`  - **needs attention:** ${reason}`);
  }
  lines.push('');
  return lines;
}

/** One line saying which migrations a plan runs, for `--compare`: `migrations to run: a, b`, `no migration to run`. */
export function migrationsToRunLine(plans: readonly MigrationPlan[]): string {
  const names = plans.flatMap((p) => (p.toRun === undefined ? ['(known only at apply)'] : p.toRun.map((m) => m.name)));
  return names.length === 0 ? 'no migration to run' : `migrations to run: ${names.join(', ')}`;
}
