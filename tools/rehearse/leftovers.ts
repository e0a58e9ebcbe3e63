/**
 * "Nothing left behind": after destroy, every kind of resource our stacks create is listed through
 * the AWS SDK on the stack's moto server, and anything found is a leftover, except what a destroy
 * keeps on purpose: the final snapshot of a DB instance, a KMS key pending deletion (AWS waits 7 to
 * 30 days), and the state bucket. Defaults moto makes by itself (the default VPC and its subnets and
 * group, `default.*` parameter groups, AWS-managed keys, and the keys behind `alias/aws/...` aliases,
 * which moto marks customer-managed (moto gap kms-default-key-manager), and service-linked roles)
 * are not ours.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeFlowLogsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { IAMClient, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, KMSClient, ListAliasesCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { DescribeDBInstancesCommand, DescribeDBParameterGroupsCommand, DescribeDBSnapshotsCommand, DescribeDBSubnetGroupsCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { clientConfig, type MotoTarget } from './aws-clients';

/** One resource found on the server. */
export interface FoundResource {
  /** `ec2:security-group`, `rds:db-snapshot`, ... */
  readonly kind: string;
  readonly id: string;
  /** Why it may stay, when it may. */
  readonly allowedAs?: string;
}

/** What may stay after destroy. */
export interface Allowed {
  /**
   * Identifiers of the final snapshots the destroyed DB instances took.
   * @default - none
   */
  readonly finalSnapshots?: readonly string[];
  /**
   * The state bucket's name, on the state's server.
   * @default - none
   */
  readonly stateBucket?: string;
}

/** The kinds of resource checked, each with how to list them; {@link findResources} runs them all. */
export const CHECKED_KINDS = [
  'ec2:vpc',
  'ec2:subnet',
  'ec2:security-group',
  'ec2:vpc-endpoint',
  'ec2:flow-log',
  'ec2:network-interface',
  'rds:db-instance',
  'rds:db-subnet-group',
  'rds:db-parameter-group',
  'rds:db-snapshot',
  'iam:role',
  'iam:policy',
  'secretsmanager:secret',
  'lambda:function',
  'kms:key',
  'kms:alias',
  'sns:topic',
  'cloudwatch:alarm',
  'logs:log-group',
  'events:rule',
  's3:bucket',
] as const;

