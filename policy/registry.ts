/**
 * The one registry of policy rules. Order is the order of the table `npm run policy` prints.
 * To add a rule: write policy/rules/<service>/<rule>.ts, or policy/rules/stack/<rule>.ts for one that
 * reads the whole stack (`export const x = { id: 'WB-...' as const, ... } satisfies Rule`), add it
 * here, and add a violating and a complying case in __tests__/policy/rules.test.ts (a test fails
 * until both exist).
 */
import type { Rule } from './types';
import { vpcDefaultSecurityGroupClosed } from './rules/vpc/default-security-group-closed';
import { vpcFlowLogs } from './rules/vpc/flow-logs';
import { vpcNoDefaultVpc } from './rules/vpc/no-default-vpc';
import { vpcNoInternetRoute } from './rules/vpc/no-internet-route';
import { vpcSubnetNoPublicIp } from './rules/vpc/subnet-no-public-ip';
import { ec2NoPublicEgress } from './rules/ec2/no-public-egress';
import { ec2NoPublicIngress } from './rules/ec2/no-public-ingress';
import { ec2SecurityGroupAttached } from './rules/ec2/security-group-attached';
import { ec2SecurityGroupDescription } from './rules/ec2/security-group-description';
import { ec2SecurityGroupRuleDescription } from './rules/ec2/security-group-rule-description';
import { rdsBackupRetention } from './rules/rds/backup-retention';
import { rdsCaCertificate } from './rules/rds/ca-certificate';
import { rdsCopyTagsToSnapshot } from './rules/rds/copy-tags-to-snapshot';
import { rdsDeletionProtection } from './rules/rds/deletion-protection';
import { rdsEnhancedMonitoring } from './rules/rds/enhanced-monitoring';
import { rdsFinalSnapshot } from './rules/rds/final-snapshot';
import { rdsForceSsl } from './rules/rds/force-ssl';
import { rdsIamAuthentication } from './rules/rds/iam-authentication';
import { rdsLogExports } from './rules/rds/log-exports';
import { rdsManagedMasterPassword } from './rules/rds/managed-master-password';
import { rdsMinorVersionUpgrade } from './rules/rds/minor-version-upgrade';
import { rdsMultiAz } from './rules/rds/multi-az';
import { rdsNotPublic } from './rules/rds/not-public';
import { rdsPerformanceInsightsCmk } from './rules/rds/performance-insights-cmk';
import { rdsPerformanceInsights } from './rules/rds/performance-insights';
import { rdsSecretCmk } from './rules/rds/secret-cmk';
import { rdsStorageEncrypted } from './rules/rds/storage-encrypted';
import { iamNoAdminPolicy } from './rules/iam/no-admin-policy';
import { iamNoWildcardAction } from './rules/iam/no-wildcard-action';
import { iamNoWildcardResource } from './rules/iam/no-wildcard-resource';
import { iamSecretsScoped } from './rules/iam/secrets-scoped';
import { iamTrustServicePrincipals } from './rules/iam/trust-service-principals';
import { lambdaEnvNoCredentials } from './rules/lambda/env-no-credentials';
import { lambdaEnvironmentCmk } from './rules/lambda/environment-cmk';
import { lambdaExplicitMemory } from './rules/lambda/explicit-memory';
import { lambdaExplicitTimeout } from './rules/lambda/explicit-timeout';
import { lambdaInVpc } from './rules/lambda/in-vpc';
import { lambdaLatestRuntime } from './rules/lambda/latest-runtime';
import { lambdaNoMasterSecret } from './rules/lambda/no-master-secret';
import { lambdaReservedConcurrency } from './rules/lambda/reserved-concurrency';
import { lambdaTracing } from './rules/lambda/tracing';
import { logsCmk } from './rules/logs/cmk';
import { logsDeclared } from './rules/logs/declared';
import { logsRetentionOneYear } from './rules/logs/retention-one-year';
import { logsRetention } from './rules/logs/retention';
import { kmsEnabled } from './rules/kms/enabled';
import { kmsKeyPolicy } from './rules/kms/key-policy';
import { kmsRotation } from './rules/kms/rotation';
import { endpointPrivateDns } from './rules/endpoint/private-dns';
import { endpointSecretsPolicy } from './rules/endpoint/secrets-policy';
import { s3Encryption } from './rules/s3/encryption';
import { s3Lifecycle } from './rules/s3/lifecycle';
import { s3PublicAccessBlock } from './rules/s3/public-access-block';
import { s3TlsOnly } from './rules/s3/tls-only';
import { s3Versioning } from './rules/s3/versioning';
import { stackNoPasswordAnywhere } from './rules/stack/no-password-anywhere';
import { snsTopicCmk } from './rules/sns/topic-cmk';
import { snsTopicPolicy } from './rules/sns/topic-policy';
import { cloudwatchAlarmActions } from './rules/cloudwatch/alarm-actions';
import { cloudwatchMonitored } from './rules/cloudwatch/monitored';
import { terraformCreateBeforeDestroyNamePrefix } from './rules/terraform/create-before-destroy-name-prefix';

export const RULES = [
  vpcDefaultSecurityGroupClosed,
  vpcFlowLogs,
  vpcNoDefaultVpc,
  vpcNoInternetRoute,
  vpcSubnetNoPublicIp,
  ec2NoPublicEgress,
  ec2NoPublicIngress,
  ec2SecurityGroupAttached,
  ec2SecurityGroupDescription,
  ec2SecurityGroupRuleDescription,
  rdsBackupRetention,
  rdsCaCertificate,
  rdsCopyTagsToSnapshot,
  rdsDeletionProtection,
  rdsEnhancedMonitoring,
  rdsFinalSnapshot,
  rdsForceSsl,
  rdsIamAuthentication,
  rdsLogExports,
  rdsManagedMasterPassword,
  rdsMinorVersionUpgrade,
  rdsMultiAz,
  rdsNotPublic,
  rdsPerformanceInsightsCmk,
  rdsPerformanceInsights,
  rdsSecretCmk,
  rdsStorageEncrypted,
  iamNoAdminPolicy,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamSecretsScoped,
  iamTrustServicePrincipals,
  lambdaEnvNoCredentials,
  lambdaEnvironmentCmk,
  lambdaExplicitMemory,
  lambdaExplicitTimeout,
  lambdaInVpc,
  lambdaLatestRuntime,
  lambdaNoMasterSecret,
  lambdaReservedConcurrency,
  lambdaTracing,
  logsCmk,
  logsDeclared,
  logsRetentionOneYear,
  logsRetention,
  kmsEnabled,
  kmsKeyPolicy,
  kmsRotation,
  endpointPrivateDns,
  endpointSecretsPolicy,
  s3Encryption,
  s3Lifecycle,
  s3PublicAccessBlock,
  s3TlsOnly,
  s3Versioning,
  stackNoPasswordAnywhere,
  snsTopicCmk,
  snsTopicPolicy,
  cloudwatchAlarmActions,
  cloudwatchMonitored,
  terraformCreateBeforeDestroyNamePrefix,
] as const satisfies readonly Rule[];

/**
 * The id of a rule of the registry, as a string literal union: a suppression (`suppressRule`,
 * `suppressWhen`) that names a misspelled or removed rule fails to compile.
 */
export type RuleId = (typeof RULES)[number]['id'];

const BY_ID = new Map<string, Rule>(RULES.map((r) => [r.id, r]));

/** The rule with this id, or undefined. */
export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id);
}
