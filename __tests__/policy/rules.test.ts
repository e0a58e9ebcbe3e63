/**
 * Every rule of the registry has a complying case (the fixture passes it) and a violating case
 * (one change to the fixture makes it fail with the rule's id). A rule without a violating case
 * here fails the coverage test.
 */
import { App, TerraformStack, TerraformVariable } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DefaultVpc } from '@cdktf/provider-aws/lib/default-vpc';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { Route } from '@cdktf/provider-aws/lib/route';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { evaluateStack, RULES } from '../../policy';
import { compliantFixture, FIXTURE_KEY_POLICY, type CompliantFixture } from '../support/policy-fixture';
import { scratchDir } from '../support/scratch';

const policyOf = (statement: object): string => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

const ROOT = { AWS: 'arn:aws:iam::123456789012:root' };
const VIA_SERVICE = { 'kms:ViaService': ['rds.ap-southeast-1.amazonaws.com'] };

/** The key administration statement the stack had before: the console default, with kms:Create*. */
const OLD_ADMIN_STATEMENT = {
  Sid: 'AccountAdministersKey',
  Effect: 'Allow',
  Principal: ROOT,
  Action: [
    'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*',
    'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
  ],
  Resource: '*',
};

/** Replaces the fixture key's administration statement (its first) with `statement`. */
function withKeyStatement(f: CompliantFixture, statement: object): void {
  f.key.addOverride('policy', JSON.stringify({ ...FIXTURE_KEY_POLICY, Statement: [statement, ...FIXTURE_KEY_POLICY.Statement.slice(1)] }));
}

/** The key policy verdict on the fixture's key. */
function keyPolicyResult(f: CompliantFixture): { status: string; message: string } | undefined {
  return evaluateStack(f.stack).results.find((r) => r.ruleId === 'WB-KMS-KEY-POLICY' && r.address.startsWith('aws_kms_key.key'));
}

