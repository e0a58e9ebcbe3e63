/**
 * Every shipped stack synthesizes with zero unsuppressed findings, and the exceptions are pinned
 * here: a new suppression is a visible change to this file.
 */
import { environments } from '../../config/environments';
import { WAIVER_REASON_PREFIX } from '../../stacks/constructs/policy-exceptions';
import { policyReports, type StackReport } from '../../tools/policy';

const pinned = (r: StackReport): string[] =>
  r.report.results
    .filter((x) => x.status === 'suppressed')
    .map((x) => `${x.ruleId} @ ${x.constructPath}${x.finding ? ` [${x.finding}]` : ''}`)
    .sort();

describe('policy on the shipped environments', () => {
  const reports = policyReports({});
  const byStack = (name: string): StackReport => {
    const found = reports.find((r) => r.stack === name);
    if (!found) throw new Error(`no stack ${name}; stacks: ${reports.map((r) => r.stack).join(', ')}`);
    return found;
  };

  it.each(reports.map((r) => r.stack))('%s has no unsuppressed finding and no bad suppression', (name) => {
    const { report } = byStack(name);
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(report.problems).toEqual([]);
  });

  it('pins the exceptions of dev (dev-specific): the cost and teardown trade-offs of a workshop, plus the VPC access policy', () => {
    expect(pinned(byStack('dev'))).toEqual([
      'WB-CLOUDWATCH-MONITORED @ dev/database/instance',
      'WB-CLOUDWATCH-MONITORED @ dev/function/function',
      'WB-IAM-NO-WILDCARD-RESOURCE @ dev/function/policy-AWSLambdaVPCAccessExecutionRole [Policy::arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'WB-LAMBDA-ENVIRONMENT-CMK @ dev/function/function',
      // The seed's flow: the function reads the master secret (the workshop profile's exception).
      'WB-LAMBDA-NO-MASTER-SECRET @ dev/function/function',
      'WB-LAMBDA-RESERVED-CONCURRENCY @ dev/function/function',
      'WB-LOGS-CMK @ dev/database/log-group-postgresql',
      'WB-LOGS-CMK @ dev/database/log-group-upgrade',
      'WB-LOGS-CMK @ dev/function/log-group',
      'WB-LOGS-CMK @ dev/network/flow-log-group',
      'WB-LOGS-RETENTION-1Y @ dev/database/log-group-postgresql',
      'WB-LOGS-RETENTION-1Y @ dev/database/log-group-upgrade',
      'WB-LOGS-RETENTION-1Y @ dev/function/log-group',
      'WB-LOGS-RETENTION-1Y @ dev/network/flow-log-group',
      'WB-RDS-DELETION-PROTECTION @ dev/database/instance',
      'WB-RDS-ENHANCED-MONITORING @ dev/database/instance',
      'WB-RDS-FINAL-SNAPSHOT @ dev/database/instance',
      'WB-RDS-MULTI-AZ @ dev/database/instance',
      'WB-RDS-PERFORMANCE-INSIGHTS-CMK @ dev/database/instance',
      'WB-RDS-SECRET-CMK @ dev/database/instance',
      'WB-VPC-FLOW-LOGS @ dev/network/vpc',
    ]);
  });

  it.each(environments.filter((e) => e.profile === 'production').map((e) => [e.environment, e]))(
    'pins the exceptions of the production-profile %s: only the VPC access policy, enhanced monitoring, the migration function\'s read of the master secret and its own waivers',
    (name, config) => {
      const waived = byStack(name).report.results.filter((r) => r.status === 'suppressed' && r.reason?.startsWith(WAIVER_REASON_PREFIX));
      expect([...new Set(waived.map((r) => r.ruleId))].sort()).toEqual(config.waivers.map((w) => w.ruleId).sort());
      const others = pinned({ ...byStack(name), report: { ...byStack(name).report, results: byStack(name).report.results.filter((r) => !waived.includes(r)) } });
      expect(others).toEqual([
        `WB-IAM-NO-WILDCARD-RESOURCE @ ${name}/function/policy-AWSLambdaVPCAccessExecutionRole [Policy::arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]`,
        `WB-IAM-NO-WILDCARD-RESOURCE @ ${name}/migrations/function/policy-AWSLambdaVPCAccessExecutionRole [Policy::arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]`,
        // The one function that logs in as the master user, in every profile.
        `WB-LAMBDA-NO-MASTER-SECRET @ ${name}/migrations/function/function`,
        `WB-RDS-ENHANCED-MONITORING @ ${name}/database/instance`,
      ]);
    },
  );

  it('pins the exceptions of the state bucket stack: none', () => {
    expect(pinned(byStack('state-bootstrap'))).toEqual([]);
  });

  it("pins the exceptions of prod's CI roles: ReadOnlyAccess for plan and drift, AdministratorAccess for apply", () => {
    const readOnly = 'Policy::arn:aws:iam::aws:policy/ReadOnlyAccess';
    const admin = 'Policy::arn:aws:iam::aws:policy/AdministratorAccess';
    expect(pinned(byStack('ci-access-111122223333'))).toEqual([
      `WB-IAM-NO-ADMIN-POLICY @ ci-access-111122223333/apply-prod/policy-AdministratorAccess [${admin}]`,
      `WB-IAM-NO-WILDCARD-ACTION @ ci-access-111122223333/apply-prod/policy-AdministratorAccess [${admin}]`,
      `WB-IAM-NO-WILDCARD-ACTION @ ci-access-111122223333/drift/policy-ReadOnlyAccess [${readOnly}]`,
      `WB-IAM-NO-WILDCARD-ACTION @ ci-access-111122223333/plan/policy-ReadOnlyAccess [${readOnly}]`,
      `WB-IAM-NO-WILDCARD-RESOURCE @ ci-access-111122223333/apply-prod/policy-AdministratorAccess [${admin}]`,
      `WB-IAM-NO-WILDCARD-RESOURCE @ ci-access-111122223333/drift/policy-ReadOnlyAccess [${readOnly}]`,
      `WB-IAM-NO-WILDCARD-RESOURCE @ ci-access-111122223333/plan/policy-ReadOnlyAccess [${readOnly}]`,
    ]);
  });
});
