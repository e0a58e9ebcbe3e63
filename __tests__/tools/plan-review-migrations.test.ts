/**
 * `plan:review`'s Migrations section on a real plan: Terraform 1.11 and the real hashicorp/aws
 * provider (support/offline-terraform.ts) plan `aws_lambda_invocation`s of the migration function
 * against a prior state built from an applied baseline (support/prior-state.ts), offline
 * (`-refresh=false`; planning an invocation calls no AWS API). Each invocation has the stack's
 * shape: `input` = `{"migrations":[{name, checksum}]}`, `triggers` = `{ migrations_digest }`, with
 * checksums and digests from lambda-src/migration-files.ts. The function is named, not declared:
 * the invocation needs no aws_lambda_function in the configuration to be planned.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { migration, migrationsDigest, type Migration } from '../../lambda-src/migration-files';
import { EXIT_CODES, main, parsePlan, reviewPlan, type PlanJson } from '../../tools/plan-review';
import { migrationPlan, migrationsOfInput, shortChecksum } from '../../tools/plan-review-migrations';
import { describeWithProvider, OfflinePlanner, PROVIDER_SOURCE, type FullPlan } from '../support/offline-terraform';
import { scratchDir } from '../support/scratch';

const SLOW = 600_000;

const APP_ROLES = migration('0001_app_roles', 'CREATE ROLE app_reader;\n');
const APP_ROLES_EDITED = migration('0001_app_roles', 'CREATE ROLE app_reader NOLOGIN;\n');
const WRITER = migration('0002_app_writer', 'CREATE ROLE app_writer;\n');
const AUDIT = migration('0003_audit', 'CREATE TABLE audit (id bigint);\n');
const EARLY = migration('0001a_late_fix', 'SELECT 1;\n');

/** An invocation of the migration function with the stack's input and triggers for `migrations`. */
function invocation(migrations: readonly Migration[]): Record<string, unknown> {
  return {
    function_name: 'workshop-dev-migrations',
    input: JSON.stringify({ migrations: migrations.map(({ name, checksum }) => ({ name, checksum })) }),
    triggers: { migrations_digest: migrationsDigest(migrations) },
  };
}

/** The configuration as applied: three invocations, one set of migrations each. */
const BASELINE = {
  provider: { aws: [{ region: 'ap-southeast-1' }] },
  resource: {
    aws_lambda_invocation: {
      added: invocation([APP_ROLES]),
      edited: invocation([APP_ROLES, WRITER, AUDIT]),
      same: invocation([APP_ROLES, WRITER]),
    },
  },
};

/**
 * The changed configuration: `created` is new, `added` gains two migrations, `edited` changes an
 * applied migration's text, drops another and adds one that sorts before the last applied one,
 * `same` is unchanged.
 */
const CHANGED = {
  provider: BASELINE.provider,
  resource: {
    aws_lambda_invocation: {
      created: invocation([APP_ROLES, WRITER]),
      added: invocation([APP_ROLES, WRITER, AUDIT]),
      edited: invocation([APP_ROLES_EDITED, EARLY, AUDIT]),
      same: invocation([APP_ROLES, WRITER]),
    },
  },
};

function runMain(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { exitCode, stdout, stderr };
}

