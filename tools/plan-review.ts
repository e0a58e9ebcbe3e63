/**
 * Plan guard: summarizes a `terraform show -json <planfile>` document as Markdown for the pull
 * request, blocks plans that delete or replace stateful resources or what they reference (a
 * database's security group, subnet group, parameter group, key), marks restarts, failovers and
 * major upgrades as needing attention, and compares a reviewed plan with a fresh one before it is
 * applied. docs/day-2.md lists the rules.
 *
 *   npm run --silent plan:review -- [--stack NAME] [--protected-types T,T] [--allow ADDRESS]...
 *                                   [--allow-file FILE] [--output FILE] <plan.json>
 *   npm run --silent plan:review -- --compare <reviewed-plan.json> <fresh-plan.json>
 *
 * Exit codes: see {@link EXIT_CODES}.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Every exit code of the command, one meaning each, so CI can tell a risky plan from a broken input. */
export const EXIT_CODES = {
  /** The plan is summarized and touches no protected resource (or only allowed ones); plans match. */
  ok: 0,
  /** The plan deletes or replaces a protected resource that no `--allow` names. */
  blocked: 1,
  /** The command line is wrong or a file cannot be read. */
  usage: 2,
  /** The input is not JSON. */
  notJson: 3,
  /** The input is JSON but not a Terraform plan (`terraform show -json <planfile>`). */
  notAPlan: 4,
  /** The plan's `format_version` is one this tool does not read. */
  unsupportedFormat: 5,
  /** `--compare`: the fresh plan's changes differ from the reviewed plan's. */
  plansDiffer: 6,
} as const;

/**
 * Resource types whose deletion or replacement loses data or breaks what depends on them: a
 * database, a bucket, a secret, a key (and everything it encrypted), a log group's history.
 */
const DEFAULT_PROTECTED_TYPES = [
  'aws_db_instance',
  'aws_s3_bucket',
  'aws_secretsmanager_secret',
  'aws_kms_key',
  'aws_cloudwatch_log_group',
] as const;

/**
 * The plan JSON format versions this tool reads: major version 1, whose minor versions only add
 * fields. Source: https://developer.hashicorp.com/terraform/internals/json-format
 */
const SUPPORTED_FORMAT_MAJOR = 1;

/** What a resource change does, in the order the summary lists them: the risky ones first. */
const ACTION_KINDS = ['replace', 'delete', 'update', 'create', 'forget'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** An error with the exit code the command ends with. */
class PlanReviewError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'PlanReviewError';
  }
}

const errors = {
  usage: (problem: string) => new PlanReviewError(`${problem}\n\n${USAGE}`, EXIT_CODES.usage),
  unreadable: (file: string, cause: unknown) =>
    new PlanReviewError(`Cannot read ${file}: ${(cause as Error).message}`, EXIT_CODES.usage),
  notJson: (source: string, cause: unknown) =>
    new PlanReviewError(
      `${source} is not JSON (${(cause as Error).message}). Pass the output of ` +
        '`terraform show -json <planfile>`, not the plan file itself or `terraform plan` text.',
      EXIT_CODES.notJson,
    ),
  notAPlan: (source: string, missing: string) =>
    new PlanReviewError(
      `${source} is JSON but not a Terraform plan: ${missing}. ` +
        'Pass the output of `terraform show -json <planfile>` (a state from `terraform show -json` without a plan file has no resource_changes).',
      EXIT_CODES.notAPlan,
    ),
  unsupportedFormat: (source: string, version: string) =>
    new PlanReviewError(
      `${source} has plan format_version "${version}"; allowed: ${SUPPORTED_FORMAT_MAJOR}.x ` +
        `(Terraform 1.0 or later). Produce it with the Terraform version CI uses.`,
      EXIT_CODES.unsupportedFormat,
    ),
};

const USAGE = [
  'Usage:',
  '  npm run --silent plan:review -- [options] <plan.json>',
  '  npm run --silent plan:review -- --compare <reviewed-plan.json> <fresh-plan.json>',
  '',
  'Options:',
  '  --stack NAME            name the stack in the heading and the comment marker',
  `  --protected-types LIST  comma-separated resource types to protect (default: ${DEFAULT_PROTECTED_TYPES.join(',')})`,
  '  --allow ADDRESS         allow deleting or replacing this exact resource address (repeatable)',
  '  --allow-file FILE       allow the addresses in FILE, one per line; "#" starts a comment',
  '  --output FILE           also write the Markdown summary to FILE',
].join('\n');

