/**
 * The policy exceptions the stacks declare, with their reasons, in one place so a reviewer reads
 * them together (docs/security.md, "Exceptions and waivers"). Each is declared next to its resource.
 *
 * - {@link POLICY_EXCEPTION_REASONS}: exceptions that hold in every environment.
 * - {@link PROFILE_EXCEPTIONS}: exceptions a profile allows when its environment's configuration
 *   turns a control off. The workshop profile allows its cost exceptions; the production profile
 *   allows none of them, so a production environment that turns a protection off fails the policy
 *   gate unless it records a waiver (config/types.ts `PolicyWaiver`), which the stack applies.
 *
 * A stack states its profile in the construct tree ({@link setPolicyProfile}); a construct outside
 * any such stack gets the strictest profile, production.
 */
import type { IConstruct } from 'constructs';
import type { ProfileName, PolicyWaiver } from '../../config/types';
import { suppressRule, type RuleId } from '../../policy';

/** Exceptions that hold in every environment, whatever its profile. */
export const POLICY_EXCEPTION_REASONS = {
  enhancedMonitoring:
    'Performance Insights and the standard RDS CloudWatch metrics cover the one PostgreSQL instance of this backend; enhanced monitoring would add a role with an AWS managed policy and OS metrics ingestion that we judged not worth its cost.',
  lambdaVpcAccess:
    'AWSLambdaVPCAccessExecutionRole grants the ENI actions Lambda needs to attach to a VPC on Resource "*", which AWS documents as required because ec2:CreateNetworkInterface and friends are used before the network interface exists; the seed attaches this managed policy.',
  ciReadOnlyAccess:
    'The CI plan and drift roles run terraform plan, which refreshes every resource of every stack through the Describe, Get and List actions of EC2, RDS, IAM, KMS, Lambda, CloudWatch, SNS, EventBridge, Secrets Manager and S3; the AWS managed ReadOnlyAccess grants those reads, and no write, no secret value and no decryption, and follows new resource types where a hand-kept list would break plans with AccessDenied.',
  ciApplyAdministratorAccess:
    "An environment's CI apply role runs terraform apply of a stack that creates and replaces IAM roles and policies, KMS keys, VPCs, RDS instances and Lambda functions, which needs write access across those services; only that environment's apply job can assume it (OIDC subject environment:<name>, behind the GitHub environment's approval rules), and it can act only in the environment's account.",
  migrationFunction:
    "The migration function is the one function that logs in as the master user, to apply the versioned migrations that create each application function's own role; it runs only when Terraform invokes it on apply, and accepts no actions.",
} as const;

/** The exceptions a profile may allow, by name. */
export type ProfileExceptionName =
  | 'multiAz'
  | 'deletionProtection'
  | 'finalSnapshot'
  | 'customerManagedKey'
  | 'logRetentionOneYear'
  | 'flowLogTrafficType'
  | 'reservedConcurrency'
  | 'alertsOff'
  | 'alertTopicWithoutCmk'
  | 'pinnedMinorVersion'
  | 'olderRuntime'
  | 'tracingPassThrough'
  | 'secretsManagerReadWrite'
  | 'masterSecretFunction';

/**
 * Per profile, the exceptions it allows and why. No profile inherits another's: the production
 * profile allows only configuration choices that weaken no protection.
 */