describeWithProvider(`plan:review lists the migrations of a real plan of aws_lambda_invocation (hashicorp/aws ${PROVIDER_SOURCE?.version})`, () => {
  const planner = new OfflinePlanner(PROVIDER_SOURCE!);
  let plan: FullPlan;
  let planFile: string;

  beforeAll(async () => {
    await planner.start();
    const { baseline } = await planner.appliedStates({ baseline: BASELINE });
    ({ plan } = await planner.plan(CHANGED, { priorState: baseline.state }));
    planFile = path.join(scratchDir('plan-review-migrations-'), 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
  }, SLOW);

  afterAll(async () => {
    await planner.close();
  });

  it('is the plan Terraform describes: a create, two replacements forced by input and triggers, and a no-op', () => {
    const byAddress = Object.fromEntries(plan.resource_changes.map((rc) => [rc.address, rc]));
    expect(byAddress['aws_lambda_invocation.created'].change.actions).toEqual(['create']);
    for (const address of ['aws_lambda_invocation.added', 'aws_lambda_invocation.edited']) {
      expect(byAddress[address].change).toMatchObject({ actions: ['delete', 'create'], replace_paths: expect.arrayContaining([['input'], ['triggers']]) });
    }
    expect(byAddress['aws_lambda_invocation.same'].change.actions).toEqual(['no-op']);
    expect(migrationsOfInput((byAddress['aws_lambda_invocation.added'].change.before as { input: string }).input)).toEqual([
      { name: APP_ROLES.name, checksum: APP_ROLES.checksum },
    ]);
  });

  it('lists the migrations each invocation runs: all on create, the new ones on a replacement, in name order', () => {
    const byAddress = Object.fromEntries(reviewPlan(plan).migrations.map((m) => [m.address, m]));
    expect(Object.keys(byAddress)).toEqual(['aws_lambda_invocation.added', 'aws_lambda_invocation.created', 'aws_lambda_invocation.edited']);
    expect(byAddress['aws_lambda_invocation.created'].toRun!.map((m) => m.name)).toEqual([APP_ROLES.name, WRITER.name]);
    expect(byAddress['aws_lambda_invocation.added']).toMatchObject({ toRun: [{ name: WRITER.name }, { name: AUDIT.name }], attention: [] });
    expect(byAddress['aws_lambda_invocation.edited']).toMatchObject({
      toRun: [{ name: EARLY.name, checksum: EARLY.checksum }],
      edited: [{ name: APP_ROLES.name, before: APP_ROLES.checksum, after: APP_ROLES_EDITED.checksum }],
      removed: [{ name: WRITER.name }],
      outOfOrder: [[EARLY.name, AUDIT.name]],
    });
  });

  it('prints the Migrations section, and the edited, removed and out-of-order migrations as needing attention, without blocking', () => {
    const { exitCode, stdout } = runMain(['--stack', 'dev', planFile]);
    expect(exitCode).toBe(EXIT_CODES.ok);
    const edited = `migration \`${APP_ROLES.name}\` was edited after it was applied (checksum \`${shortChecksum(APP_ROLES.checksum)}\` -> \`${shortChecksum(APP_ROLES_EDITED.checksum)}\`): the migration function refuses it and the apply fails at the invocation; restore its text and make the change in a new migration`;
    const removed = `migration \`${WRITER.name}\` was applied but is no longer in the list (removed or renamed): the migration function refuses the run and the apply fails at the invocation; restore it`;
    const early = `migration \`${EARLY.name}\` is new but sorts before \`${AUDIT.name}\`, which is applied: the migration function refuses it; renumber it to sort after \`${AUDIT.name}\``;
    expect(stdout).toContain(
      [
        '> [!WARNING]',
        '> **Needs attention** (does not block): 1 change(s) restart, fail over, upgrade, wait for a reboot, import or forget something, or run migrations the migration function refuses.',
        `> - \`aws_lambda_invocation.edited\`: ${edited}`,
        `> - \`aws_lambda_invocation.edited\`: ${removed}`,
        `> - \`aws_lambda_invocation.edited\`: ${early}`,
        '',
        '#### Migrations (3 invocations)',
        '',
        '- `aws_lambda_invocation.added` runs 2 migrations, in this order:',
        `  - \`0002_app_writer\` (checksum \`${shortChecksum(WRITER.checksum)}\`)`,
        `  - \`0003_audit\` (checksum \`${shortChecksum(AUDIT.checksum)}\`)`,
        '- `aws_lambda_invocation.created` runs 2 migrations, in this order:',
        `  - \`0001_app_roles\` (checksum \`${shortChecksum(APP_ROLES.checksum)}\`)`,
        `  - \`0002_app_writer\` (checksum \`${shortChecksum(WRITER.checksum)}\`)`,
        '- `aws_lambda_invocation.edited` runs 1 migration, in this order:',
        `  - \`0001a_late_fix\` (checksum \`${shortChecksum(EARLY.checksum)}\`)`,
        `  - **needs attention:** ${edited}`,
        `  - **needs attention:** ${removed}`,
        `  - **needs attention:** ${early}`,
        '',
        '#### Replace (2)',
        '',
        '- `aws_lambda_invocation.added` (forced by `input`, `triggers`; deletes nothing in AWS)',
        '- `aws_lambda_invocation.edited` (forced by `input`, `triggers`; deletes nothing in AWS; **needs attention**)',
      ].join('\n'),
    );
    expect(stdout).not.toContain('aws_lambda_invocation.same');
  });

  it('never blocks the replacement of an invocation, not even with aws_lambda_invocation among --protected-types', () => {
    const { exitCode, stdout, stderr } = runMain(['--protected-types', 'aws_lambda_invocation,aws_db_instance', planFile]);
    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(stdout).not.toMatch(/Blocked|protected/);
    expect(stderr).toBe('');
  });

  it('--compare names the migrations each plan runs: the same plan passes, a fresh plan that runs another set differs', () => {
    const same = runMain(['--compare', planFile, planFile]);
    expect(same).toMatchObject({ exitCode: EXIT_CODES.ok, stdout: 'The fresh plan makes exactly the reviewed changes (3 change(s)); migrations to run: 0002_app_writer, 0003_audit, 0001_app_roles, 0002_app_writer, 0001a_late_fix.\n' });

    // The fresh plan of a branch that gained 0004 after the review: the invocation's planned input differs.
    const fresh = JSON.parse(JSON.stringify(plan)) as PlanJson;
    const added = fresh.resource_changes.find((rc) => rc.address === 'aws_lambda_invocation.added')!;
    const more = [APP_ROLES, WRITER, AUDIT, migration('0004_more', 'SELECT 4;\n')];
    Object.assign(added.change.after as object, invocation(more));
    const freshFile = path.join(path.dirname(planFile), 'fresh.json');
    writeFileSync(freshFile, JSON.stringify(fresh));
    const differs = runMain(['--compare', planFile, freshFile]);
    expect(differs.exitCode).toBe(EXIT_CODES.plansDiffer);
    expect(differs.stderr).toContain(
      '  - resource aws_lambda_invocation.added: planned change differs from the reviewed one ' +
        '(reviewed: migrations to run: 0002_app_writer, 0003_audit; fresh: migrations to run: 0002_app_writer, 0003_audit, 0004_more)\n',
    );
  });

  it('says so when the new migration list is known only at apply (derived from the real replacement)', () => {
    const added = plan.resource_changes.find((rc) => rc.address === 'aws_lambda_invocation.added')!;
    const unknownInput = { ...added, change: { ...added.change, after: { ...(added.change.after as object), input: undefined }, after_unknown: { ...(added.change.after_unknown as object), input: true } } };
    expect(migrationPlan(unknownInput)).toEqual({
      address: 'aws_lambda_invocation.added',
      edited: [],
      removed: [],
      outOfOrder: [],
      attention: ['the migration list is known only at apply, so this review cannot say which migrations run'],
    });
  });

  it('reads nothing from an invocation whose input lists no migrations, and nothing from a deletion', () => {
    const created = plan.resource_changes.find((rc) => rc.address === 'aws_lambda_invocation.created')!;
    expect(migrationPlan({ ...created, change: { ...created.change, after: { ...(created.change.after as object), input: '{"action":"health"}' } } })).toBeUndefined();
    expect(migrationPlan({ ...created, change: { ...created.change, actions: ['delete'], before: created.change.after, after: null } })).toBeUndefined();
    expect(parsePlan(JSON.stringify(plan), planFile).resource_changes).toHaveLength(4);
  });
});
