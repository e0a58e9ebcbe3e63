/**
 * The reasons behind every policy suppression the stacks declare, in one place so a reviewer reads
 * them together (docs/security.md, "Environments", says where each applies). Each suppression is declared next to
 * its resource, and only when that environment's configuration turns the control off, so `prod`,
 * which turns them on, carries none of the cost exceptions. The per-environment lists are pinned in
 * __tests__/policy/environments.test.ts.
 */
import type { IConstruct } from 'constructs';
import { suppressRule, type RuleId } from '../../policy';

export const POLICY_EXCEPTION_REASONS = {
  multiAz:
    'This environment is a workshop stack torn down after each session, so it runs a single-AZ instance: a Multi-AZ standby roughly doubles the database cost.',
  deletionProtection:
    'This environment must be removable with one cdktf destroy at the end of a workshop, which deletion protection would block.',
  finalSnapshot:
    'This environment holds only workshop data and is destroyed after each session; a final snapshot would outlive it and keep costing storage.',
  customerManagedKey:
    'This environment uses the AWS-managed keys (customerManagedKey = false) to avoid the monthly customer-managed KMS key charge; prod sets a key.',
  logRetentionOneYear:
    'This environment keeps logs for days, not a year: workshop logs have no audit value after the session and a year of storage costs money.',
  flowLogTrafficType:
    'This environment records only REJECT flows to keep flow log ingestion low; prod records ALL traffic.',
  reservedConcurrency:
    'This environment may run in new accounts whose concurrency quota cannot reserve any (AWS keeps 100 unreserved), and its database sees workshop traffic only.',
  enhancedMonitoring:
    'Performance Insights and the standard RDS CloudWatch metrics cover the one PostgreSQL instance of this backend; enhanced monitoring would add a role with an AWS managed policy and OS metrics ingestion that we judged not worth its cost.',
  alertsOff:
    'This environment runs without alarms (alerts.enabled = false): it is a workshop stack that lives for hours, and its alarms would be billed per alarm-month with no one on call to read them.',
  alertTopicWithoutCmk:
    'This environment has no customer-managed key (customerManagedKey = false), and CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key, whose policy cannot be changed; the topic carries only alarm and rotation notices.',
  pinnedMinorVersion:
    'This environment pins a minor engine version (database.engineVersion "major.minor"), which needs auto_minor_version_upgrade = false: with it on, RDS upgrades past the pin and every plan proposes a downgrade RDS refuses.',
  lambdaVpcAccess:
    'AWSLambdaVPCAccessExecutionRole grants the ENI actions Lambda needs to attach to a VPC on Resource "*", which AWS documents as required because ec2:CreateNetworkInterface and friends are used before the network interface exists; the seed attaches this managed policy.',
  olderRuntime:
    'This environment sets lambda.runtime to an older Node.js runtime that Lambda still supports (LAMBDA_RUNTIMES in config/schema.ts); the bundle targets that runtime, and moving to the newest is a one-line configuration change.',
  tracingPassThrough:
    'This environment sets lambda.tracingMode = PassThrough, so X-Ray records only the requests an upstream caller sampled, which saves the tracing cost and the AWSXRayDaemonWriteAccess attachment; Active traces every invocation.',
  secretsManagerReadWrite:
    'This environment sets lambda.secretAccess = "SecretsManagerReadWrite" to reproduce the seed verbatim (step 2.4 attaches this AWS-managed policy), which lets the function read, change and delete every secret in the account; the default, least-privilege, grants read on the one database secret only.',
} as const;

/**
 * Suppresses `ruleId` on `scope`, always, with the named reason: for an exception that holds in
 * every environment (a managed policy AWS requires, say).
 * @param appliesTo the findings the suppression covers; @default - every finding of the rule on `scope`
 */
export function suppress(scope: IConstruct, ruleId: RuleId, reason: keyof typeof POLICY_EXCEPTION_REASONS, appliesTo?: readonly string[]): void {
  suppressRule(scope, { ruleId, reason: POLICY_EXCEPTION_REASONS[reason], appliesTo });
}

/** {@link suppress}, only when `when` is true: for an exception that follows a configuration value. */
export function suppressWhen(
  when: boolean,
  scope: IConstruct,
  ruleId: RuleId,
  reason: keyof typeof POLICY_EXCEPTION_REASONS,
  appliesTo?: readonly string[],
): void {
  if (when) suppress(scope, ruleId, reason, appliesTo);
}