export const PROFILE_EXCEPTIONS: Readonly<Record<ProfileName, Readonly<Partial<Record<ProfileExceptionName, string>>>>> = {
  workshop: {
    multiAz:
      'The workshop profile builds a stack torn down after each session, so it runs a single-AZ instance: a Multi-AZ standby roughly doubles the database cost.',
    deletionProtection:
      'The workshop profile builds a stack that must be removable with one cdktf destroy at the end of a workshop, which deletion protection would block.',
    finalSnapshot:
      'The workshop profile holds only workshop data and is destroyed after each session; a final snapshot would outlive it and keep costing storage.',
    customerManagedKey:
      'The workshop profile uses the AWS-managed keys (customerManagedKey = false) to avoid the monthly customer-managed KMS key charge.',
    logRetentionOneYear:
      'The workshop profile keeps logs for days, not a year: workshop logs have no audit value after the session and a year of storage costs money.',
    flowLogTrafficType: 'The workshop profile records only REJECT flows to keep flow log ingestion low.',
    reservedConcurrency:
      'The workshop profile may run in new accounts whose concurrency quota cannot reserve any (AWS keeps 100 unreserved), and its database sees workshop traffic only.',
    alertsOff:
      'The workshop profile runs without alarms (alerts.enabled = false): its stacks live for hours, and alarms would be billed per alarm-month with no one on call to read them.',
    alertTopicWithoutCmk:
      'The workshop profile has no customer-managed key, and CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key, whose policy cannot be changed; the topic carries only alarm and rotation notices.',
    pinnedMinorVersion:
      'The workshop profile allows pinning a minor engine version (database.engineVersion "major.minor"), which needs auto_minor_version_upgrade = false: with it on, RDS upgrades past the pin and every plan proposes a downgrade RDS refuses.',
    olderRuntime:
      'The workshop profile allows an older Node.js runtime that Lambda still supports (LAMBDA_RUNTIMES in config/types.ts); the bundle targets that runtime, and moving to the newest is a one-line configuration change.',
    tracingPassThrough:
      'The workshop profile allows lambda.tracingMode = PassThrough, so X-Ray records only the requests an upstream caller sampled, which saves the tracing cost.',
    secretsManagerReadWrite:
      'The workshop profile allows lambda.secretAccess = "SecretsManagerReadWrite" to reproduce the seed verbatim (step 2.4 attaches this AWS-managed policy), which lets the function read, change and delete every secret in the account.',
    masterSecretFunction:
      "The workshop profile keeps the seed's flow: its application function reads the RDS-managed master secret and logs in as the master user; the production profile gives each application function its own role with IAM database authentication.",
  },
  production: {
    pinnedMinorVersion:
      'The production profile allows pinning a minor engine version (database.engineVersion "major.minor") to control when minor upgrades happen; it needs auto_minor_version_upgrade = false, or RDS upgrades past the pin.',
    olderRuntime:
      'The production profile allows an older Node.js runtime that Lambda still supports (LAMBDA_RUNTIMES in config/types.ts), for a planned, tested move to the newest.',
    tracingPassThrough:
      'The production profile allows lambda.tracingMode = PassThrough when an upstream caller samples the traces; X-Ray then records the requests it sampled.',
  },
};

/** The construct-tree context key under which a stack records its profile. */
const PROFILE_CONTEXT = 'workshop-backend:policy-profile';

/**
 * Records `profile` on `stack` for the exceptions of every construct below it. Call it in the
 * stack's constructor before any child is added (constructs refuse context after that).
 */
export function setPolicyProfile(stack: IConstruct, profile: ProfileName): void {
  stack.node.setContext(PROFILE_CONTEXT, profile);
}

/** The profile `scope`'s stack recorded, or `production` (the strictest) when none did. */
function policyProfileOf(scope: IConstruct): ProfileName {
  const profile = scope.node.tryGetContext(PROFILE_CONTEXT) as ProfileName | undefined;
  return profile !== undefined && Object.prototype.hasOwnProperty.call(PROFILE_EXCEPTIONS, profile) ? profile : 'production';
}

/**
 * Suppresses `ruleId` on `scope`, always, with the named reason: for an exception that holds in
 * every environment (a managed policy AWS requires, say).
 * @param appliesTo the findings the suppression covers; @default - every finding of the rule on `scope`
 */
export function suppress(scope: IConstruct, ruleId: RuleId, reason: keyof typeof POLICY_EXCEPTION_REASONS, appliesTo?: readonly string[]): void {
  suppressRule(scope, { ruleId, reason: POLICY_EXCEPTION_REASONS[reason], appliesTo });
}

/**
 * When the configuration turns a control off (`when`), suppresses `ruleId` on `scope` if the
 * profile of `scope`'s stack allows the exception, with that profile's reason. Otherwise nothing is
 * suppressed, and the policy gate reports the finding unless the environment waives it.
 */
export function suppressWhen(when: boolean, scope: IConstruct, ruleId: RuleId, exception: ProfileExceptionName, appliesTo?: readonly string[]): void {
  if (!when) return;
  const reason = PROFILE_EXCEPTIONS[policyProfileOf(scope)][exception];
  if (reason !== undefined) suppressRule(scope, { ruleId, reason, appliesTo });
}

/** How every waiver's reason starts, so reports can tell waivers from other suppressions. */
export const WAIVER_REASON_PREFIX = 'Waiver until ';

/** The reason a waiver's suppression carries: the environment's reason, with its expiry first. */
export function waiverReason(waiver: PolicyWaiver): string {
  return `${WAIVER_REASON_PREFIX}${waiver.expires}: ${waiver.reason}`;
}

/**
 * Applies an environment's waivers to its stack: each suppresses its rule on every resource of the
 * stack, with {@link waiverReason}. An unknown rule id, or a waiver that matches no finding, fails the
 * policy gate like any suppression (policy/engine.ts).
 */
export function applyWaivers(stack: IConstruct, waivers: readonly PolicyWaiver[]): void {
  for (const waiver of waivers) suppressRule(stack, { ruleId: waiver.ruleId as RuleId, reason: waiverReason(waiver) });
}