/** The parts of `terraform show -json <planfile>` this tool reads. */
export interface PlanJson {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes: readonly ResourceChangeJson[];
  readonly output_changes?: Record<string, { actions: readonly string[]; after?: unknown; after_unknown?: unknown }>;
  /** The configuration, whose expressions name the resources each resource references. */
  readonly configuration?: { readonly root_module?: { readonly resources?: readonly ConfigurationResourceJson[] } };
}

/** One resource of the plan's `configuration.root_module.resources`. */
export interface ConfigurationResourceJson {
  readonly address: string;
  readonly type: string;
  readonly mode?: string;
  /** Each argument's expression; nested blocks are objects or lists of them; `references` lists what it refers to. */
  readonly expressions?: Record<string, unknown>;
}

/** One entry of `resource_changes`. */
export interface ResourceChangeJson {
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    readonly after_unknown?: unknown;
    readonly replace_paths?: readonly (readonly (string | number)[])[];
  };
  readonly action_reason?: string;
}

/** Parses and checks `terraform show -json` output. `source` names the input in errors. */
export function parsePlan(text: string, source: string): PlanJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw errors.notJson(source, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw errors.notAPlan(source, 'it is not an object');
  }
  const plan = value as Record<string, unknown>;
  if (typeof plan.format_version !== 'string') throw errors.notAPlan(source, 'it has no "format_version"');
  const major = Number(plan.format_version.split('.')[0]);
  if (major !== SUPPORTED_FORMAT_MAJOR) throw errors.unsupportedFormat(source, plan.format_version);
  if (!('planned_values' in plan) && !('resource_changes' in plan)) {
    throw errors.notAPlan(source, 'it has neither "planned_values" nor "resource_changes"');
  }
  const changes = plan.resource_changes ?? [];
  if (!Array.isArray(changes) || changes.some((c) => typeof c?.address !== 'string' || !Array.isArray(c?.change?.actions))) {
    throw errors.notAPlan(source, '"resource_changes" is not a list of changes with "address" and "change.actions"');
  }
  return { ...(plan as unknown as PlanJson), resource_changes: changes as ResourceChangeJson[] };
}

/** What one resource change does, or undefined for no-op and read. */
function actionKind(actions: readonly string[]): ActionKind | undefined {
  const key = actions.join(',');
  switch (key) {
    case 'create':
      return 'create';
    case 'update':
      return 'update';
    case 'delete':
      return 'delete';
    case 'delete,create':
    case 'create,delete':
      return 'replace';
    case 'forget':
      return 'forget';
    default:
      return undefined;
  }
}

/** One change the summary lists. */
export interface SummarizedChange {
  readonly address: string;
  readonly type: string;
  readonly kind: ActionKind;
  /** For replacements: the attributes whose change forces it, such as `triggers_replace`. */
  readonly forcedBy: readonly string[];
  /** Terraform's reason, such as `replace_because_tainted`, when it gives one. */
  readonly reason?: string;
  /** True when the change deletes or replaces a protected type. */
  readonly protected: boolean;
  /** True when an `--allow` names this address. */
  readonly allowed: boolean;
  /**
   * Why the change is protected when it is not a protected type itself: it deletes a resource
   * that a protected resource references before that resource has moved off it.
   */
  readonly protectedBecause?: string;
  /** Why a reviewer should look twice (a restart, a failover, a major upgrade); empty when none. */
  readonly attention: readonly string[];
}

/** The review of one plan. */
export interface PlanReview {
  readonly changes: readonly SummarizedChange[];
  /** Protected deletions and replacements that no `--allow` names: the plan is blocked when any. */
  readonly blocking: readonly SummarizedChange[];
  /** Changes that need attention but do not block: restarts, failovers, major upgrades. */
  readonly attention: readonly SummarizedChange[];
}

/** Options of {@link reviewPlan}. */
export interface ReviewOptions {
  /**
   * Resource types whose deletion or replacement blocks the plan.
   * @default DEFAULT_PROTECTED_TYPES
   */
  readonly protectedTypes?: readonly string[];
  /**
   * Exact resource addresses whose deletion or replacement is allowed.
   * @default - none
   */
  readonly allow?: readonly string[];
}

