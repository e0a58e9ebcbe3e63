/**
 * The rules of tools/plan-review.ts on small plan JSON fixtures, shaped as `terraform show -json`
 * writes them (the real plans are in plan-review.test.ts, plan-review-state-operations.test.ts and
 * stacks/change-impact.test.ts): imports, moves and forgets, and what needs attention about them.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  comparePlans,
  EXIT_CODES,
  main,
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
