/**
 * The rules of tools/plan-review.ts on small plan JSON fixtures, shaped as `terraform show -json`
 * writes them (the real plans are in plan-review.test.ts, plan-review-state-operations.test.ts and
 * stacks/change-impact.test.ts): imports, moves and forgets; what needs attention about them;
 * pending-reboot parameters; reserved concurrency against the running max_connections.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { maxLambdaConnections, RESERVED_DB_CONNECTIONS } from '../../config/derived';
import {
  attentionReasons,
  comparePlans,
  concurrencyRefusals,
  EXIT_CODES,
  main,
  pendingRebootChanges,
  rebootCommand,
  renderMarkdown,
  reviewPlan,
  type PlanJson,
  type ResourceChangeJson,
} from '../../tools/plan-review';
import { scratchDir } from '../support/scratch';

type Change = ResourceChangeJson['change'];

/** One managed resource change of `address` (`type.name`). */
function rc(address: string, actions: string[], change: Partial<Change> = {}, extra: Partial<ResourceChangeJson> = {}): ResourceChangeJson {
  return { address, mode: 'managed', type: address.split('.')[0], change: { actions, before: null, after: null, ...change }, ...extra };
}

/** A plan of `changes`, with `extra` top-level fields (configuration, prior_state). */
function plan(changes: ResourceChangeJson[], extra: Partial<PlanJson> = {}): PlanJson {
  return { format_version: '1.2', resource_changes: changes, ...extra };
}

