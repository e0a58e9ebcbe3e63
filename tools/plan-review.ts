/**
 * Plan guard: summarizes a `terraform show -json <planfile>` document as Markdown for the pull
 * request (changes, and the state operations: imports, moves, forgets), blocks plans that delete or
 * replace stateful resources or what they reference (a database's security group, subnet group,
 * parameter group, key) and plans that raise the Lambda's reserved concurrency beyond the
 * `max_connections` the database is still running with, marks restarts, failovers, major upgrades,
 * pending reboots and imports or forgets of stateful resources as needing attention, lists the
 * database migrations the apply runs (./plan-review-migrations.ts) and flags applied migrations
 * that were edited or removed, and compares a reviewed plan with a fresh one before it is applied.
 * docs/day-2.md lists the rules.
 *
 *   npm run --silent plan:review -- [--stack NAME] [--protected-types T,T] [--allow ADDRESS]...
 *                                   [--allow-file FILE] [--output FILE] <plan.json>
 *   npm run --silent plan:review -- --compare <reviewed-plan.json> <fresh-plan.json>
 *
 * Exit codes: see {@link EXIT_CODES}.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { maxLambdaConnections, RESERVED_DB_CONNECTIONS } from '../config/derived';
import { migrationPlan, migrationsToRunLine, renderMigrations, type MigrationPlan } from './plan-review-migrations';

/** Every exit code of the command, one meaning each, so CI can tell a risky plan from a broken input. */
export const EXIT_CODES = {
  /** The plan is summarized and touches no protected resource (or only allowed ones); plans match. */
  ok: 0,
  /**
   * The plan deletes or replaces a protected resource that no `--allow` names, or raises reserved
   * concurrency beyond the `max_connections` the database runs with until its reboot.
   */
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
 * Resource types whose deletion or replacement deletes nothing in AWS, with the reason: they are
 * never protected, whatever `--protected-types` lists or references them, and their entries say so.
 */
export const STATE_ONLY_TYPES: Readonly<Record<string, string>> = {
  // https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/lambda_invocation
  aws_lambda_invocation:
    'an aws_lambda_invocation records one invocation of a function and owns nothing in AWS: with lifecycle_scope CREATE_ONLY (the default) ' +
    'its delete only removes it from the state, and a replacement invokes the function again',
};

/**
 * The plan JSON format versions this tool reads: major version 1, whose minor versions only add
 * fields. Source: https://developer.hashicorp.com/terraform/internals/json-format
 */
const SUPPORTED_FORMAT_MAJOR = 1;

/**
 * What a resource change does to the infrastructure. `no-op` changes nothing: such a change is
 * listed only when it imports or moves the resource.
 */
export type ActionKind = 'replace' | 'delete' | 'forget' | 'update' | 'create' | 'no-op';

/**
 * The sections of the summary, in the order it lists them, the risky ones first: each action that
 * changes something, and the two state operations that can come with any action, `import` (an
 * `import` block) and `move` (a `moved` block). A forget (a `removed` block with `destroy = false`)
 * is an action of its own in the plan.
 */
const SECTIONS = ['replace', 'delete', 'forget', 'import', 'move', 'update', 'create'] as const;
export type Section = (typeof SECTIONS)[number];

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
  /** The state the plan started from, whose `depends_on` name what each resource depended on when applied. */
  readonly prior_state?: { readonly values?: { readonly root_module?: { readonly resources?: readonly StateResourceJson[] } } };
}

