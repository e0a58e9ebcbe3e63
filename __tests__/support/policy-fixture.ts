/**
 * A stack built from real constructs that complies with every rule of the policy pack; the rule
 * tests break one thing at a time (escape-hatch overrides or one extra resource) and expect the
 * matching rule id to fail. Kept independent of stacks/ so a change there cannot hide a rule bug.
 */
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { NEWEST_NODEJS_RUNTIME } from '../../policy/rules/lambda/latest-runtime';
import { scratchDir } from './scratch';

const ACCOUNT = '123456789012';

const trust = (service: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });

/** The fixture's log groups, which the key policy lets CloudWatch Logs encrypt. */
const LOG_GROUP_NAMES = ['/vpc/fixture', '/aws/rds/instance/fixture-db/postgresql', '/aws/rds/instance/fixture-db/upgrade', '/aws/lambda/fixture-fn'];
const ACCOUNT_ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const TOPIC_ARN = `arn:aws:sns:ap-southeast-1:${ACCOUNT}:fixture-alerts`;
const VIA_SERVICES = {
  'kms:CallerAccount': ACCOUNT,
  'kms:ViaService': ['secretsmanager', 'rds', 'lambda'].map((s) => `${s}.ap-southeast-1.amazonaws.com`),
};

/**
 * The key policy of stacks/constructs/encryption-key.ts, with literal ids: the account administers the key
 * (no kms:Create*, which covers kms:CreateGrant), uses it only through Secrets Manager, RDS and
 * Lambda, creates grants only for AWS resources through them, and CloudWatch Logs encrypts the
 * fixture's log groups. Tests replace `Statement[0]` to break it.
 */
export const FIXTURE_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AccountAdministersKey',
      Effect: 'Allow',
      Principal: { AWS: ACCOUNT_ROOT },
      Action: [
        'kms:CreateAlias', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*',
        'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion',
        'kms:CancelKeyDeletion',
      ],
      Resource: '*',
    },
    {
      Sid: 'AccountUsesKeyOnlyThroughServices',
      Effect: 'Allow',
      Principal: { AWS: ACCOUNT_ROOT },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
      Condition: { StringEquals: VIA_SERVICES },
    },
    {
      Sid: 'ServicesCreateGrantsForTheirResources',
      Effect: 'Allow',
      Principal: { AWS: ACCOUNT_ROOT },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { StringEquals: VIA_SERVICES, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
    {
      Sid: 'CloudWatchLogsEncryptsTheseLogGroups',
      Effect: 'Allow',
      Principal: { Service: 'logs.ap-southeast-1.amazonaws.com' },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
      Condition: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': LOG_GROUP_NAMES.map((name) => `arn:aws:logs:ap-southeast-1:${ACCOUNT}:log-group:${name}`),
        },
      },
    },
    {
      Sid: 'AlarmsAndRulesEncryptForTheAlertTopic',
      Effect: 'Allow',
      Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': TOPIC_ARN } },
    },
  ],
};

/** Handles on the constructs tests mutate. */
export interface CompliantFixture {
  readonly app: App;
  readonly stack: TerraformStack;
  readonly vpc: Vpc;
  readonly defaultSg: DefaultSecurityGroup;
  readonly subnets: Subnet[];
  readonly flowLog: FlowLog;
  readonly flowLogGroup: CloudwatchLogGroup;
  readonly key: KmsKey;
  readonly dbSg: SecurityGroup;
  readonly fnSg: SecurityGroup;
  readonly dbIngress: VpcSecurityGroupIngressRule;
  readonly parameterGroup: DbParameterGroup;
  readonly db: DbInstance;
  readonly fnRole: IamRole;
  readonly secretRead: IamPolicy;
  readonly fn: LambdaFunction;
  readonly fnLogGroup: CloudwatchLogGroup;
  readonly endpoint: VpcEndpoint;
  readonly bucket: S3Bucket;
  readonly topic: SnsTopic;
  readonly topicPolicy: SnsTopicPolicy;
  /** Alarms by metric name: Errors, Throttles (the function), CPUUtilization, FreeStorageSpace, DatabaseConnections (the instance). */
  readonly alarms: Record<string, CloudwatchMetricAlarm>;
}

/**
 * Builds the compliant stack in a fresh app. Its output folder is a scratch folder, which
 * jest.setup.js removes after each test file (a process outside jest calls `removeScratch()`).
 */