/** Every resource of {@link CHECKED_KINDS} on the server, each marked when `allowed` lets it stay. */
export async function findResources(target: MotoTarget, allowed: Allowed = {}): Promise<FoundResource[]> {
  const config = clientConfig(target);
  const ec2 = new EC2Client(config);
  const rds = new RDSClient(config);
  const iam = new IAMClient(config);
  const sm = new SecretsManagerClient(config);
  const lambda = new LambdaClient(config);
  const kms = new KMSClient(config);
  const sns = new SNSClient(config);
  const cloudwatch = new CloudWatchClient(config);
  const logs = new CloudWatchLogsClient(config);
  const events = new EventBridgeClient(config);
  const s3 = new S3Client(config);
  try {
    const defaultVpcs = new Set(((await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).filter((v) => v.IsDefault).map((v) => v.VpcId));
    const ours = (vpcId: string | undefined) => !defaultVpcs.has(vpcId);
    const found = async (kind: (typeof CHECKED_KINDS)[number], list: () => Promise<(string | { id: string; allowedAs?: string })[]>): Promise<FoundResource[]> =>
      (await list()).map((item) => (typeof item === 'string' ? { kind, id: item } : { kind, ...item }));
    const finalSnapshots = new Set(allowed.finalSnapshots ?? []);
    const results = await Promise.all([
      found('ec2:vpc', async () => ((await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).filter((v) => !v.IsDefault).map((v) => v.VpcId!)),
      found('ec2:subnet', async () => ((await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? []).filter((s) => ours(s.VpcId)).map((s) => s.SubnetId!)),
      found('ec2:security-group', async () =>
        ((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).filter((g) => ours(g.VpcId)).map((g) => `${g.GroupId} (${g.GroupName})`),
      ),
      found('ec2:vpc-endpoint', async () =>
        ((await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints ?? []).filter((e) => !['deleted', 'Deleted'].includes(String(e.State))).map((e) => e.VpcEndpointId!),
      ),
      found('ec2:flow-log', async () => ((await ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs ?? []).map((f) => f.FlowLogId!)),
      found('ec2:network-interface', async () =>
        ((await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? []).filter((n) => ours(n.VpcId)).map((n) => n.NetworkInterfaceId!),
      ),
      found('rds:db-instance', async () => ((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((d) => d.DBInstanceIdentifier!)),
      found('rds:db-subnet-group', async () => ((await rds.send(new DescribeDBSubnetGroupsCommand({}))).DBSubnetGroups ?? []).map((g) => g.DBSubnetGroupName!)),
      found('rds:db-parameter-group', async () =>
        ((await rds.send(new DescribeDBParameterGroupsCommand({}))).DBParameterGroups ?? []).map((g) => g.DBParameterGroupName!).filter((n) => !n.startsWith('default.')),
      ),
      found('rds:db-snapshot', async () =>
        ((await rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? []).map((s) => ({
          id: s.DBSnapshotIdentifier!,
          ...(finalSnapshots.has(s.DBSnapshotIdentifier!) ? { allowedAs: 'final snapshot' } : {}),
        })),
      ),
      found('iam:role', async () => ((await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? []).filter((r) => !r.Path?.startsWith('/aws-service-role/')).map((r) => r.RoleName!)),
      found('iam:policy', async () => ((await iam.send(new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 }))).Policies ?? []).map((p) => p.PolicyName!)),
      found('secretsmanager:secret', async () => ((await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList ?? []).map((s) => s.Name!)),
      found('lambda:function', async () => ((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName!)),
      found('kms:key', async () => {
        // moto gap kms-default-key-manager: the key behind an alias/aws/... alias is AWS's, whatever KeyManager says.
        const awsManaged = new Set(((await kms.send(new ListAliasesCommand({}))).Aliases ?? []).filter((a) => a.AliasName?.startsWith('alias/aws/')).map((a) => a.TargetKeyId));
        const keys = ((await kms.send(new ListKeysCommand({}))).Keys ?? []).filter((k) => !awsManaged.has(k.KeyId));
        const described = await Promise.all(keys.map((k) => kms.send(new DescribeKeyCommand({ KeyId: k.KeyId! }))));
        return described
          .map((d) => d.KeyMetadata!)
          .filter((m) => m.KeyManager !== 'AWS')
          .map((m) => ({ id: m.KeyId!, ...(m.KeyState === 'PendingDeletion' ? { allowedAs: `KMS key pending deletion (${m.DeletionDate?.toISOString().slice(0, 10) ?? 'date unknown'})` } : {}) }));
      }),
      found('kms:alias', async () => ((await kms.send(new ListAliasesCommand({}))).Aliases ?? []).map((a) => a.AliasName!).filter((n) => !n.startsWith('alias/aws/'))),
      found('sns:topic', async () => ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn!)),
      found('cloudwatch:alarm', async () => ((await cloudwatch.send(new DescribeAlarmsCommand({}))).MetricAlarms ?? []).map((a) => a.AlarmName!)),
      found('logs:log-group', async () => ((await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).map((g) => g.logGroupName!)),
      found('events:rule', async () => ((await events.send(new ListRulesCommand({}))).Rules ?? []).filter((r) => r.ManagedBy === undefined).map((r) => r.Name!)),
      found('s3:bucket', async () =>
        ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => ({ id: b.Name!, ...(b.Name === allowed.stateBucket ? { allowedAs: 'state bucket' } : {}) })),
      ),
    ]);
    return results.flat();
  } finally {
    for (const client of [ec2, rds, iam, sm, lambda, kms, sns, cloudwatch, logs, events, s3]) client.destroy();
  }
}

/** `ec2:security-group sg-1 (x), rds:db-instance y`. */
export function describeResources(resources: readonly FoundResource[]): string {
  return resources.map((r) => `${r.kind} ${r.id}${r.allowedAs ? ` (${r.allowedAs})` : ''}`).join(', ');
}
