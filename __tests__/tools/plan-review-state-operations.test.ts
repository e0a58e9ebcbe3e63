/**
 * `plan:review` on a real plan with the three state operations: an `import` block, a `moved` block
 * and a `removed` block with `destroy = false` (a forget). Terraform 1.11 and the real hashicorp/aws
 * provider plan it offline (support/offline-terraform.ts); the provider is the filesystem mirror's
 * when one is found (5.100.0 on the development machines, older than the 6.25.0 pin in
 * stacks/provider.ts), else the registry's. Only AWS is stood in for: STS (tools/sts-stand-in.ts)
 * and, for the import, which reads the object even under `-refresh=false`, CloudWatch Logs
 * (support/logs-stand-in.ts). The prior state is the applied baseline (support/prior-state.ts).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { offlineProviderSettings, planConfiguration, type StackDocument } from '../../tools/offline-plan';
import { comparePlans, EXIT_CODES, main, parsePlan, type PlanJson } from '../../tools/plan-review';
import { startStsStandIn, type StsStandIn } from '../../tools/sts-stand-in';
import { startLogsStandIn, type LogsStandIn } from '../support/logs-stand-in';
import { describeWithProvider, OfflinePlanner, PROVIDER_SOURCE } from '../support/offline-terraform';
import { scratchDir } from '../support/scratch';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const SLOW = 600_000;
const REGION = 'ap-southeast-1';

/** The log group that exists in the (stood-in) account and is imported, with the values the configuration gives it. */
const IMPORTED_LOG_GROUP = { name: '/workshop/imported', retentionInDays: 30 };

/** The configuration as applied: a log group about to be renamed in the state, and a bucket about to be forgotten. */
const baselineResources = {
  aws_cloudwatch_log_group: { app_logs: { name: '/workshop/app', retention_in_days: 30 } },
  aws_s3_bucket: { archive: { bucket: 'workshop-archive-offline-plan' } },
};

/**
 * The changed configuration, already offline: the log group moves to a new address, the bucket is
 * forgotten, an existing log group is imported as configured (no diff), and a `terraform_data` is
 * imported with an input its imported object lacks (an import with an update).
 */
function changedConfiguration(providerVersion: string, sts: StsStandIn, logs: LogsStandIn): StackDocument {
  return {
    terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: providerVersion } } },
    provider: { aws: [{ region: REGION, ...offlineProviderSettings(sts.endpoint), endpoints: [{ sts: sts.endpoint, cloudwatchlogs: logs.endpoint }] }] },
    resource: {
      aws_cloudwatch_log_group: {
        application: baselineResources.aws_cloudwatch_log_group.app_logs,
        imported: { name: IMPORTED_LOG_GROUP.name, retention_in_days: IMPORTED_LOG_GROUP.retentionInDays },
      },
      terraform_data: { marker: { input: 'imported and then given an input' } },
    },
    moved: [{ from: 'aws_cloudwatch_log_group.app_logs', to: 'aws_cloudwatch_log_group.application' }],
    removed: [{ from: 'aws_s3_bucket.archive', lifecycle: { destroy: false } }],
    import: [
      { to: 'aws_cloudwatch_log_group.imported', id: IMPORTED_LOG_GROUP.name },
      { to: 'terraform_data.marker', id: 'marker-id' },
    ],
  };
}

/** Runs the npm script as CI does and returns its exit code and output. */
function npmPlanReview(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'plan:review', '--', ...args], { cwd: PROJECT_ROOT }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

function runMain(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { exitCode, stdout, stderr };
}