/** Runs the command on `p`, written to a scratch file, with `args` before the file. */
function review(p: PlanJson, args: string[] = []) {
  let stdout = '';
  let stderr = '';
  const file = path.join(scratchDir('plan-review-rules-'), 'plan.json');
  writeFileSync(file, JSON.stringify(p));
  const exitCode = main([...args, file], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { exitCode, stdout, stderr };
}

describe('imports, moves and forgets', () => {
  const importOnly = rc('aws_iam_role.app', ['no-op'], { before: { name: 'app' }, after: { name: 'app' }, importing: { id: 'app' } });
  const moveOnly = rc('aws_sns_topic.alerts', ['no-op'], { before: {}, after: {} }, { previous_address: 'aws_sns_topic.alarms' });

  it('lists an import without a diff instead of saying "No changes"', () => {
    const { exitCode, stdout } = review(plan([importOnly]));
    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(stdout).not.toContain('No changes');
    expect(stdout).toContain('**1 to import**');
    expect(stdout).toContain('- `aws_iam_role.app` from import id `app` (no other change)');
  });

  it('lists a move without a diff as old address → new address', () => {
    const { stdout } = review(plan([moveOnly]));
    expect(stdout).toContain('**1 to move**');
    expect(stdout).toContain('#### Move (new address in the state) (1)\n\n- `aws_sns_topic.alarms` → `aws_sns_topic.alerts` (no other change)');
  });

  it('shows an import with a diff as an import, and as the update it also is', () => {
    const importAndUpdate = rc('aws_iam_role.app', ['update'], { before: { description: null }, after: { description: 'x' }, importing: { id: 'app' } });
    const r = reviewPlan(plan([importAndUpdate]));
    expect(r.changes).toEqual([expect.objectContaining({ kind: 'update', importId: 'app' })]);
    const markdown = renderMarkdown(r);
    expect(markdown).toContain('**1 to import**, **1 to update**');
    expect(markdown).toContain('- `aws_iam_role.app` from import id `app` (then updated in place)');
    expect(markdown).toContain('#### Update in place (1)\n\n- `aws_iam_role.app` (imported from `app`)');
  });

  it('names a move in the section of the change that comes with it', () => {
    const moveAndReplace = rc('aws_sns_topic.alerts', ['delete', 'create'], { replace_paths: [['name']] }, { previous_address: 'aws_sns_topic.alarms' });
    const markdown = renderMarkdown(reviewPlan(plan([moveAndReplace])));
    expect(markdown).toContain('- `aws_sns_topic.alarms` → `aws_sns_topic.alerts` (then replaced; forced by `name`)');
    expect(markdown).toContain('- `aws_sns_topic.alerts` (moved from `aws_sns_topic.alarms`; forced by `name`)');
  });

  it('writes an import id that is known only at apply as such', () => {
    const deferred = rc('aws_iam_role.app', ['no-op'], { importing: { unknown: true } });
    expect(reviewPlan(plan([deferred])).changes[0].importId).toBe('(known after apply)');
  });

  it('lists forgets, imports and moves after deletions and before updates, and counts each', () => {
    const forget = rc('aws_iam_role.old', ['forget'], { before: {} }, { action_reason: 'delete_because_no_resource_config' });
    const update = rc('aws_iam_role.other', ['update'], { before: { a: 1 }, after: { a: 2 } });
    const markdown = renderMarkdown(reviewPlan(plan([update, moveOnly, importOnly, forget])));
    expect(markdown).toContain('**1 to forget**, **1 to import**, **1 to move**, **1 to update**');
    const headings = ['#### Forget', '#### Import', '#### Move', '#### Update in place'].map((h) => markdown.indexOf(h));
    expect(headings.every((i) => i >= 0)).toBe(true);
    expect([...headings].sort((a, b) => a - b)).toEqual(headings);
    // A forget's "no resource config" only restates the removed block.
    expect(markdown).toContain('- `aws_iam_role.old`\n');
  });

  it('still ignores changes that neither change, import nor move anything, and reads of data sources', () => {
    const noop = rc('aws_iam_role.app', ['no-op'], { before: {}, after: {} });
    const read = { ...rc('data.aws_caller_identity.current', ['read']), mode: 'data' as const, type: 'aws_caller_identity' };
    expect(review(plan([noop, read])).stdout).toContain('No changes.');
  });
});

describe('imports and forgets that need attention', () => {
  /** A configuration in which the protected aws_db_instance.db references aws_security_group.db. */
  const configuration: PlanJson['configuration'] = {
    root_module: {
      resources: [
        { address: 'aws_db_instance.db', type: 'aws_db_instance', expressions: { vpc_security_group_ids: { references: ['aws_security_group.db.id', 'aws_security_group.db'] } } },
        { address: 'aws_security_group.db', type: 'aws_security_group', expressions: {} },
        { address: 'aws_iam_role.app', type: 'aws_iam_role', expressions: {} },
      ],
    },
  };

  it('marks a forget of a protected type', () => {
    const forget = rc('aws_s3_bucket.archive', ['forget'], { before: { bucket: 'archive' } });
    const r = reviewPlan(plan([forget]));
    expect(r.attention.map((c) => c.address)).toEqual(['aws_s3_bucket.archive']);
    expect(r.attention[0].attention).toEqual([expect.stringMatching(/^forgets the aws_s3_bucket, a protected type: Terraform stops managing it but does not destroy it/)]);
    expect(r.blocking).toEqual([]);
  });

  it('marks a forget of what a protected resource depended on when last applied (the prior state)', () => {
    const forget = rc('aws_security_group.db', ['forget'], { before: {} });
    const priorState: PlanJson['prior_state'] = {
      values: {
        root_module: {
          resources: [
            { address: 'aws_db_instance.db', type: 'aws_db_instance', mode: 'managed', depends_on: ['aws_security_group.db'] },
            { address: 'aws_security_group.db', type: 'aws_security_group', mode: 'managed' },
          ],
        },
      },
    };
    const r = reviewPlan(plan([forget], { prior_state: priorState }));
    expect(r.attention[0].attention).toEqual([expect.stringMatching(/^forgets the aws_security_group that `aws_db_instance.db` depended on when last applied/)]);
  });

  it('marks an import of a protected type, and of what a protected resource references, with the import id', () => {
    const instance = rc('aws_db_instance.db', ['no-op'], { importing: { id: 'prod-db' } });
    const group = rc('aws_security_group.db', ['no-op'], { importing: { id: 'sg-0123' } });
    const r = reviewPlan(plan([instance, group], { configuration }));
    expect(Object.fromEntries(r.attention.map((c) => [c.address, c.attention]))).toEqual({
      'aws_db_instance.db': [expect.stringMatching(/^imports an existing aws_db_instance \(import id `prod-db`\), a protected type/)],
      'aws_security_group.db': [expect.stringMatching(/^imports the aws_security_group that `aws_db_instance.db` references \(import id `sg-0123`\)/)],
    });
  });

  it('says nothing about an import or forget of an unprotected resource that nothing protected uses', () => {
    const r = reviewPlan(plan([rc('aws_iam_role.app', ['no-op'], { importing: { id: 'app' } }), rc('aws_iam_role.old', ['forget'])], { configuration }));
    expect(r.attention).toEqual([]);
  });

  it('counts the protected-type list of --protected-types for imports and forgets too', () => {
    const forget = rc('aws_iam_role.old', ['forget']);
    expect(reviewPlan(plan([forget]), { protectedTypes: ['aws_iam_role'] }).attention).toHaveLength(1);
  });
});

/** A parameter group update whose `max_connections` goes from `from` to `to` (undefined: not in the group). */
function maxConnectionsChange(from: string | undefined, to: string | undefined, applyMethod = 'pending-reboot'): ResourceChangeJson {
  const params = (value: string | undefined) => [
    { name: 'log_min_duration_statement', value: '1000', apply_method: 'immediate' },
    ...(value === undefined ? [] : [{ name: 'max_connections', value, apply_method: applyMethod }]),
  ];
  return rc('aws_db_parameter_group.db', ['update'], { before: { name: 'prod-postgres17-1', parameter: params(from) }, after: { name: 'prod-postgres17-1', parameter: params(to) } });
}

/** The instance that uses the group, unchanged by the plan. */
const instanceUsingGroup = rc('aws_db_instance.db', ['no-op'], {
  before: { identifier: 'workshop-prod-backend-db', parameter_group_name: 'prod-postgres17-1' },
  after: { identifier: 'workshop-prod-backend-db', parameter_group_name: 'prod-postgres17-1' },
});

/** A Lambda whose reserved concurrency goes from `from` to `to`. */
const concurrencyChange = (from: number, to: number) =>
  rc('aws_lambda_function.backend', ['update'], { before: { reserved_concurrent_executions: from }, after: { reserved_concurrent_executions: to } });

describe('pending-reboot parameters', () => {
  it('names the reboot that a pending-reboot change of a group in use needs, with the instance identifier', () => {
    const r = reviewPlan(plan([maxConnectionsChange('400', '440'), instanceUsingGroup]));
    expect(r.blocking).toEqual([]);
    expect(r.attention.map((c) => [c.address, c.attention])).toEqual([
      [
        'aws_db_parameter_group.db',
        [
          'max_connections 400 -> 440 waits for a reboot (apply_method pending-reboot): `aws_db_instance.db` keeps running with 400 until then, ' +
            'and nothing in this plan reboots; after the apply, in a quiet moment (a reboot is a short outage): ' +
            '`aws rds reboot-db-instance --db-instance-identifier workshop-prod-backend-db`',
        ],
      ],
    ]);
    expect(rebootCommand('workshop-prod-backend-db')).toBe('aws rds reboot-db-instance --db-instance-identifier workshop-prod-backend-db');
  });

  it('finds the instance through the configuration when the state does not tie them (a group with a generated name)', () => {
    const group = maxConnectionsChange('400', '440');
    const instance = rc('aws_db_instance.db', ['no-op'], { before: { identifier: 'workshop-dev-backend-db', parameter_group_name: 'something-else' } });
    const configuration = {
      root_module: { resources: [{ address: 'aws_db_instance.db', type: 'aws_db_instance', expressions: { parameter_group_name: { references: ['aws_db_parameter_group.db.name', 'aws_db_parameter_group.db'] } } }] },
    };
    expect(pendingRebootChanges(plan([group, instance], { configuration }))).toEqual([
      { parameterGroup: 'aws_db_parameter_group.db', parameter: 'max_connections', before: '400', after: '440', instances: [{ address: 'aws_db_instance.db', identifier: 'workshop-dev-backend-db' }] },
    ]);
  });

  it('names a pending-reboot parameter that the change sets for the first time or removes', () => {
    const added = pendingRebootChanges(plan([maxConnectionsChange(undefined, '440'), instanceUsingGroup]));
    expect(added.map((c) => [c.parameter, c.before, c.after])).toEqual([['max_connections', undefined, '440']]);
    const removed = pendingRebootChanges(plan([maxConnectionsChange('400', undefined), instanceUsingGroup]));
    expect(removed.map((c) => [c.parameter, c.before, c.after])).toEqual([['max_connections', '400', undefined]]);
    expect(reviewPlan(plan([maxConnectionsChange('400', undefined), instanceUsingGroup])).attention[0].attention[0]).toMatch(/^max_connections 400 -> the engine default waits for a reboot/);
  });

  it('says nothing when no existing instance uses the group, the instance is new or replaced, or the parameter applies immediately', () => {
    const created = rc('aws_db_instance.db', ['create'], { after: { parameter_group_name: 'prod-postgres17-1' } });
    const replaced = rc('aws_db_instance.db', ['delete', 'create'], { before: { identifier: 'x', parameter_group_name: 'prod-postgres17-1' }, after: {} });
    expect(pendingRebootChanges(plan([maxConnectionsChange('400', '440')]))).toEqual([]);
    expect(pendingRebootChanges(plan([maxConnectionsChange('400', '440'), created]))).toEqual([]);
    expect(pendingRebootChanges(plan([maxConnectionsChange('400', '440'), replaced]))).toEqual([]);
    expect(pendingRebootChanges(plan([maxConnectionsChange('400', '440', 'immediate'), instanceUsingGroup]))).toEqual([]);
  });

  it('marks an instance that moves to another parameter group without a restart: the new group applies at the reboot', () => {
    const moved = rc('aws_db_instance.db', ['update'], { before: { identifier: 'workshop-dev-backend-db', parameter_group_name: 'a' }, after: { parameter_group_name: null } });
    expect(attentionReasons({ ...moved, change: { ...moved.change, after_unknown: { parameter_group_name: true } } })).toEqual([
      expect.stringMatching(/^parameter_group_name "a" -> \(known after apply\): RDS applies the new group's static parameters only at the next reboot.*`aws rds reboot-db-instance --db-instance-identifier workshop-dev-backend-db`$/),
    ]);
    // A new instance class restarts the instance, which applies the new group as well.
    const resized = rc('aws_db_instance.db', ['update'], { before: { parameter_group_name: 'a', instance_class: 'db.t4g.micro' }, after: { parameter_group_name: 'b', instance_class: 'db.t4g.small' } });
    expect(attentionReasons(resized)).toEqual([expect.stringMatching(/^instance_class /)]);
  });
});

describe('reserved concurrency against the running max_connections', () => {
  it('blocks raising reserved concurrency beyond the budget of the max_connections the instance runs with until its reboot', () => {
    const p = plan([maxConnectionsChange('400', '440'), instanceUsingGroup, concurrencyChange(100, 420)]);
    const { exitCode, stdout, stderr } = review(p);
    expect(exitCode).toBe(EXIT_CODES.blocked);
    expect(stdout).toContain('**Blocked:** this plan raises reserved concurrency beyond the connections the database runs with until it reboots');
    expect(stdout).toContain(
      `> - \`aws_lambda_function.backend\`: reserved concurrency 100 -> 420 is more than the database serves until it reboots: \`aws_db_instance.db\` runs with max_connections 400 (${maxLambdaConnections(400)} for Lambda containers, one connection each, after the ${RESERVED_DB_CONNECTIONS} kept for RDS and operators)`,
    );
    expect(stdout).toContain('first the max_connections change alone, then reboot (`aws rds reboot-db-instance --db-instance-identifier workshop-prod-backend-db`)');
    expect(stdout).toContain('- `aws_lambda_function.backend` (**blocked: concurrency beyond the running max_connections**)');
    expect(stderr).toMatch(/^plan-review: blocked: raises the reserved concurrency of aws_lambda_function.backend beyond the max_connections/);
  });

  it('cannot be allowed with --allow: the fix is two plans', () => {
    const p = plan([maxConnectionsChange('400', '440'), instanceUsingGroup, concurrencyChange(100, 420)]);
    expect(review(p, ['--allow', 'aws_lambda_function.backend']).exitCode).toBe(EXIT_CODES.blocked);
  });

  it('passes a raise that the running budget still serves, and each of the two steps on its own', () => {
    const budget = maxLambdaConnections(400);
    expect(concurrencyRefusals(plan([concurrencyChange(100, budget)]), pendingRebootChanges(plan([maxConnectionsChange('400', '440'), instanceUsingGroup])))).toEqual(new Map());
    // Step 1: the parameter alone (attention: the reboot); step 2, after the reboot: the concurrency alone.
    expect(review(plan([maxConnectionsChange('400', '440'), instanceUsingGroup])).exitCode).toBe(EXIT_CODES.ok);
    expect(review(plan([concurrencyChange(100, 420)])).exitCode).toBe(EXIT_CODES.ok);
  });

  it('blocks when the instance runs with a max_connections the plan does not show (the engine default)', () => {
    const refusals = concurrencyRefusals(
      plan([concurrencyChange(100, 120)]),
      pendingRebootChanges(plan([maxConnectionsChange(undefined, '440'), instanceUsingGroup])),
    );
    expect(refusals.get('aws_lambda_function.backend')).toMatch(/runs with a max_connections this plan does not show \(the engine default\)/);
  });

  it('passes a lower reserved concurrency and an unreserved function in the same plan as the max_connections change', () => {
    const reboots = pendingRebootChanges(plan([maxConnectionsChange('400', '440'), instanceUsingGroup]));
    expect(concurrencyRefusals(plan([concurrencyChange(420, 415)]), reboots)).toEqual(new Map());
    expect(concurrencyRefusals(plan([concurrencyChange(100, -1)]), reboots)).toEqual(new Map());
  });
});

describe('--compare with imports, moves and forgets', () => {
  const moved = rc('aws_sns_topic.alerts', ['no-op'], {}, { previous_address: 'aws_sns_topic.alarms' });
  const imported = rc('aws_iam_role.app', ['no-op'], { importing: { id: 'app' } });
  const forgotten = rc('aws_s3_bucket.archive', ['forget']);

  it('accepts a fresh plan with the same imports, moves and forgets', () => {
    expect(comparePlans(plan([moved, imported, forgotten]), plan([moved, imported, forgotten]))).toEqual([]);
  });

  it('names a move, an import or a forget that one of the plans lacks, and an import of another id', () => {
    expect(comparePlans(plan([moved, imported, forgotten]), plan([]))).toEqual([
      'resource aws_iam_role.app: in the reviewed plan only',
      'resource aws_s3_bucket.archive: in the reviewed plan only',
      'resource aws_sns_topic.alerts: in the reviewed plan only',
    ]);
    const otherId = rc('aws_iam_role.app', ['no-op'], { importing: { id: 'another-app' } });
    expect(comparePlans(plan([imported]), plan([otherId]))).toEqual(['resource aws_iam_role.app: planned change differs from the reviewed one']);
  });
});