export function compliantFixture(): CompliantFixture {
  const app = new App({ outdir: scratchDir('policy-fixture-') });
  const stack = new TerraformStack(app, 'fixture');
  new AwsProvider(stack, 'aws', { region: 'ap-southeast-1' });

  const key = new KmsKey(stack, 'key', {
    description: 'fixture key',
    enableKeyRotation: true,
    deletionWindowInDays: 7,
    policy: JSON.stringify(FIXTURE_KEY_POLICY),
  });

  const vpc = new Vpc(stack, 'vpc', { cidrBlock: '10.0.0.0/16', enableDnsSupport: true, enableDnsHostnames: true });
  const defaultSg = new DefaultSecurityGroup(stack, 'default-sg', { vpcId: vpc.id });
  const subnets = ['a', 'b'].map(
    (az, i) => new Subnet(stack, `subnet-${az}`, { vpcId: vpc.id, cidrBlock: `10.0.${i}.0/24`, availabilityZone: `ap-southeast-1${az}` }),
  );
  new RouteTable(stack, 'routes', { vpcId: vpc.id });

  const flowLogGroup = new CloudwatchLogGroup(stack, 'flow-log-group', { name: '/vpc/fixture', retentionInDays: 365, kmsKeyId: key.arn });
  const flowRole = new IamRole(stack, 'flow-role', { name: 'flow', assumeRolePolicy: trust('vpc-flow-logs.amazonaws.com') });
  const flowLog = new FlowLog(stack, 'flow-log', {
    vpcId: vpc.id,
    trafficType: 'ALL',
    logDestination: flowLogGroup.arn,
    iamRoleArn: flowRole.arn,
  });
  const flowPolicy = new IamPolicy(stack, 'flow-policy', {
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], Resource: [flowLogGroup.arn, `${flowLogGroup.arn}:*`] },
      ],
    }),
  });
  new IamRolePolicyAttachment(stack, 'flow-policy-attachment', { role: flowRole.name, policyArn: flowPolicy.arn });

  const dbSg = new SecurityGroup(stack, 'db-sg', { vpcId: vpc.id, description: 'Database: PostgreSQL from the Lambda only' });
  const fnSg = new SecurityGroup(stack, 'fn-sg', { vpcId: vpc.id, description: 'Lambda: egress to the database and the endpoint' });
  const endpointSg = new SecurityGroup(stack, 'endpoint-sg', { vpcId: vpc.id, description: 'Endpoint: HTTPS from the Lambda' });
  const dbIngress = new VpcSecurityGroupIngressRule(stack, 'db-in', {
    securityGroupId: dbSg.id, referencedSecurityGroupId: fnSg.id, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, description: 'PostgreSQL from the Lambda',
  });
  new VpcSecurityGroupEgressRule(stack, 'fn-to-db', {
    securityGroupId: fnSg.id, referencedSecurityGroupId: dbSg.id, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, description: 'PostgreSQL to the database',
  });
  new VpcSecurityGroupIngressRule(stack, 'endpoint-in', {
    securityGroupId: endpointSg.id, referencedSecurityGroupId: fnSg.id, ipProtocol: 'tcp', fromPort: 443, toPort: 443, description: 'HTTPS from the Lambda',
  });
  new VpcSecurityGroupEgressRule(stack, 'fn-to-endpoint', {
    securityGroupId: fnSg.id, referencedSecurityGroupId: endpointSg.id, ipProtocol: 'tcp', fromPort: 443, toPort: 443, description: 'HTTPS to the endpoint',
  });

  const subnetGroup = new DbSubnetGroup(stack, 'db-subnets', { name: 'fixture', subnetIds: subnets.map((s) => s.id) });
  // As the stacks do: a group replaced before the old one goes, so named by a prefix.
  const parameterGroup = new DbParameterGroup(stack, 'db-params', {
    namePrefix: 'fixture-pg17-',
    family: 'postgres17',
    lifecycle: { createBeforeDestroy: true },
  });
  const monitoringRole = new IamRole(stack, 'monitoring-role', { name: 'rds-monitoring', assumeRolePolicy: trust('monitoring.rds.amazonaws.com') });
  new IamRolePolicyAttachment(stack, 'monitoring-attachment', {
    role: monitoringRole.name,
    policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole',
  });
  const rdsLogs = ['postgresql', 'upgrade'].map(
    (log) => new CloudwatchLogGroup(stack, `db-log-${log}`, { name: `/aws/rds/instance/fixture-db/${log}`, retentionInDays: 365, kmsKeyId: key.arn }),
  );
  const db = new DbInstance(stack, 'db', {
    identifier: 'fixture-db',
    engine: 'postgres',
    engineVersion: '17.4',
    instanceClass: 'db.t4g.micro',
    allocatedStorage: 20,
    username: 'workshop_admin',
    manageMasterUserPassword: true,
    masterUserSecretKmsKeyId: key.arn,
    dbSubnetGroupName: subnetGroup.name,
    vpcSecurityGroupIds: [dbSg.id],
    parameterGroupName: parameterGroup.name,
    storageEncrypted: true,
    kmsKeyId: key.arn,
    publiclyAccessible: false,
    backupRetentionPeriod: 7,
    autoMinorVersionUpgrade: true,
    deletionProtection: true,
    multiAz: true,
    enabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
    performanceInsightsEnabled: true,
    performanceInsightsKmsKeyId: key.arn,
    copyTagsToSnapshot: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: 'fixture-db-final',
    iamDatabaseAuthenticationEnabled: true,
    monitoringInterval: 60,
    monitoringRoleArn: monitoringRole.arn,
    dependsOn: rdsLogs,
  });
  const secretArn = db.masterUserSecret.get(0).secretArn;

  const fnRole = new IamRole(stack, 'fn-role', { name: 'fn', assumeRolePolicy: trust('lambda.amazonaws.com') });
  // The read of the master secret that only a migration function may have: the rules read it on its
  // own (WB-IAM-SECRETS-SCOPED), and attaching it to the function's role is WB-LAMBDA-NO-MASTER-SECRET's
  // violating case. The stacks suppress that rule on their migration function, which the fixture leaves out.
  const secretRead = new IamPolicy(stack, 'secret-read', {
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: secretArn }],
    }),
  });
  // The application function logs in as its own database role with IAM database authentication.
  const dbConnect = new IamPolicy(stack, 'db-connect', {
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: `arn:aws:rds-db:ap-southeast-1:${ACCOUNT}:dbuser:${db.resourceId}/app_reader` }],
    }),
  });
  new IamRolePolicyAttachment(stack, 'db-connect-attachment', { role: fnRole.name, policyArn: dbConnect.arn });
  new IamRolePolicyAttachment(stack, 'xray-attachment', { role: fnRole.name, policyArn: 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess' });

  const fnLogGroup = new CloudwatchLogGroup(stack, 'fn-log-group', { name: '/aws/lambda/fixture-fn', retentionInDays: 365, kmsKeyId: key.arn });
  const fn = new LambdaFunction(stack, 'fn', {
    functionName: 'fixture-fn',
    role: fnRole.arn,
    runtime: NEWEST_NODEJS_RUNTIME,
    handler: 'index.handler',
    filename: 'fixture.zip',
    memorySize: 256,
    timeout: 10,
    reservedConcurrentExecutions: 10,
    kmsKeyArn: key.arn,
    tracingConfig: { mode: 'Active' },
    vpcConfig: { subnetIds: subnets.map((s) => s.id), securityGroupIds: [fnSg.id] },
    environment: { variables: { DB_AUTH: 'iam', DB_USER: 'app_reader', DB_PORT: '5432', DB_CONNECT_TIMEOUT_MS: '1000' } },
    dependsOn: [fnLogGroup],
  });

  const endpoint = new VpcEndpoint(stack, 'endpoint', {
    vpcId: vpc.id,
    serviceName: 'com.amazonaws.ap-southeast-1.secretsmanager',
    vpcEndpointType: 'Interface',
    privateDnsEnabled: true,
    subnetIds: subnets.map((s) => s.id),
    securityGroupIds: [endpointSg.id],
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: secretArn,
          Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT } },
        },
      ],
    }),
  });

  const bucket = new S3Bucket(stack, 'state-bucket', { bucket: 'fixture-tfstate' });
  new S3BucketVersioningA(stack, 'state-versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
  new S3BucketServerSideEncryptionConfigurationA(stack, 'state-sse', {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
  });
  new S3BucketPublicAccessBlock(stack, 'state-pab', {
    bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
  });
  new S3BucketPolicy(stack, 'state-policy', {
    bucket: bucket.id,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    }),
  });
  new S3BucketLifecycleConfiguration(stack, 'state-lifecycle', {
    bucket: bucket.id,
    rule: [
      {
        id: 'tidy',
        status: 'Enabled',
        filter: [{}],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        noncurrentVersionExpiration: [{ noncurrentDays: 90 }],
      },
    ],
  });

  const topic = new SnsTopic(stack, 'alerts', { name: 'fixture-alerts', kmsMasterKeyId: key.arn });
  const topicPolicy = new SnsTopicPolicy(stack, 'alerts-policy', {
    arn: topic.arn,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topic.arn,
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:ap-southeast-1:${ACCOUNT}:alarm:fixture-*` } },
        },
      ],
    }),
  });
  const alarms: Record<string, CloudwatchMetricAlarm> = {};
  const alarm = (namespace: string, metricName: string, dimensions: Record<string, string>) => {
    alarms[metricName] = new CloudwatchMetricAlarm(stack, `alarm-${metricName}`, {
      alarmName: `fixture-${metricName}`,
      namespace,
      metricName,
      dimensions,
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      alarmActions: [topic.arn],
      okActions: [topic.arn],
    });
  };
  for (const m of ['Errors', 'Throttles']) alarm('AWS/Lambda', m, { FunctionName: fn.functionName });
  for (const m of ['CPUUtilization', 'FreeStorageSpace', 'DatabaseConnections']) alarm('AWS/RDS', m, { DBInstanceIdentifier: db.identifier });

  return {
    app, stack, vpc, defaultSg, subnets, flowLog, flowLogGroup, key, dbSg, fnSg, dbIngress,
    parameterGroup, db, fnRole, secretRead, fn, fnLogGroup, endpoint, bucket, topic, topicPolicy, alarms,
  };
}