describeWithProvider(`plan:review on a real plan with an import, a move and a forget (hashicorp/aws ${PROVIDER_SOURCE?.version})`, () => {
  const planner = new OfflinePlanner(PROVIDER_SOURCE!);
  let sts: StsStandIn;
  let logs: LogsStandIn;
  let planFile: string;
  let plan: PlanJson;

  beforeAll(async () => {
    await planner.start();
    sts = await startStsStandIn();
    logs = await startLogsStandIn([IMPORTED_LOG_GROUP], REGION);
    const baselineDoc = { provider: { aws: [{ region: REGION }] }, resource: baselineResources };
    const { baseline } = await planner.appliedStates({ baseline: baselineDoc });
    const workDir = scratchDir('state-operations-');
    const result = await planConfiguration({ 'main.tf.json': changedConfiguration(PROVIDER_SOURCE!.version, sts, logs) }, [], {
      source: PROVIDER_SOURCE!,
      stsEndpoint: sts.endpoint,
      workDir,
      priorState: baseline.state,
      validate: false,
    });
    if (!result.ok) throw new Error(`terraform ${result.step} failed: ${result.errors.map((e) => `${e.summary}: ${e.detail}`).join('\n')}`);
    planFile = path.join(workDir, 'plan.json');
    writeFileSync(planFile, result.planJson);
    plan = parsePlan(result.planJson, planFile);
  }, SLOW);

  afterAll(async () => {
    await Promise.all([planner.close(), sts?.close(), logs?.close()]);
  });

  it('is the plan Terraform describes: two imports, a move and a forget, the import read through the stand-in', () => {
    const byAddress = Object.fromEntries(plan.resource_changes.map((rc) => [rc.address, rc]));
    expect(byAddress['aws_cloudwatch_log_group.imported'].change).toMatchObject({ actions: ['no-op'], importing: { id: IMPORTED_LOG_GROUP.name } });
    expect(byAddress['terraform_data.marker'].change).toMatchObject({ actions: ['update'], importing: { id: 'marker-id' } });
    expect(byAddress['aws_cloudwatch_log_group.application']).toMatchObject({ previous_address: 'aws_cloudwatch_log_group.app_logs', change: { actions: ['no-op'] } });
    expect(byAddress['aws_s3_bucket.archive'].change.actions).toEqual(['forget']);
    expect(logs.actions).toEqual(['DescribeLogGroups', 'ListTagsForResource']);
  });

  it('lists the imports with their ids, the move and the forget, each in its own section, and counts them in the summary', async () => {
    const result = await npmPlanReview(['--stack', 'dev', planFile]);
    expect(result.exitCode).toBe(EXIT_CODES.ok);
    const markdown = result.stdout;
    expect(markdown).not.toContain('No changes');
    expect(markdown).toContain('**1 to forget**, **2 to import**, **1 to move**, **1 to update**');
    expect(markdown).toContain(
      [
        '#### Forget (removed from state, not destroyed) (1)',
        '',
        '- `aws_s3_bucket.archive` (**needs attention**)',
        '',
        '#### Import (existing object into the state) (2)',
        '',
        '- `aws_cloudwatch_log_group.imported` from import id `/workshop/imported` (no other change; **needs attention**)',
        '- `terraform_data.marker` from import id `marker-id` (then updated in place)',
        '',
        '#### Move (new address in the state) (1)',
        '',
        '- `aws_cloudwatch_log_group.app_logs` → `aws_cloudwatch_log_group.application` (no other change)',
        '',
        '#### Update in place (1)',
        '',
        '- `terraform_data.marker` (imported from `marker-id`)',
      ].join('\n'),
    );
  }, SLOW);

  it('marks the forget and the import of protected types as needing attention, without blocking', () => {
    const { exitCode, stdout } = runMain([planFile]);
    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(stdout).toContain('> **Needs attention** (does not block): 2 change(s)');
    expect(stdout).toMatch(/> - `aws_s3_bucket\.archive`: forgets the aws_s3_bucket, a protected type: Terraform stops managing it but does not destroy it/);
    expect(stdout).toMatch(/> - `aws_cloudwatch_log_group\.imported`: imports an existing aws_cloudwatch_log_group \(import id `\/workshop\/imported`\), a protected type/);
  });

  it('--compare accepts the same plan and names an import the fresh plan lacks', () => {
    expect(runMain(['--compare', planFile, planFile]).exitCode).toBe(EXIT_CODES.ok);
    const withoutImport = JSON.parse(JSON.stringify(plan));
    withoutImport.resource_changes = withoutImport.resource_changes.filter((rc: { address: string }) => rc.address !== 'aws_cloudwatch_log_group.imported');
    expect(comparePlans(plan, withoutImport)).toEqual(['resource aws_cloudwatch_log_group.imported: in the reviewed plan only']);
  });
});