/** Formats a `replace_paths` entry as Terraform writes attribute paths: `tags["Name"]`, `rule[0].id`. */
function formatAttributePath(segments: readonly (string | number)[]): string {
  return segments
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`,
    )
    .join('');
}

/**
 * In-place changes of an `aws_db_instance` that restart the instance or fail it over, and why.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.DBInstance.Modifying.html
 * ("Settings for DB instances": the "Downtime notes" column).
 */
export const DB_INSTANCE_DISRUPTIVE_ATTRIBUTES: Readonly<Record<string, string>> = {
  instance_class: 'a new instance class restarts the instance (Multi-AZ: RDS fails over to the resized standby)',
  engine_version: 'a new engine version restarts the instance (Multi-AZ: both instances upgrade together)',
  multi_az:
    'turning Multi-AZ on or off adds or removes the standby: RDS snapshots the primary and I/O latency rises until the standby is in sync',
  storage_type: 'a new storage type starts a storage optimization that degrades performance for hours; no further storage change for 6 hours',
};

/** The major version of an RDS PostgreSQL engine version: `17.6` gives `17`, `9.6.24` gives `9.6`. */
export function engineMajorVersion(version: string): string {
  const parts = version.split('.');
  return Number(parts[0]) >= 10 ? parts[0] : parts.slice(0, 2).join('.');
}

/** Why an in-place update of `rc` needs attention: one reason per disruptive attribute it changes. */
export function attentionReasons(rc: ResourceChangeJson): string[] {
  if (rc.type !== 'aws_db_instance' || actionKind(rc.change.actions) !== 'update') return [];
  const before = (rc.change.before ?? {}) as Record<string, unknown>;
  const after = (rc.change.after ?? {}) as Record<string, unknown>;
  const unknown = (rc.change.after_unknown ?? {}) as Record<string, unknown>;
  const reasons: string[] = [];
  for (const [attribute, why] of Object.entries(DB_INSTANCE_DISRUPTIVE_ATTRIBUTES)) {
    if (unknown[attribute] === true || JSON.stringify(before[attribute]) === JSON.stringify(after[attribute])) continue;
    const from = JSON.stringify(before[attribute]);
    const to = JSON.stringify(after[attribute]);
    if (attribute === 'engine_version' && typeof before[attribute] === 'string' && typeof after[attribute] === 'string') {
      const [a, b] = [engineMajorVersion(before[attribute] as string), engineMajorVersion(after[attribute] as string)];
      if (a !== b) {
        reasons.push(
          `engine major-version upgrade ${a} -> ${b}: RDS takes the instance offline while it upgrades (minutes to an hour), ` +
            'the parameter group family changes with it, and there is no downgrade: snapshot first and test the upgrade on a copy',
        );
        continue;
      }
    }
    reasons.push(`${attribute} ${from} -> ${to}: ${why}`);
  }
  return reasons;
}

/** Every reference string under an expression tree of the plan's configuration. */
function referencesIn(expression: unknown, found: string[] = []): string[] {
  if (Array.isArray(expression)) {
    for (const item of expression) referencesIn(item, found);
  } else if (typeof expression === 'object' && expression !== null) {
    for (const [key, value] of Object.entries(expression)) {
      if (key === 'references' && Array.isArray(value)) found.push(...value.filter((v): v is string => typeof v === 'string'));
      else referencesIn(value, found);
    }
  }
  return found;
}

/**
 * For each resource address of the plan's configuration, the protected resources that reference it
 * (`vpc_security_group_ids = [aws_security_group.db.id]` makes the instance reference the group).
 */
export function protectedReferrers(plan: PlanJson, protectedTypes: ReadonlySet<string>): Map<string, string[]> {
  const resources = plan.configuration?.root_module?.resources ?? [];
  const addresses = resources.map((r) => r.address);
  const target = (reference: string) =>
    addresses.find((a) => reference === a || reference.startsWith(`${a}.`) || reference.startsWith(`${a}[`));
  const referrers = new Map<string, string[]>();
  for (const resource of resources) {
    if (!protectedTypes.has(resource.type) || (resource.mode ?? 'managed') !== 'managed') continue;
    for (const reference of referencesIn(resource.expressions)) {
      const address = target(reference);
      if (address === undefined || address === resource.address) continue;
      const list = referrers.get(address) ?? [];
      if (!list.includes(resource.address)) list.push(resource.address);
      referrers.set(address, list);
    }
  }
  return referrers;
}

/**
 * Classifies every managed resource change of `plan` and finds the blocking ones: deletions and
 * replacements of protected types, and deletions or delete-then-create replacements of a resource
 * a protected resource references (AWS refuses to delete a security group, DB subnet group,
 * parameter group or key in use, so such a plan fails half-applied). A create-then-delete
 * replacement (`create_before_destroy`) of a referenced resource moves the referrer first: it
 * needs attention, not a block. In-place database changes that restart or fail over need attention.
 */
export function reviewPlan(plan: PlanJson, options: ReviewOptions = {}): PlanReview {
  const protectedTypes = new Set(options.protectedTypes ?? DEFAULT_PROTECTED_TYPES);
  const allow = new Set(options.allow ?? []);
  const referrers = protectedReferrers(plan, protectedTypes);
  const changes: SummarizedChange[] = [];
  for (const rc of plan.resource_changes) {
    if (rc.mode !== 'managed') continue;
    const kind = actionKind(rc.change.actions);
    if (kind === undefined) continue;
    const removes = kind === 'delete' || kind === 'replace';
    const attention = attentionReasons(rc);
    const referencedBy = referrers.get(rc.address) ?? [];
    let protectedBecause: string | undefined;
    if (removes && !protectedTypes.has(rc.type) && referencedBy.length > 0) {
      if (rc.change.actions.join(',') === 'create,delete') {
        attention.push(`replaced before it is deleted (create_before_destroy): ${referencedBy.join(', ')} moves to the new one first`);
      } else {
        protectedBecause = `referenced by ${referencedBy.join(', ')}, which still uses it when it is deleted`;
      }
    }
    const risky = removes && (protectedTypes.has(rc.type) || protectedBecause !== undefined);
    changes.push({
      address: rc.address,
      type: rc.type,
      kind,
      forcedBy: (rc.change.replace_paths ?? []).map(formatAttributePath),
      // "cannot update" only restates that the attributes in replace_paths force a replacement.
      ...(rc.action_reason === undefined || rc.action_reason === 'replace_because_cannot_update' ? {} : { reason: rc.action_reason }),
      protected: risky,
      allowed: risky && allow.has(rc.address),
      ...(protectedBecause === undefined ? {} : { protectedBecause }),
      attention,
    });
  }
  const order = (c: SummarizedChange) => ACTION_KINDS.indexOf(c.kind);
  changes.sort((a, b) => order(a) - order(b) || a.address.localeCompare(b.address));
  return {
    changes,
    blocking: changes.filter((c) => c.protected && !c.allowed),
    attention: changes.filter((c) => c.attention.length > 0),
  };
}

const HEADINGS: Record<ActionKind, string> = {
  replace: 'Replace',
  delete: 'Delete',
  update: 'Update in place',
  create: 'Create',
  forget: 'Forget (removed from state, not destroyed)',
};

/** The HTML comment that marks a stack's pull request comment, so CI updates it instead of adding one. */
export function commentMarker(stack: string): string {
  return `<!-- plan-review:${stack} -->`;
}

/** Renders the review as Markdown: counts, blocking changes, then each action kind, risky ones first. */
export function renderMarkdown(review: PlanReview, stack?: string): string {
  const lines: string[] = [];
  if (stack !== undefined) lines.push(commentMarker(stack));
  lines.push(`### Terraform plan${stack === undefined ? '' : ` for \`${stack}\``}`, '');
  const count = (kind: ActionKind) => review.changes.filter((c) => c.kind === kind).length;
  if (review.changes.length === 0) {
    lines.push('No changes. The infrastructure matches the configuration.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(ACTION_KINDS.filter((k) => count(k) > 0).map((k) => `**${count(k)} to ${k}**`).join(', '), '');
  if (review.blocking.length > 0) {
    lines.push(
      `> [!CAUTION]`,
      `> **Blocked:** this plan deletes or replaces ${review.blocking.length} protected resource(s): ` +
        review.blocking.map((c) => `\`${c.address}\``).join(', ') +
        '. If that is intended, allow each address explicitly (`--allow <address>`, see docs/team-setup.md#4-review-and-apply).',
      '',
    );
  }
  if (review.attention.length > 0) {
    lines.push(`> [!WARNING]`, `> **Needs attention** (does not block): ${review.attention.length} change(s) restart, fail over or upgrade something.`);
    for (const c of review.attention) for (const reason of c.attention) lines.push(`> - \`${c.address}\`: ${reason}`);
    lines.push('');
  }
  for (const kind of ACTION_KINDS) {
    const changes = review.changes.filter((c) => c.kind === kind);
    if (changes.length === 0) continue;
    lines.push(`#### ${HEADINGS[kind]} (${changes.length})`, '');
    for (const c of changes) {
      const notes: string[] = [];
      if (c.forcedBy.length > 0) notes.push(`forced by ${c.forcedBy.map((p) => `\`${p}\``).join(', ')}`);
      if (c.reason !== undefined) notes.push(`reason: \`${c.reason}\``);
      if (c.protectedBecause !== undefined) notes.push(c.protectedBecause);
      if (c.protected) notes.push(c.allowed ? 'protected, **allowed**' : '**protected: blocked**');
      if (c.attention.length > 0) notes.push('**needs attention**');
      lines.push(`- \`${c.address}\`${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** The parts of a plan that must be equal for a fresh plan to be the reviewed one. */
function comparable(plan: PlanJson): Map<string, string> {
  const result = new Map<string, string>();
  for (const rc of plan.resource_changes) {
    if (actionKind(rc.change.actions) === undefined) continue;
    const { actions, after, after_unknown, replace_paths } = rc.change;
    result.set(`resource ${rc.address}`, JSON.stringify({ actions, after, after_unknown, replace_paths: replace_paths ?? [] }));
  }
  for (const [name, oc] of Object.entries(plan.output_changes ?? {})) {
    if (oc.actions.join(',') === 'no-op') continue;
    result.set(`output ${name}`, JSON.stringify({ actions: oc.actions, after: oc.after, after_unknown: oc.after_unknown }));
  }
  return result;
}

/**
 * Compares the changes of a reviewed plan and a fresh one: the same addresses with the same
 * actions, planned values, unknown values and replacement causes, and the same output changes.
 * Returns one line per difference; none means the fresh plan does what was reviewed.
 */
export function comparePlans(reviewed: PlanJson, fresh: PlanJson): string[] {
  const a = comparable(reviewed);
  const b = comparable(fresh);
  const differences: string[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!b.has(key)) differences.push(`${key}: in the reviewed plan only`);
    else if (!a.has(key)) differences.push(`${key}: in the fresh plan only (not reviewed)`);
    else if (a.get(key) !== b.get(key)) differences.push(`${key}: planned change differs from the reviewed one`);
  }
  return differences;
}

/** Where the command writes; tests pass their own. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw errors.unreadable(file, cause);
  }
}

/** Reads allowed addresses from a file: one per line, `#` starts a comment, blank lines ignored. */
function parseAllowFile(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}

/** Runs the command with `argv` (without node and the script) and returns its exit code. */
export function main(argv: readonly string[], io: Io): number {
  try {
    return run(argv, io);
  } catch (error) {
    if (error instanceof PlanReviewError) {
      io.stderr(`plan-review: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

function run(argv: readonly string[], io: Io): number {
  const files: string[] = [];
  const allow: string[] = [];
  let stack: string | undefined;
  let protectedTypes: string[] | undefined;
  let output: string | undefined;
  let compare = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw errors.usage(`${arg} needs a value.`);
      return next;
    };
    switch (arg) {
      case '--compare':
        compare = true;
        break;
      case '--stack':
        stack = value();
        break;
      case '--protected-types':
        protectedTypes = value().split(',').map((t) => t.trim()).filter((t) => t !== '');
        break;
      case '--allow':
        allow.push(value());
        break;
      case '--allow-file':
        allow.push(...parseAllowFile(readText(value())));
        break;
      case '--output':
        output = value();
        break;
      case '--help':
        io.stdout(`${USAGE}\n`);
        return EXIT_CODES.ok;
      default:
        if (arg.startsWith('--')) throw errors.usage(`Unknown option ${arg}.`);
        files.push(arg);
    }
  }

  if (compare) {
    if (files.length !== 2) throw errors.usage('--compare needs two files: the reviewed plan JSON and the fresh plan JSON.');
    const [reviewed, fresh] = files.map((file) => parsePlan(readText(file), file));
    const differences = comparePlans(reviewed, fresh);
    if (differences.length > 0) {
      io.stderr(
        `plan-review: the fresh plan differs from the reviewed plan (${files[0]}); nothing was applied.\n` +
          differences.map((d) => `  - ${d}\n`).join('') +
          'Open a pull request so that the current plan is reviewed (docs/team-setup.md#4-review-and-apply).\n',
      );
      return EXIT_CODES.plansDiffer;
    }
    io.stdout(`The fresh plan makes exactly the reviewed changes (${comparable(fresh).size} change(s)).\n`);
    return EXIT_CODES.ok;
  }

  if (files.length !== 1) throw errors.usage('Pass exactly one plan JSON file.');
  const plan = parsePlan(readText(files[0]), files[0]);
  const review = reviewPlan(plan, { protectedTypes, allow });
  const markdown = renderMarkdown(review, stack);
  io.stdout(markdown);
  if (output !== undefined) writeFileSync(output, markdown);
  if (review.blocking.length > 0) {
    io.stderr(`plan-review: blocked: deletes or replaces protected ${review.blocking.map((c) => c.address).join(', ')}\n`);
    return EXIT_CODES.blocked;
  }
  return EXIT_CODES.ok;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