/** One change per rule that must make exactly that rule fail. */
const VIOLATIONS: Record<string, (f: CompliantFixture) => void> = {
  'WB-VPC-FLOW-LOGS': (f) => f.flowLog.addOverride('traffic_type', 'REJECT'),
  'WB-VPC-DEFAULT-SG-CLOSED': (f) =>
    f.defaultSg.addOverride('ingress', [{ protocol: '-1', from_port: 0, to_port: 0, self: true }]),
  'WB-VPC-NO-DEFAULT-VPC': (f) => new DefaultVpc(f.stack, 'default-vpc'),
  'WB-VPC-NO-INTERNET-ROUTE': (f) => {
    const igw = new InternetGateway(f.stack, 'igw', { vpcId: f.vpc.id });
    new Route(f.stack, 'default-route', { routeTableId: 'rtb-1', destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });
  },
  'WB-VPC-SUBNET-NO-PUBLIC-IP': (f) => f.subnets[0].addOverride('map_public_ip_on_launch', true),
  'WB-EC2-NO-PUBLIC-EGRESS': (f) =>
    new VpcSecurityGroupEgressRule(f.stack, 'open-egress', {
      securityGroupId: f.fnSg.id, cidrIpv4: '0.0.0.0/0', ipProtocol: '-1', description: 'everything out',
    }),
  'WB-EC2-NO-PUBLIC-INGRESS': (f) =>
    new VpcSecurityGroupIngressRule(f.stack, 'open-ingress', {
      securityGroupId: f.dbSg.id, cidrIpv6: '::/0', ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, description: 'PostgreSQL from anywhere',
    }),
  'WB-EC2-SG-ATTACHED': (f) =>
    new SecurityGroup(f.stack, 'orphan', { vpcId: f.vpc.id, description: 'Nobody uses this group' }),
  'WB-EC2-SG-DESCRIPTION': (f) => f.dbSg.addOverride('description', 'Managed by Terraform'),
  'WB-EC2-SG-RULE-DESCRIPTION': (f) => f.dbIngress.addOverride('description', ''),
  'WB-RDS-BACKUP-RETENTION': (f) => f.db.addOverride('backup_retention_period', 1),
  'WB-RDS-CA-CERTIFICATE': (f) => f.db.addOverride('ca_cert_identifier', 'rds-ca-2019'),
  'WB-RDS-COPY-TAGS-TO-SNAPSHOT': (f) => f.db.addOverride('copy_tags_to_snapshot', false),
  'WB-RDS-DELETION-PROTECTION': (f) => f.db.addOverride('deletion_protection', false),
  'WB-RDS-ENHANCED-MONITORING': (f) => f.db.addOverride('monitoring_interval', 0),
  'WB-RDS-FINAL-SNAPSHOT': (f) => f.db.addOverride('skip_final_snapshot', true),
  // The vacuous pass Checkov's CKV2_AWS_69 gives: no parameter group of ours attached.
  'WB-RDS-FORCE-SSL': (f) => f.db.addOverride('parameter_group_name', 'default.postgres17'),
  'WB-TF-CBD-NAME-PREFIX': (f) => {
    f.parameterGroup.addOverride('name_prefix', undefined);
    f.parameterGroup.addOverride('name', 'fixture-pg17');
  },
  'WB-RDS-IAM-AUTHENTICATION': (f) => f.db.addOverride('iam_database_authentication_enabled', false),
  'WB-RDS-LOG-EXPORTS': (f) => f.db.addOverride('enabled_cloudwatch_logs_exports', undefined),
  'WB-RDS-MANAGED-MASTER-PASSWORD': (f) => f.db.addOverride('manage_master_user_password', false),
  'WB-RDS-MINOR-VERSION-UPGRADE': (f) => f.db.addOverride('auto_minor_version_upgrade', false),
  'WB-RDS-MULTI-AZ': (f) => f.db.addOverride('multi_az', false),
  'WB-STACK-NO-PASSWORD-ANYWHERE': (f) => new TerraformVariable(f.stack, 'db_password', { type: 'string', sensitive: true }),
  'WB-RDS-NOT-PUBLIC': (f) => f.db.addOverride('publicly_accessible', true),
  'WB-RDS-PERFORMANCE-INSIGHTS': (f) => f.db.addOverride('performance_insights_enabled', false),
  'WB-RDS-PERFORMANCE-INSIGHTS-CMK': (f) => f.db.addOverride('performance_insights_kms_key_id', ''),
  'WB-RDS-SECRET-CMK': (f) => f.db.addOverride('master_user_secret_kms_key_id', ''),
  'WB-RDS-STORAGE-ENCRYPTED': (f) => f.db.addOverride('storage_encrypted', false),
  'WB-IAM-NO-ADMIN-POLICY': (f) =>
    new IamRolePolicyAttachment(f.stack, 'admin', { role: f.fnRole.name, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
  'WB-IAM-NO-WILDCARD-ACTION': (f) =>
    f.secretRead.addOverride('policy', policyOf({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::fixture-tfstate' })),
  'WB-IAM-NO-WILDCARD-RESOURCE': (f) =>
    new IamRolePolicyAttachment(f.stack, 'vpc-access', {
      role: f.fnRole.name, policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    }),
  'WB-IAM-SECRETS-SCOPED': (f) =>
    new IamPolicy(f.stack, 'all-secrets', { policy: policyOf({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:*' }) }),
  'WB-IAM-TRUST-SERVICE-PRINCIPALS': (f) =>
    new IamRole(f.stack, 'account-role', {
      assumeRolePolicy: policyOf({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }),
    }),
  'WB-LAMBDA-ENV-NO-CREDENTIALS': (f) =>
    f.fn.addOverride('environment.variables.DB_PASSWORD', 'hunter2-hunter2'),
  'WB-LAMBDA-ENVIRONMENT-CMK': (f) => f.fn.addOverride('kms_key_arn', ''),
  'WB-LAMBDA-EXPLICIT-MEMORY': (f) => f.fn.addOverride('memory_size', undefined),
  'WB-LAMBDA-EXPLICIT-TIMEOUT': (f) => f.fn.addOverride('timeout', undefined),
  'WB-LAMBDA-IN-VPC': (f) => f.fn.addOverride('vpc_config', undefined),
  'WB-LAMBDA-LATEST-RUNTIME': (f) => f.fn.addOverride('runtime', 'nodejs20.x'),
  'WB-LAMBDA-NO-MASTER-SECRET': (f) => new IamRolePolicyAttachment(f.stack, 'master-secret-read', { role: f.fnRole.name, policyArn: f.secretRead.arn }),
  'WB-LAMBDA-RESERVED-CONCURRENCY': (f) => f.fn.addOverride('reserved_concurrent_executions', -1),
  'WB-LAMBDA-TRACING': (f) => f.fn.addOverride('tracing_config.mode', 'PassThrough'),
  'WB-LOGS-CMK': (f) => f.fnLogGroup.addOverride('kms_key_id', ''),
  'WB-LOGS-DECLARED': (f) => f.fn.addOverride('function_name', 'renamed-fn'),
  'WB-LOGS-RETENTION': (f) => f.flowLogGroup.addOverride('retention_in_days', undefined),
  'WB-LOGS-RETENTION-1Y': (f) => f.flowLogGroup.addOverride('retention_in_days', 30),
  'WB-KMS-ENABLED': (f) => f.key.addOverride('is_enabled', false),
  'WB-KMS-KEY-POLICY': (f) => new KmsKey(f.stack, 'key-without-policy', { enableKeyRotation: true }),
  'WB-KMS-ROTATION': (f) => f.key.addOverride('enable_key_rotation', false),
  'WB-ENDPOINT-PRIVATE-DNS': (f) => f.endpoint.addOverride('private_dns_enabled', false),
  'WB-ENDPOINT-SECRETS-POLICY': (f) => f.endpoint.addOverride('policy', undefined),
  'WB-S3-ENCRYPTION': (f) => new S3Bucket(f.stack, 'bare-bucket-encryption', { bucket: 'bare-1' }),
  'WB-S3-LIFECYCLE': (f) => new S3Bucket(f.stack, 'bare-bucket-lifecycle', { bucket: 'bare-2' }),
  'WB-S3-PUBLIC-ACCESS-BLOCK': (f) => new S3Bucket(f.stack, 'bare-bucket-pab', { bucket: 'bare-3' }),
  'WB-S3-TLS-ONLY': (f) => new S3Bucket(f.stack, 'bare-bucket-tls', { bucket: 'bare-4' }),
  'WB-S3-VERSIONING': (f) => new S3Bucket(f.stack, 'bare-bucket-versioning', { bucket: 'bare-5' }),
  'WB-SNS-TOPIC-CMK': (f) => f.topic.addOverride('kms_master_key_id', 'alias/aws/sns'),
  'WB-SNS-TOPIC-POLICY': (f) =>
    f.topicPolicy.addOverride('policy', policyOf({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: '*' })),
  'WB-CLOUDWATCH-ALARM-ACTIONS': (f) => {
    f.alarms.Errors.alarmActions = ['arn:aws:sns:ap-southeast-1:210987654321:someone-elses-topic'];
  },
  'WB-CLOUDWATCH-MONITORED': (f) => f.alarms.FreeStorageSpace.addOverride('metric_name', 'ReadLatency'),
};

describe('policy rules', () => {
  const baseline = evaluateStack(compliantFixture().stack);

  it('has a violating case in this file for every rule of the registry', () => {
    expect(Object.keys(VIOLATIONS).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it('gives every rule metadata: id, one-line title, severity and an explanation with the fix', () => {
    for (const r of RULES) {
      expect(r.id).toMatch(/^WB-[A-Z0-9]+(-[A-Z0-9]+)+$/);
      expect(r.title).not.toMatch(/\n/);
      expect(r.explanation).toMatch(/Fix: /);
    }
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  it('passes the compliant fixture on every rule, with no failure at all', () => {
    expect(baseline.results.filter((r) => r.status !== 'pass')).toEqual([]);
  });

  it.each(RULES.map((r) => r.id))('%s passes at least one resource of the compliant fixture', (id) => {
    expect(baseline.results.some((r) => r.ruleId === id && r.status === 'pass')).toBe(true);
  });

  // A rule with no row in `npm run policy` looks as if it never ran, so every rule reports once on a
  // stack with nothing to check: `not-applicable`, never a pass, except the rules that forbid
  // something anywhere in the stack, for which its absence is the compliant case itself.
  const ABSENCE_RULES = ['WB-VPC-NO-DEFAULT-VPC', 'WB-VPC-NO-INTERNET-ROUTE', 'WB-STACK-NO-PASSWORD-ANYWHERE'];
  const emptyStackReport = (() => {
    const stack = new TerraformStack(new App({ outdir: scratchDir('policy-empty-') }), 'empty');
    new AwsProvider(stack, 'aws', { region: 'ap-southeast-1' });
    return evaluateStack(stack);
  })();

  it.each(RULES.map((r) => r.id).filter((id) => !ABSENCE_RULES.includes(id)))(
    '%s reports not-applicable, saying what it looked for, on a stack with nothing to check',
    (id) => {
      expect(emptyStackReport.results.filter((r) => r.ruleId === id)).toEqual([
        expect.objectContaining({ address: 'stack', status: 'not-applicable', constructPath: 'empty', message: expect.stringMatching(/^nothing to check: no \S/) }),
      ]);
    },
  );

  it.each(ABSENCE_RULES)('%s passes a stack without what it forbids, at stack level', (id) => {
    expect(emptyStackReport.results.filter((r) => r.ruleId === id)).toEqual([
      expect.objectContaining({ address: 'stack', status: 'pass', constructPath: 'empty' }),
    ]);
  });

  it('gives every rule of the registry at least one result on the compliant fixture', () => {
    const ruled = new Set(baseline.results.map((r) => r.ruleId));
    expect(RULES.map((r) => r.id).filter((id) => !ruled.has(id))).toEqual([]);
  });

  it('fails WB-RDS-FORCE-SSL when a postgres14 group does not set rds.force_ssl = 1 (its default is 0)', () => {
    const fixture = compliantFixture();
    fixture.parameterGroup.addOverride('family', 'postgres14');
    const failed = evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail');
    expect(failed).toEqual([expect.objectContaining({ ruleId: 'WB-RDS-FORCE-SSL', message: expect.stringMatching(/does not set rds.force_ssl = 1 \(postgres14 defaults to 0\)/) })]);
  });

  it('passes WB-RDS-FORCE-SSL when a postgres14 group sets rds.force_ssl = 1', () => {
    const fixture = compliantFixture();
    fixture.parameterGroup.addOverride('family', 'postgres14');
    fixture.parameterGroup.addOverride('parameter', [{ name: 'rds.force_ssl', value: '1' }]);
    expect(evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail')).toEqual([]);
  });

  it('fails WB-RDS-FORCE-SSL when a postgres17 group sets rds.force_ssl to its default 1, or to 0', () => {
    for (const value of ['1', '0']) {
      const fixture = compliantFixture();
      fixture.parameterGroup.addOverride('parameter', [{ name: 'rds.force_ssl', value }]);
      const failed = evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail');
      expect(failed).toEqual([
        expect.objectContaining({ ruleId: 'WB-RDS-FORCE-SSL', message: expect.stringMatching(value === '1' ? /the postgres17 default: remove it/ : /sets rds.force_ssl = 0/) }),
      ]);
    }
  });

  it('fails WB-TF-CBD-NAME-PREFIX on a fixed name with create_before_destroy, and passes name_prefix', () => {
    const fixture = compliantFixture();
    fixture.parameterGroup.addOverride('name_prefix', undefined);
    fixture.parameterGroup.addOverride('name', 'fixture-pg17');
    const failed = evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail');
    expect(failed).toEqual([expect.objectContaining({ ruleId: 'WB-TF-CBD-NAME-PREFIX', message: 'create_before_destroy with a fixed name: use the *_prefix argument' })]);
    fixture.parameterGroup.addOverride('name', undefined);
    fixture.parameterGroup.addOverride('name_prefix', 'fixture-pg17-');
    expect(evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail')).toEqual([]);
  });

  it('fails WB-RDS-LOG-EXPORTS when the upgrade log is not exported', () => {
    const fixture = compliantFixture();
    fixture.db.enabledCloudwatchLogsExports = ['postgresql'];
    const failed = evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail');
    expect(failed.map((r) => [r.ruleId, r.message])).toContainEqual(['WB-RDS-LOG-EXPORTS', 'enabled_cloudwatch_logs_exports lacks upgrade']);
  });

  it.each(RULES.map((r) => r.id))('fails when the fixture violates %s, with that id', (id) => {
    const fixture = compliantFixture();
    VIOLATIONS[id](fixture);
    const failed = evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail');
    expect(failed.map((r) => r.ruleId)).toContain(id);
  });

  it.each([
    ['actions are disabled', 'actions_enabled', false, 'actions_enabled is false'],
    ['the alarm has no action', 'alarm_actions', null, 'alarm_actions is empty'],
  ])('fails WB-CLOUDWATCH-ALARM-ACTIONS when %s', (_name, field, value, message) => {
    const fixture = compliantFixture();
    fixture.alarms.Throttles.addOverride(field, value);
    const failed = evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail');
    expect(failed).toEqual([expect.objectContaining({ ruleId: 'WB-CLOUDWATCH-ALARM-ACTIONS', message })]);
  });

  it('fails WB-CLOUDWATCH-MONITORED naming every metric without an alarm', () => {
    const fixture = compliantFixture();
    fixture.alarms.Errors.addOverride('dimensions.FunctionName', 'another-function');
    fixture.alarms.Throttles.addOverride('namespace', 'AWS/RDS');
    const failed = evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail');
    expect(failed).toEqual([
      expect.objectContaining({ ruleId: 'WB-CLOUDWATCH-MONITORED', address: expect.stringMatching(/^aws_lambda_function\./), message: 'no alarm on Errors, Throttles' }),
    ]);
  });

  it('passes WB-CLOUDWATCH-MONITORED when the dimension names the resource literally', () => {
    const fixture = compliantFixture();
    fixture.alarms.Errors.addOverride('dimensions.FunctionName', 'fixture-fn');
    expect(evaluateStack(fixture.stack).results.filter((r) => r.status === 'fail')).toEqual([]);
  });

  describe('WB-LAMBDA-NO-MASTER-SECRET', () => {
    const MASTER_SECRET = /\$\{aws_db_instance\.db\.master_user_secret\[0\]\.secret_arn\}/;

    /** The rule's verdicts on the fixture's function after `change`. */
    function masterSecretResults(change: (f: CompliantFixture) => void): { address: string; status: string; message: string }[] {
      const f = compliantFixture();
      change(f);
      return evaluateStack(f.stack).results.filter((r) => r.ruleId === 'WB-LAMBDA-NO-MASTER-SECRET');
    }
    const inline = (statement: object) => (f: CompliantFixture) =>
      new IamRolePolicy(f.stack, 'inline', { role: f.fnRole.id, policy: policyOf({ Effect: 'Allow', ...statement }) });

    it('passes a function whose role connects with IAM database authentication and reads no secret', () => {
      expect(masterSecretResults(() => undefined)).toEqual([
        expect.objectContaining({ address: 'aws_lambda_function.fn', status: 'pass', message: 'its role aws_iam_role.fn-role cannot read the master user secret' }),
      ]);
    });

    it('fails a function whose role has the master secret read policy attached, naming the function, the role and the policy', () => {
      const [result] = masterSecretResults((f) => new IamRolePolicyAttachment(f.stack, 'master-secret-read', { role: f.fnRole.name, policyArn: f.secretRead.arn }));
      expect(result.status).toBe('fail');
      expect(result.message).toMatch(
        /^aws_lambda_function\.fn can read the RDS-managed master user secret through its role aws_iam_role\.fn-role: aws_iam_policy\.secret-read \(attached by aws_iam_role_policy_attachment\.master-secret-read\) allows secretsmanager:GetSecretValue on /,
      );
      expect(result.message).toMatch(MASTER_SECRET);
    });

    it('fails a function whose role has the AWS managed SecretsManagerReadWrite (the seed flow), read from its published document', () => {
      const [result] = masterSecretResults(
        (f) => new IamRolePolicyAttachment(f.stack, 'seed-secret-access', { role: f.fnRole.name, policyArn: 'arn:${data.aws_partition.current.partition}:iam::aws:policy/SecretsManagerReadWrite' }),
      );
      expect(result).toEqual(
        expect.objectContaining({
          status: 'fail',
          message:
            'aws_lambda_function.fn can read the RDS-managed master user secret through its role aws_iam_role.fn-role: ' +
            'arn:aws:iam::aws:policy/SecretsManagerReadWrite (attached by aws_iam_role_policy_attachment.seed-secret-access) allows secretsmanager:* on *',
        }),
      );
    });

    it.each([
      ['"*" on "*" in an aws_iam_role_policy', inline({ Action: '*', Resource: '*' }), /aws_iam_role_policy\.inline allows \* on \*$/],
      ['secretsmanager:Get* on a wildcard secret ARN', inline({ Action: 'secretsmanager:Get*', Resource: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:*' }), /allows secretsmanager:Get\* on arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:\*$/],
      ['secretsmanager:getsecretvalue on secret:rds!* (RDS-managed names)', inline({ Action: 'secretsmanager:getsecretvalue', Resource: 'arn:aws:secretsmanager:*:*:secret:rds!*' }), /allows secretsmanager:getsecretvalue on arn:aws:secretsmanager:\*:\*:secret:rds!\*$/],
      ['a NotAction that leaves GetSecretValue', inline({ NotAction: 'iam:*', Resource: '*' }), /allows NotAction iam:\* on \*$/],
      ['a NotResource that does not exclude the master secret', inline({ Action: 'secretsmanager:GetSecretValue', NotResource: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:app/*' }), /on NotResource arn:aws:secretsmanager:.*:secret:app\/\*$/],
      [
        'the master secret in the role\'s inline_policy block',
        (f: CompliantFixture) => f.fnRole.addOverride('inline_policy', [{ name: 'read', policy: policyOf({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: f.db.masterUserSecret.get(0).secretArn }) }]),
        /inline_policy "read" of aws_iam_role\.fn-role allows secretsmanager:GetSecretValue on \$\{aws_db_instance\.db\.master_user_secret/,
      ],
      [
        'an attached managed policy the pack cannot read',
        (f: CompliantFixture) => new IamRolePolicyAttachment(f.stack, 'power', { role: f.fnRole.name, policyArn: 'arn:aws:iam::aws:policy/PowerUserAccess' }),
        /arn:aws:iam::aws:policy\/PowerUserAccess \(attached by aws_iam_role_policy_attachment\.power\) cannot be read statically$/,
      ],
    ])('fails a function whose role is granted %s', (_name, change, message) => {
      expect(masterSecretResults(change)).toEqual([expect.objectContaining({ status: 'fail', message: expect.stringMatching(message) })]);
    });

    it.each([
      ['GetSecretValue on an application secret of its own', inline({ Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:app/api-key-AbCdEf' })],
      ['GetSecretValue on a wildcard of application secrets only', inline({ Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:*:*:secret:app/*' })],
      ['DescribeSecret alone on the master secret', inline({ Action: 'secretsmanager:DescribeSecret', Resource: '*' })],
      ['s3:* on a bucket\'s objects', inline({ Action: 's3:*', Resource: 'arn:aws:s3:::fixture-tfstate/*' })],
      ['GetSecretValue under a NotResource that excludes every secret', inline({ Action: 'secretsmanager:GetSecretValue', NotResource: 'arn:aws:secretsmanager:*:*:secret:*' })],
      ['a Deny of GetSecretValue on "*"', inline({ Effect: 'Deny', Action: 'secretsmanager:GetSecretValue', Resource: '*' })],
    ])('passes a function whose role is granted %s', (_name, change) => {
      expect(masterSecretResults(change)).toEqual([expect.objectContaining({ status: 'pass' })]);
    });

    it('fails a function whose role is not an aws_iam_role of the stack: its policies cannot be checked', () => {
      expect(masterSecretResults((f) => f.fn.addOverride('role', 'arn:aws:iam::123456789012:role/elsewhere'))).toEqual([
        expect.objectContaining({ status: 'fail', message: 'role "arn:aws:iam::123456789012:role/elsewhere" is not an aws_iam_role of this stack, so its policies cannot be checked' }),
      ]);
    });

    it('checks every function on its own: a second function with the master secret fails, the first still passes', () => {
      const results = masterSecretResults((f) => {
        const role = new IamRole(f.stack, 'migration-role', { name: 'migration', assumeRolePolicy: f.fnRole.assumeRolePolicy });
        new IamRolePolicyAttachment(f.stack, 'migration-secret-read', { role: role.name, policyArn: f.secretRead.arn });
        new LambdaFunction(f.stack, 'migration', { functionName: 'fixture-migration', role: role.arn, runtime: f.fn.runtime, handler: 'index.handler', filename: 'fixture.zip' });
      });
      expect(results.map((r) => [r.address, r.status])).toEqual([
        ['aws_lambda_function.fn', 'pass'],
        ['aws_lambda_function.migration', 'fail'],
      ]);
    });
  });

  describe('WB-KMS-KEY-POLICY on account principals', () => {
    it('fails the old administration statement: kms:Create* covers kms:CreateGrant, with no condition', () => {
      const f = compliantFixture();
      withKeyStatement(f, OLD_ADMIN_STATEMENT);
      expect(keyPolicyResult(f)).toEqual(
        expect.objectContaining({
          status: 'fail',
          message:
            'statement "AccountAdministersKey" lets arn:aws:iam::123456789012:root use kms:Create* (covers kms:CreateGrant) ' +
            'without a kms:ViaService condition',
        }),
      );
    });

    it.each([
      ['kms:*', { Action: 'kms:*' }, /kms:\* \(covers kms:Decrypt, kms:Encrypt, .*kms:CreateGrant\)/],
      ['"*"', { Action: '*' }, /use \* \(covers kms:Decrypt, .*kms:CreateGrant\)/],
      ['kms:Re*', { Action: 'kms:Re*' }, /kms:Re\* \(covers kms:ReEncryptFrom, kms:ReEncryptTo\)/],
      ['kms:decrypt in lower case', { Action: 'kms:decrypt' }, /kms:decrypt \(covers kms:Decrypt\)/],
      ['kms:GenerateDataKey*', { Action: 'kms:GenerateDataKey*' }, /kms:GenerateDataKey\* \(covers kms:GenerateDataKey, /],
      ['NotAction kms:Describe*', { NotAction: 'kms:Describe*' }, /NotAction kms:Describe\* \(covers kms:Decrypt/],
      ['kms:Decrypt under StringEqualsIfExists kms:ViaService', { Action: 'kms:Decrypt', Condition: { StringEqualsIfExists: VIA_SERVICE } }, /kms:Decrypt without/],
      ['kms:Decrypt under StringNotEquals kms:ViaService', { Action: 'kms:Decrypt', Condition: { StringNotEquals: VIA_SERVICE } }, /kms:Decrypt without/],
      ['kms:Decrypt with kms:ViaService "*"', { Action: 'kms:Decrypt', Condition: { StringLike: { 'kms:ViaService': '*' } } }, /kms:Decrypt without/],
      ['kms:Decrypt scoped only by kms:CallerAccount', { Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:CallerAccount': '123456789012' } } }, /kms:Decrypt without/],
      ['kms:Decrypt with kms:GrantIsForAWSResource (it scopes CreateGrant only)', { Action: ['kms:Decrypt', 'kms:CreateGrant'], Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }, /use kms:Decrypt without/],
      ['kms:CreateGrant under BoolIfExists kms:GrantIsForAWSResource', { Action: 'kms:CreateGrant', Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'true' } } }, /kms:CreateGrant without/],
      ['kms:Encrypt, named as a bare principal string', { Principal: 'arn:aws:iam::123456789012:root', Action: 'kms:Encrypt' }, /kms:Encrypt without/],
    ])('fails an account principal granted %s without kms:ViaService', (_name, change, message) => {
      const f = compliantFixture();
      withKeyStatement(f, { Sid: 'Changed', Effect: 'Allow', Principal: ROOT, Resource: '*', ...change });
      expect(keyPolicyResult(f)).toEqual(expect.objectContaining({ status: 'fail', message: expect.stringMatching(message) }));
    });

    it.each([
      ['administration actions that grant no key use (kms:CreateAlias, kms:Describe*, kms:Revoke*)', { Action: ['kms:CreateAlias', 'kms:Describe*', 'kms:Revoke*', 'kms:Get*'] }],
      ['kms:* under StringEquals kms:ViaService', { Action: 'kms:*', Condition: { StringEquals: VIA_SERVICE } }],
      ['kms:Decrypt under ForAnyValue:StringLike kms:ViaService', { Action: 'kms:Decrypt', Condition: { 'ForAnyValue:StringLike': { 'kms:viaservice': ['rds.*.amazonaws.com'] } } }],
      ['kms:CreateGrant under Bool kms:GrantIsForAWSResource true alone', { Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }],
    ])('passes an account principal granted %s', (_name, change) => {
      const f = compliantFixture();
      withKeyStatement(f, { Sid: 'Changed', Effect: 'Allow', Principal: ROOT, Resource: '*', ...change });
      expect(keyPolicyResult(f)).toEqual(expect.objectContaining({ status: 'pass' }));
    });

    it('ignores Deny statements', () => {
      const f = compliantFixture();
      withKeyStatement(f, { Sid: 'DenyAll', Effect: 'Deny', Principal: ROOT, Action: 'kms:*', Resource: '*' });
      expect(keyPolicyResult(f)).toEqual(expect.objectContaining({ status: 'pass' }));
    });
  });

  describe('WB-IAM-TRUST-SERVICE-PRINCIPALS on GitHub Actions OIDC roles', () => {
    const SUB = 'token.actions.githubusercontent.com:sub';
    const AUD = 'token.actions.githubusercontent.com:aud';
    const PROVIDER = '${aws_iam_openid_connect_provider.github.arn}';
    const exact = { StringEquals: { [AUD]: 'sts.amazonaws.com', [SUB]: ['repo:octo-org/workshop-backend:pull_request'] } };

    /** The trust rule's verdict on a role trusting `statement`, added to the compliant fixture. */
    function trustResult(statement: object): { status: string; message: string } | undefined {
      const f = compliantFixture();
      new IamRole(f.stack, 'ci-role', { name: 'ci', assumeRolePolicy: policyOf(statement) });
      return evaluateStack(f.stack).results.find((r) => r.ruleId === 'WB-IAM-TRUST-SERVICE-PRINCIPALS' && r.address.startsWith('aws_iam_role.ci-role'));
    }
    const oidc = (change: object) => ({ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: exact, ...change });

    it.each([
      ['a provider reference', {}],
      ['a provider ARN', { Principal: { Federated: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com' } }],
      ['several exact subjects, immutable format included', { Condition: { StringEquals: { [AUD]: 'sts.amazonaws.com', [SUB]: ['repo:o/r:pull_request', 'repo:o@1/r@2:pull_request'] } } }],
    ])('passes a federated trust with StringEquals on aud and sub through %s', (_name, change) => {
      expect(trustResult(oidc(change))).toEqual(expect.objectContaining({ status: 'pass' }));
    });

    it.each([
      ['no sub condition', { Condition: { StringEquals: { [AUD]: 'sts.amazonaws.com' } } }, /"sub" claim is not tested/],
      ['no aud condition', { Condition: { StringEquals: { [SUB]: 'repo:o/r:pull_request' } } }, /"aud" claim is not tested/],
      ['StringLike on sub', { Condition: { StringEquals: { [AUD]: 'sts.amazonaws.com' }, StringLike: { [SUB]: 'repo:o/r:*' } } }, /"sub" claim is tested with StringLike/],
      ['a wildcard in StringEquals', { Condition: { StringEquals: { [AUD]: 'sts.amazonaws.com', [SUB]: 'repo:o/*' } } }, /"sub" claim admits "repo:o\/\*"/],
      ['a SAML provider', { Principal: { Federated: 'arn:aws:iam::111122223333:saml-provider/corp' } }, /not an OIDC provider/],
      ['sts:AssumeRole', { Action: ['sts:AssumeRoleWithWebIdentity', 'sts:AssumeRole'] }, /only use sts:AssumeRoleWithWebIdentity, not sts:AssumeRole/],
    ])('fails a federated trust with %s', (_name, change, message) => {
      expect(trustResult(oidc(change))).toEqual(expect.objectContaining({ status: 'fail', message: expect.stringMatching(message) }));
    });
  });
});