/** One resource of the plan's `prior_state.values.root_module.resources`. */
export interface StateResourceJson {
  readonly address: string;
  readonly type: string;
  readonly mode?: string;
  /** The resources it depended on when it was last applied. */
  readonly depends_on?: readonly string[];
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
  /** The address in the prior state when a `moved` block moves the resource. */
  readonly previous_address?: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    readonly after_unknown?: unknown;
    readonly replace_paths?: readonly (readonly (string | number)[])[];
    /**
     * Set when an `import` block imports the resource: the import `id` (or, from Terraform 1.12,
     * the resource `identity`); `unknown` when the id is known only at apply.
     */
    readonly importing?: { readonly id?: string; readonly identity?: unknown; readonly unknown?: boolean };
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

/** What one resource change does, or undefined for a read (a data source) and actions this tool does not know. */
function actionKind(actions: readonly string[]): ActionKind | undefined {
  const key = actions.join(',');
  switch (key) {
    case 'no-op':
      return 'no-op';
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
  /** What it does to the infrastructure; `no-op` when it only imports or moves the resource. */
  readonly kind: ActionKind;
  /**
   * The import id when an `import` block imports the resource (from Terraform 1.12, the JSON of
   * the resource identity when the block gives one); `(known after apply)` when the plan has none yet.
   * @default - not imported
   */
  readonly importId?: string;
  /**
   * The resource's address in the prior state when a `moved` block moves it.
   * @default - not moved
   */
  readonly movedFrom?: string;
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
  /**
   * Why the plan must not make this change, whatever `--allow` says: it raises the Lambda's reserved
   * concurrency beyond the connections the database serves until a reboot the plan cannot do.
   * @default - not refused
   */
  readonly refusedBecause?: string;
  /**
   * Why a reviewer should look twice (a restart, a failover, a major upgrade, a pending reboot, an
   * import or forget of something stateful); empty when none.
   */
  readonly attention: readonly string[];
}

/** The review of one plan. */
export interface PlanReview {
  /** Every managed resource change that changes something, imports or moves, in summary order. */
  readonly changes: readonly SummarizedChange[];
  /**
   * Protected deletions and replacements that no `--allow` names, and refused changes: the plan is
   * blocked when any.
   */
  readonly blocking: readonly SummarizedChange[];
  /**
   * Changes that need attention but do not block: restarts, failovers, major upgrades, reboots, imports
   * and forgets, and migration invocations that would run an edited, removed or out-of-order migration.
   */
  readonly attention: readonly SummarizedChange[];
  /** The migrations each created, replaced or updated migration invocation runs (./plan-review-migrations.ts); empty when none. */
  readonly migrations: readonly MigrationPlan[];
}

/** Options of {@link reviewPlan}. */
export interface ReviewOptions {
  /**
   * Resource types whose deletion or replacement blocks the plan, and whose import or forget needs attention.
   * @default DEFAULT_PROTECTED_TYPES
   */
  readonly protectedTypes?: readonly string[];
  /**
   * Exact resource addresses whose deletion or replacement is allowed.
   * @default - none
   */
  readonly allow?: readonly string[];
}

/** True when `change` belongs in `section` of the summary; an imported or moved change is also in its action's section. */
export function inSection(change: SummarizedChange, section: Section): boolean {
  if (section === 'import') return change.importId !== undefined;
  if (section === 'move') return change.movedFrom !== undefined;
  return change.kind === section;
}

/** How many changes each section lists, in summary order, for the sections that list any. */
export function sectionCounts(review: PlanReview): [Section, number][] {
  return SECTIONS.map((s) => [s, review.changes.filter((c) => inSection(c, s)).length] as [Section, number]).filter(([, n]) => n > 0);
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

/** Attributes of {@link DB_INSTANCE_DISRUPTIVE_ATTRIBUTES} whose change restarts the instance, which applies its pending-reboot parameters too. */
const DB_INSTANCE_RESTARTING_ATTRIBUTES: readonly string[] = ['instance_class', 'engine_version'];

/**
 * The AWS CLI command that reboots a DB instance: a reboot applies the parameters RDS keeps at
 * `pending-reboot` (static parameters, and the parameters of a newly associated group).
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RebootInstance.html
 */
export function rebootCommand(identifier: string): string {
  return `aws rds reboot-db-instance --db-instance-identifier ${identifier}`;
}

/** The identifier of the DB instance whose state values are `values`, or a placeholder naming its address. */
function instanceIdentifier(values: unknown, address: string): string {
  const identifier = (values as Record<string, unknown> | null | undefined)?.identifier;
  return typeof identifier === 'string' ? identifier : `<identifier of ${address}>`;
}

/**
 * Why an in-place update of `rc` needs attention: one reason per disruptive attribute it changes,
 * and a move to another parameter group when nothing in the change restarts the instance (RDS
 * applies the new group's static parameters only at a reboot:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.Associating.html).
 */
export function attentionReasons(rc: ResourceChangeJson): string[] {
  if (rc.type !== 'aws_db_instance' || actionKind(rc.change.actions) !== 'update') return [];
  const before = (rc.change.before ?? {}) as Record<string, unknown>;
  const after = (rc.change.after ?? {}) as Record<string, unknown>;
  const unknown = (rc.change.after_unknown ?? {}) as Record<string, unknown>;
  const reasons: string[] = [];
  const changes = (attribute: string) => unknown[attribute] === true || JSON.stringify(before[attribute]) !== JSON.stringify(after[attribute]);
  for (const [attribute, why] of Object.entries(DB_INSTANCE_DISRUPTIVE_ATTRIBUTES)) {
    if (unknown[attribute] === true || !changes(attribute)) continue;
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
  if (changes('parameter_group_name') && !DB_INSTANCE_RESTARTING_ATTRIBUTES.some(changes)) {
    const to = unknown.parameter_group_name === true ? '(known after apply)' : JSON.stringify(after.parameter_group_name);
    reasons.push(
      `parameter_group_name ${JSON.stringify(before.parameter_group_name)} -> ${to}: RDS applies the new group's static parameters ` +
        `only at the next reboot, which nothing in this plan does; after the apply: \`${rebootCommand(instanceIdentifier(before, rc.address))}\``,
    );
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

/** A resource instance's address without its `count` or `for_each` key: `aws_x.y["a"]` gives `aws_x.y`. */
function resourceAddress(address: string): string {
  return address.replace(/\[[^\]]*\]$/, '');
}

/**
 * For each resource address of the plan's prior state, the protected resources that depended on it
 * when they were last applied (the state's `depends_on`). A resource that a `removed` block takes
 * out of the configuration is no longer referenced there; the state still says who used it.
 */
export function protectedDependents(plan: PlanJson, protectedTypes: ReadonlySet<string>): Map<string, string[]> {
  const dependents = new Map<string, string[]>();
  for (const resource of plan.prior_state?.values?.root_module?.resources ?? []) {
    if (!protectedTypes.has(resource.type) || (resource.mode ?? 'managed') !== 'managed') continue;
    for (const dependency of resource.depends_on ?? []) {
      const list = dependents.get(dependency) ?? [];
      if (!list.includes(resource.address)) list.push(resource.address);
      dependents.set(dependency, list);
    }
  }
  return dependents;
}

/** The import id of a change's `importing`, or undefined when the change imports nothing. */
function importIdOf(importing: ResourceChangeJson['change']['importing']): string | undefined {
  if (importing === undefined || importing === null) return undefined;
  if (typeof importing.id === 'string') return importing.id;
  if (importing.identity !== undefined) return JSON.stringify(importing.identity);
  return '(known after apply)';
}

/**
 * Why an import or a forget needs attention: the resource is of a protected type, or protected
 * resources reference it (`referencedBy`: in the configuration, or in the prior state for a forget).
 */
function stateOperationReasons(rc: ResourceChangeJson, kind: ActionKind, importId: string | undefined, protectedType: boolean, referencedBy: readonly string[]): string[] {
  const reasons: string[] = [];
  const users = referencedBy.map((a) => `\`${a}\``).join(', ');
  if (importId !== undefined) {
    if (protectedType) {
      reasons.push(
        `imports an existing ${rc.type} (import id \`${importId}\`), a protected type: check that the id names the intended one and that no other ` +
          "state still manages it (both would change it, and either one's destroy deletes it)",
      );
    } else if (referencedBy.length > 0) {
      reasons.push(
        `imports the ${rc.type} that ${users} references (import id \`${importId}\`): check that the id names the one it uses today, ` +
          'or the apply moves it onto the imported one',
      );
    }
  }
  if (kind === 'forget') {
    if (protectedType) {
      reasons.push(
        `forgets the ${rc.type}, a protected type: Terraform stops managing it but does not destroy it, so it keeps its data and its cost; ` +
          'import it into the state that takes it over, or delete it on purpose',
      );
    } else if (referencedBy.length > 0) {
      reasons.push(
        `forgets the ${rc.type} that ${users} depended on when last applied: they keep using it, but no plan of this stack shows ` +
          'changes to it any more; import it into the state that takes it over',
      );
    }
  }
  return reasons;
}

/** A parameter of an `aws_db_parameter_group`'s `parameter` set, as the plan shows it. */
interface DbParameter {
  readonly name: string;
  readonly value: string;
  readonly apply_method?: string;
}

/** The `parameter` set of a parameter group's plan values, by name; undefined when unknown. */
function parametersOf(values: unknown): Map<string, DbParameter> | undefined {
  const list = (values as Record<string, unknown> | null | undefined)?.parameter;
  if (!Array.isArray(list)) return undefined;
  return new Map((list as DbParameter[]).filter((p) => typeof p?.name === 'string').map((p) => [p.name, p]));
}

/** An existing DB instance that keeps running with its parameter group's old static values until it reboots. */
export interface RebootingInstance {
  /** Its resource address. */
  readonly address: string;
  /** Its RDS identifier, or `<identifier of ADDRESS>` when the plan does not show it. */
  readonly identifier: string;
}

/**
 * One in-place change of an `aws_db_parameter_group` parameter applied with `pending-reboot`
 * (a static parameter such as `max_connections`), in a group that DB instances use: they run with
 * the old value until they reboot, and nothing in a plan reboots them.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.Modifying.html
 */
export interface PendingRebootChange {
  /** The parameter group's address. */
  readonly parameterGroup: string;
  /** The parameter's name, such as `max_connections`. */
  readonly parameter: string;
  /** The value the instances run with until they reboot; undefined when the group left it at the engine default. */
  readonly before?: string;
  /** The value they get at their reboot; undefined when the change resets it to the engine default. */
  readonly after?: string;
  /** The existing instances that use the group and are neither created nor replaced by the plan. */
  readonly instances: readonly RebootingInstance[];
}

/**
 * The existing DB instances that use the parameter group of `group`: in the configuration (their
 * `parameter_group_name` refers to it) or in the prior state (the group's name), leaving out those
 * the plan creates, replaces or deletes (a new instance starts with the group's values).
 */
function instancesUsing(plan: PlanJson, group: ResourceChangeJson): RebootingInstance[] {
  const groupName = (group.change.before as Record<string, unknown> | null | undefined)?.name;
  const base = resourceAddress(group.address);
  const fromConfiguration = (plan.configuration?.root_module?.resources ?? [])
    .filter((r) => r.type === 'aws_db_instance' && (r.mode ?? 'managed') === 'managed')
    .filter((r) => referencesIn(r.expressions?.parameter_group_name).some((ref) => ref === base || ref.startsWith(`${base}.`)))
    .map((r) => r.address);
  const found: RebootingInstance[] = [];
  for (const rc of plan.resource_changes) {
    if (rc.mode !== 'managed' || rc.type !== 'aws_db_instance') continue;
    const before = rc.change.before as Record<string, unknown> | null | undefined;
    const kind = actionKind(rc.change.actions);
    if (before === null || before === undefined || (kind !== 'update' && kind !== 'no-op')) continue;
    const usesGroup = fromConfiguration.includes(resourceAddress(rc.address)) || (typeof groupName === 'string' && before.parameter_group_name === groupName);
    if (usesGroup) found.push({ address: rc.address, identifier: instanceIdentifier(before, rc.address) });
  }
  return found;
}

/**
 * Every in-place change of a `pending-reboot` parameter in a parameter group that an existing
 * `aws_db_instance` uses: a new or changed value, or a parameter removed from the group (reset to
 * the engine default at the reboot).
 */
export function pendingRebootChanges(plan: PlanJson): PendingRebootChange[] {
  const found: PendingRebootChange[] = [];
  for (const rc of plan.resource_changes) {
    if (rc.mode !== 'managed' || rc.type !== 'aws_db_parameter_group' || actionKind(rc.change.actions) !== 'update') continue;
    if ((rc.change.after_unknown as Record<string, unknown> | undefined)?.parameter === true) continue;
    const before = parametersOf(rc.change.before) ?? new Map<string, DbParameter>();
    const after = parametersOf(rc.change.after) ?? new Map<string, DbParameter>();
    const changed: { parameter: string; before?: string; after?: string }[] = [];
    for (const [name, p] of after) {
      if (p.apply_method === 'pending-reboot' && before.get(name)?.value !== p.value) changed.push({ parameter: name, before: before.get(name)?.value, after: p.value });
    }
    for (const [name, p] of before) {
      if (p.apply_method === 'pending-reboot' && !after.has(name)) changed.push({ parameter: name, before: p.value });
    }
    if (changed.length === 0) continue;
    const instances = instancesUsing(plan, rc);
    if (instances.length === 0) continue;
    for (const c of changed) {
      found.push({ parameterGroup: rc.address, ...c, instances });
    }
  }
  return found;
}

/** Why a reviewer must see a pending-reboot change: what the instances keep running with, and the reboot each needs. */
function pendingRebootReason(change: PendingRebootChange): string {
  const from = change.before ?? 'the engine default';
  const to = change.after ?? 'the engine default';
  const instances = change.instances.map((i) => `\`${i.address}\``).join(', ');
  const reboots = change.instances.map((i) => `\`${rebootCommand(i.identifier)}\``).join(', then ');
  return (
    `${change.parameter} ${from} -> ${to} waits for a reboot (apply_method pending-reboot): ${instances} keep${change.instances.length === 1 ? 's' : ''} ` +
    `running with ${from} until then, and nothing in this plan reboots; after the apply, in a quiet moment (a reboot is a short outage): ${reboots}`
  );
}

/** The `reserved_concurrent_executions` of a Lambda's plan values, or undefined when unset or unknown. */
function reservedConcurrency(values: unknown): number | undefined {
  const value = (values as Record<string, unknown> | null | undefined)?.reserved_concurrent_executions;
  return typeof value === 'number' ? value : undefined;
}

/**
 * The Lambda changes a plan must not make, with the reason: raising reserved concurrency beyond
 * what the database serves while a `max_connections` change waits for its reboot. Each warm
 * container holds one connection, and the instance keeps its old `max_connections` until it
 * reboots, so the new concurrency would have only the old budget
 * (`maxLambdaConnections` in config/derived.ts). "Raising" covers a new function too, and a
 * reserved concurrency of -1 (unreserved) before counts as no raise.
 */
export function concurrencyRefusals(plan: PlanJson, reboots: readonly PendingRebootChange[]): Map<string, string> {
  const refusals = new Map<string, string>();
  const maxConnections = reboots.filter((r) => r.parameter === 'max_connections');
  if (maxConnections.length === 0) return refusals;
  const running = maxConnections.map((r) => (r.before === undefined ? Number.NaN : Number(r.before)));
  const known = running.every((n) => Number.isInteger(n) && n > 0);
  const runningMax = known ? Math.min(...running) : undefined;
  const budget = runningMax === undefined ? undefined : maxLambdaConnections(runningMax);
  const instances = [...new Set(maxConnections.flatMap((r) => r.instances.map((i) => i.address)))].map((a) => `\`${a}\``).join(', ');
  const reboot = [...new Set(maxConnections.flatMap((r) => r.instances.map((i) => rebootCommand(i.identifier))))].map((c) => `\`${c}\``).join(', ');
  const pending = [...new Set(maxConnections.map((r) => r.after ?? 'the engine default'))].join(', ');
  for (const rc of plan.resource_changes) {
    if (rc.mode !== 'managed' || rc.type !== 'aws_lambda_function') continue;
    const kind = actionKind(rc.change.actions);
    if (kind !== 'create' && kind !== 'update' && kind !== 'replace') continue;
    const after = reservedConcurrency(rc.change.after);
    const before = reservedConcurrency(rc.change.before);
    if (after === undefined || after < 0) continue;
    const raises = before === undefined ? true : before >= 0 && after > before;
    if (!raises || (budget !== undefined && after <= budget)) continue;
    const runs =
      runningMax === undefined
        ? 'runs with a max_connections this plan does not show (the engine default)'
        : `runs with max_connections ${runningMax} (${budget} for Lambda containers, one connection each, after the ${RESERVED_DB_CONNECTIONS} kept for RDS and operators)`;
    refusals.set(
      rc.address,
      `reserved concurrency ${before ?? 'unset'} -> ${after} is more than the database serves until it reboots: ${instances} ${runs} ` +
        `while this plan's max_connections ${pending} waits for the reboot. Apply it in two reviewed steps: first the max_connections change alone, ` +
        `then reboot (${reboot}) and check \`SHOW max_connections\`; then the concurrency, in a plan of its own ` +
        '(docs/day-2.md, "Raising max_connections and the reserved concurrency")',
    );
  }
  return refusals;
}

/**
 * Classifies every managed resource change of `plan` that changes, imports or moves something and
 * finds the blocking ones: deletions and replacements of protected types, deletions or
 * delete-then-create replacements of a resource a protected resource references (AWS refuses to
 * delete a security group, DB subnet group, parameter group or key in use, so such a plan fails
 * half-applied), and reserved concurrency raised beyond the `max_connections` the database runs
 * with until a pending reboot ({@link concurrencyRefusals}; no `--allow` lifts it). A
 * create-then-delete replacement (`create_before_destroy`) of a referenced resource moves the
 * referrer first: it needs attention, not a block. Needing attention too: in-place database
 * changes that restart or fail over, pending-reboot parameter changes of a group an instance uses,
 * and imports and forgets of protected types or of what protected resources reference.
 */
export function reviewPlan(plan: PlanJson, options: ReviewOptions = {}): PlanReview {
  const protectedTypes = new Set(options.protectedTypes ?? DEFAULT_PROTECTED_TYPES);
  const allow = new Set(options.allow ?? []);
  const referrers = protectedReferrers(plan, protectedTypes);
  const dependents = protectedDependents(plan, protectedTypes);
  const reboots = pendingRebootChanges(plan);
  const refusals = concurrencyRefusals(plan, reboots);
  const changes: SummarizedChange[] = [];
  const migrations: MigrationPlan[] = [];
  for (const rc of plan.resource_changes) {
    if (rc.mode !== 'managed') continue;
    const kind = actionKind(rc.change.actions);
    if (kind === undefined) continue;
    const importId = importIdOf(rc.change.importing);
    const movedFrom = rc.previous_address;
    if (kind === 'no-op' && importId === undefined && movedFrom === undefined) continue;
    const removes = (kind === 'delete' || kind === 'replace') && STATE_ONLY_TYPES[rc.type] === undefined;
    const attention = attentionReasons(rc);
    const migration = migrationPlan(rc);
    if (migration !== undefined) {
      migrations.push(migration);
      attention.push(...migration.attention);
    }
    const referencedBy = referrers.get(resourceAddress(rc.address)) ?? [];
    let protectedBecause: string | undefined;
    if (removes && !protectedTypes.has(rc.type) && referencedBy.length > 0) {
      if (rc.change.actions.join(',') === 'create,delete') {
        attention.push(`replaced before it is deleted (create_before_destroy): ${referencedBy.join(', ')} moves to the new one first`);
      } else {
        protectedBecause = `referenced by ${referencedBy.join(', ')}, which still uses it when it is deleted`;
      }
    }
    const usedBy = [...new Set([...referencedBy, ...(dependents.get(resourceAddress(rc.address)) ?? [])])];
    attention.push(...stateOperationReasons(rc, kind, importId, protectedTypes.has(rc.type), usedBy));
    attention.push(...reboots.filter((r) => r.parameterGroup === rc.address).map(pendingRebootReason));
    const risky = removes && (protectedTypes.has(rc.type) || protectedBecause !== undefined);
    const refusedBecause = refusals.get(rc.address);
    changes.push({
      address: rc.address,
      type: rc.type,
      kind,
      ...(importId === undefined ? {} : { importId }),
      ...(movedFrom === undefined ? {} : { movedFrom }),
      forcedBy: (rc.change.replace_paths ?? []).map(formatAttributePath),
      ...(rc.action_reason === undefined || RESTATED_REASONS[kind]?.includes(rc.action_reason) ? {} : { reason: rc.action_reason }),
      protected: risky,
      allowed: risky && allow.has(rc.address),
      ...(protectedBecause === undefined ? {} : { protectedBecause }),
      ...(refusedBecause === undefined ? {} : { refusedBecause }),
      attention,
    });
  }
  const order = (c: SummarizedChange) => SECTIONS.findIndex((s) => inSection(c, s));
  changes.sort((a, b) => order(a) - order(b) || a.address.localeCompare(b.address));
  return {
    changes,
    blocking: changes.filter((c) => (c.protected && !c.allowed) || c.refusedBecause !== undefined),
    attention: changes.filter((c) => c.attention.length > 0),
    migrations: migrations.sort((a, b) => a.address.localeCompare(b.address)),
  };
}

/**
 * Terraform's action reasons, per action, that only restate what the summary shows: on a replace,
 * "cannot update" says that the attributes in `replace_paths` force it; on a forget, "no resource
 * config" says that a `removed` block took the resource out of the configuration. On a delete
 * the same reason says why the resource goes, so it stays there.
 */
const RESTATED_REASONS: Partial<Record<ActionKind, readonly string[]>> = {
  replace: ['replace_because_cannot_update'],
  forget: ['delete_because_no_resource_config'],
};

const HEADINGS: Record<Section, string> = {
  replace: 'Replace',
  delete: 'Delete',
  forget: 'Forget (removed from state, not destroyed)',
  import: 'Import (existing object into the state)',
  move: 'Move (new address in the state)',
  update: 'Update in place',
  create: 'Create',
};

/** How an entry of the Import or Move section says what else the plan does to the resource. */
const THEN: Record<ActionKind, string> = {
  replace: 'then replaced',
  delete: 'then deleted',
  forget: 'then forgotten',
  update: 'then updated in place',
  create: 'then created',
  'no-op': 'no other change',
};

/** The HTML comment that marks a stack's pull request comment, so CI updates it instead of adding one. */
export function commentMarker(stack: string): string {
  return `<!-- plan-review:${stack} -->`;
}

/** The notes of one entry of `section`: why it is forced, protected, refused or needs attention. */
function entryNotes(c: SummarizedChange, section: Section): string[] {
  const notes: string[] = [];
  if (section === 'import' || section === 'move') notes.push(THEN[c.kind]);
  else {
    if (c.importId !== undefined) notes.push(`imported from \`${c.importId}\``);
    if (c.movedFrom !== undefined) notes.push(`moved from \`${c.movedFrom}\``);
  }
  if (c.forcedBy.length > 0) notes.push(`forced by ${c.forcedBy.map((p) => `\`${p}\``).join(', ')}`);
  if (c.reason !== undefined) notes.push(`reason: \`${c.reason}\``);
  if ((section === 'replace' || section === 'delete') && STATE_ONLY_TYPES[c.type] !== undefined) notes.push('deletes nothing in AWS');
  if (c.protectedBecause !== undefined) notes.push(c.protectedBecause);
  if (c.protected) notes.push(c.allowed ? 'protected, **allowed**' : '**protected: blocked**');
  if (c.refusedBecause !== undefined) notes.push('**blocked: concurrency beyond the running max_connections**');
  if (c.attention.length > 0) notes.push('**needs attention**');
  return notes;
}

/** Renders the review as Markdown: counts, blocking changes, attention, then each section, risky ones first. */
export function renderMarkdown(review: PlanReview, stack?: string): string {
  const lines: string[] = [];
  if (stack !== undefined) lines.push(commentMarker(stack));
  lines.push(`### Terraform plan${stack === undefined ? '' : ` for \`${stack}\``}`, '');
  if (review.changes.length === 0) {
    lines.push('No changes. The infrastructure matches the configuration.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(sectionCounts(review).map(([s, n]) => `**${n} to ${s}**`).join(', '), '');
  const protectedBlocks = review.blocking.filter((c) => c.protected && !c.allowed);
  if (protectedBlocks.length > 0) {
    lines.push(
      `> [!CAUTION]`,
      `> **Blocked:** this plan deletes or replaces ${protectedBlocks.length} protected resource(s): ` +
        protectedBlocks.map((c) => `\`${c.address}\``).join(', ') +
        '. If that is intended, allow each address explicitly (`--allow <address>`, see docs/team-setup.md#4-review-and-apply).',
      '',
    );
  }
  const refused = review.blocking.filter((c) => c.refusedBecause !== undefined);
  if (refused.length > 0) {
    lines.push(`> [!CAUTION]`, `> **Blocked:** this plan raises reserved concurrency beyond the connections the database runs with until it reboots (no \`--allow\` lifts this):`);
    for (const c of refused) lines.push(`> - \`${c.address}\`: ${c.refusedBecause}`);
    lines.push('');
  }
  if (review.attention.length > 0) {
    lines.push(
      `> [!WARNING]`,
      `> **Needs attention** (does not block): ${review.attention.length} change(s) restart, fail over, upgrade, wait for a reboot, import or forget something, or run migrations the migration function refuses.`,
    );
    for (const c of review.attention) for (const reason of c.attention) lines.push(`> - \`${c.address}\`: ${reason}`);
    lines.push('');
  }
  lines.push(...renderMigrations(review.migrations));
  for (const section of SECTIONS) {
    const changes = review.changes.filter((c) => inSection(c, section));
    if (changes.length === 0) continue;
    lines.push(`#### ${HEADINGS[section]} (${changes.length})`, '');
    for (const c of changes) {
      const notes = entryNotes(c, section);
      const entry =
        section === 'import' ? `\`${c.address}\` from import id \`${c.importId}\`` : section === 'move' ? `\`${c.movedFrom}\` → \`${c.address}\`` : `\`${c.address}\``;
      lines.push(`- ${entry}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** The parts of a plan that must be equal for a fresh plan to be the reviewed one: every change, import, move and forget, and the output changes. */
function comparable(plan: PlanJson): Map<string, string> {
  const result = new Map<string, string>();
  for (const rc of plan.resource_changes) {
    const kind = actionKind(rc.change.actions);
    const importing = rc.change.importing ?? null;
    const previous_address = rc.previous_address ?? null;
    if (kind === undefined || (kind === 'no-op' && importing === null && previous_address === null)) continue;
    const { actions, after, after_unknown, replace_paths } = rc.change;
    result.set(`resource ${rc.address}`, JSON.stringify({ actions, after, after_unknown, replace_paths: replace_paths ?? [], importing, previous_address }));
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
    else if (a.get(key) !== b.get(key)) differences.push(`${key}: planned change differs from the reviewed one${migrationDifference(reviewed, fresh, key)}`);
  }
  return differences;
}

/** The migration plans of `plan`'s changes, as {@link reviewPlan} finds them. */
function migrationPlans(plan: PlanJson): MigrationPlan[] {
  return plan.resource_changes.map(migrationPlan).filter((m): m is MigrationPlan => m !== undefined);
}

/**
 * For a differing migration invocation (`key` is `resource <address>`), what the two plans run:
 * ` (reviewed: migrations to run: a; fresh: migrations to run: a, b)`; empty for other resources
 * or when both run the same migrations.
 */
function migrationDifference(reviewed: PlanJson, fresh: PlanJson, key: string): string {
  const address = key.replace(/^resource /, '');
  const [a, b] = [reviewed, fresh].map((p) => migrationPlans(p).filter((m) => m.address === address));
  if (a.length === 0 && b.length === 0) return '';
  const [ra, rb] = [a, b].map(migrationsToRunLine);
  return ra === rb ? '' : ` (reviewed: ${ra}; fresh: ${rb})`;
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
    const migrations = migrationPlans(fresh);
    io.stdout(
      `The fresh plan makes exactly the reviewed changes (${comparable(fresh).size} change(s))` +
        `${migrations.length === 0 ? '' : `; ${migrationsToRunLine(migrations)}`}.\n`,
    );
    return EXIT_CODES.ok;
  }

  if (files.length !== 1) throw errors.usage('Pass exactly one plan JSON file.');
  const plan = parsePlan(readText(files[0]), files[0]);
  const review = reviewPlan(plan, { protectedTypes, allow });
  const markdown = renderMarkdown(review, stack);
  io.stdout(markdown);
  if (output !== undefined) writeFileSync(output, markdown);
  const protectedBlocks = review.blocking.filter((c) => c.protected && !c.allowed);
  if (protectedBlocks.length > 0) io.stderr(`plan-review: blocked: deletes or replaces protected ${protectedBlocks.map((c) => c.address).join(', ')}\n`);
  const refused = review.blocking.filter((c) => c.refusedBecause !== undefined);
  if (refused.length > 0) {
    io.stderr(
      `plan-review: blocked: raises the reserved concurrency of ${refused.map((c) => c.address).join(', ')} beyond the max_connections ` +
        'the database runs with until it reboots; apply the max_connections change and reboot first, then the concurrency\n',
    );
  }
  if (review.blocking.length > 0) return EXIT_CODES.blocked;
  return EXIT_CODES.ok;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
