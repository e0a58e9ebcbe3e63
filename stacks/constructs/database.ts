import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { AccountContext } from './account-context';
import { forceSslEngineDefault, postgresMajorVersion } from '../../config/derived';
import type { DatabaseConfig } from '../../config/types';
import type { EncryptionKey } from './encryption-key';
import type { Network } from './network';
import { suppress, suppressWhen } from './policy-exceptions';
import { TcpFlow, emptySecurityGroup } from './security-groups';

/** Props of {@link Database}. */
export interface DatabaseProps {
  /** Prefix of resource names: the instance is `<namePrefix>-backend-db`. */
  readonly namePrefix: string;
  /** Instance settings (validated by `validateEnvironmentConfig`). */
  readonly config: DatabaseConfig;
  /** The VPC; the DB subnet group spans its data subnets. */
  readonly network: Network;
  /**
   * Key for the storage, the RDS-managed secret, Performance Insights and the log groups.
   * @default - AWS-managed keys (`aws/rds`, `aws/secretsmanager`)
   */
  readonly encryptionKey?: EncryptionKey;
}

/**
 * Read actions on one secret, the least the Lambda needs.
 * Source: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
 */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

/**
 * The PostgreSQL logs RDS publishes to CloudWatch Logs.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.PostgreSQL.html
 */
export const POSTGRES_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;

/**
 * The CA RDS signs the instance's server certificate with: RSA 2048, valid to 2061, in the
 * bundle the Lambda Node.js runtime ships at /var/runtime/ca-cert.pem.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
 */
export const RDS_CA_CERT_IDENTIFIER = 'rds-ca-rsa2048-g1';

/**
 * The description of the database's security group. Constant on purpose: AWS cannot change a
 * group's description, so the provider replaces the group when it changes, and AWS refuses to
 * delete a group the instance still uses. Facts that vary (the port) live in the rules.
 */
export const DATABASE_SECURITY_GROUP_DESCRIPTION = 'RDS PostgreSQL: admits the database port only from the Lambda security group';

/**
 * The final snapshot's identifier: `<identifier>-final-<creation time, YYYYMMDDhhmmss>`. Terraform
 * evaluates `timestamp()` when it creates the instance and `ignore_changes` keeps that value, so
 * each instance lifetime has its own snapshot name: destroy, re-create, destroy again no longer
 * fails with DBSnapshotAlreadyExists. Instances created before this change keep `<identifier>-final`.
 */
export function finalSnapshotIdentifier(identifier: string): string {
  return `${identifier}-final-${Fn.formatdate('YYYYMMDDhhmmss', Fn.timestamp())}`;
}

/**
 * An RDS for PostgreSQL instance whose master password RDS generates, stores and rotates in
 * Secrets Manager (`manage_master_user_password`): no password exists in code, configuration, the
 * synthesized JSON or Terraform state. The rotation schedule is `config.secretRotation`, set on the
 * managed secret by an `aws_secretsmanager_secret_rotation` with rotation rules and no rotation
 * Lambda, since RDS rotates its own secret (managed rotation).
 *
 * Storage is encrypted, the instance is not publicly accessible, its subnet group spans the data
 * subnets of every AZ, TLS is enforced (`rds.force_ssl = 1`: the engine default from PostgreSQL 15
 * on, set in the parameter group for older majors), the parameter group sets `max_connections` to
 * `config.maxConnections` (applied at the next reboot when changed), backups are kept
 * `backupRetentionDays`, and the `postgresql` and `upgrade` logs go to log groups this construct
 * declares with `logRetentionDays`. Without Multi-AZ the instance is pinned to the
 * first AZ, the Lambda's.
 */
export class Database extends Construct {
  readonly instance: DbInstance;
  /** The rotation schedule of the RDS-managed secret. */
  readonly secretRotation: SecretsmanagerSecretRotation;
  /** Security group of the instance; admits only what {@link allowConnectionsFrom} opens. */
  readonly securityGroup: SecurityGroup;
  /** ARN of the RDS-managed secret (`master_user_secret[0].secret_arn`). */
  readonly secretArn: string;
  /** Host name of the instance (`address`). */
  readonly endpointAddress: string;
  /** Port PostgreSQL listens on. */
  readonly port: number;
  /** Name of the database created in the instance. */
  readonly databaseName: string;

  private readonly props: DatabaseProps;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    this.props = props;
    const { config, namePrefix, network, encryptionKey } = props;
    const identifier = Database.identifier(namePrefix);
    const major = postgresMajorVersion(config);

    this.securityGroup = emptySecurityGroup(this, 'security-group', {
      name: `${namePrefix}-db-sg`,
      description: DATABASE_SECURITY_GROUP_DESCRIPTION,
      vpcId: network.vpcId,
    });

    const subnetGroup = new DbSubnetGroup(this, 'subnet-group', {
      name: `${namePrefix}-backend-db-subnets`,
      description: 'Data subnets, one per AZ',
      subnetIds: network.dataSubnets.map((s) => s.subnet.id),
    });

    const parameterGroup = new DbParameterGroup(this, 'parameter-group', {
      // A prefix, not a name: with create_before_destroy the new group exists next to the old one,
      // whatever forces the replacement (a new family on a major upgrade, a description).
      namePrefix: `${namePrefix}-backend-postgres${major}-`,
      family: `postgres${major}`,
      description: 'Enforces TLS on every connection',
      // rds.force_ssl only where the family's default is 0: a parameter set to its engine default
      // is read back with RDS's apply method, not ours (docs/day-2.md, "rds.force_ssl: the evidence").
      parameter: [
        ...(forceSslEngineDefault(major) === '1' ? [] : [{ name: 'rds.force_ssl', value: '1', applyMethod: 'immediate' }]),
        // The validated connection budget (config/derived.ts). max_connections is a static parameter
        // (RDS rejects `immediate` for it): a new instance starts with it, a change waits for a reboot.
        // Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Parameters.html
        { name: 'max_connections', value: String(config.maxConnections), applyMethod: 'pending-reboot' },
      ],
      // A new major version brings a new family, hence a new group: create it before the
      // instance lets go of the old one, delete the old one after.
      lifecycle: { createBeforeDestroy: true },
    });

    const logGroups = POSTGRES_LOG_EXPORTS.map(
      (log) =>
        new CloudwatchLogGroup(this, `log-group-${log}`, {
          name: Database.logGroupName(namePrefix, log),
          retentionInDays: config.logRetentionDays,
          kmsKeyId: encryptionKey?.keyArn,
        }),
    );

    this.instance = new DbInstance(this, 'instance', {
      identifier,
      engine: 'postgres',
      engineVersion: config.engineVersion,
      autoMinorVersionUpgrade: config.autoMinorVersionUpgrade,
      // A new major engineVersion upgrades in place; RDS refuses it without this flag.
      allowMajorVersionUpgrade: true,
      applyImmediately: config.applyImmediately,
      instanceClass: config.instanceClass,
      allocatedStorage: config.allocatedStorageGiB,
      maxAllocatedStorage: config.maxAllocatedStorageGiB === 0 ? undefined : config.maxAllocatedStorageGiB,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: encryptionKey?.keyArn,
      dbName: config.databaseName,
      username: config.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: encryptionKey?.keyArn,
      port: config.port,
      caCertIdentifier: RDS_CA_CERT_IDENTIFIER,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      multiAz: config.multiAz,
      availabilityZone: config.multiAz ? undefined : network.lambdaSubnets[0].availabilityZone,
      parameterGroupName: parameterGroup.name,
      backupRetentionPeriod: config.backupRetentionDays,
      copyTagsToSnapshot: true,
      // Free, and harmless while the function keeps using the managed secret (CKV_AWS_161).
      iamDatabaseAuthenticationEnabled: true,
      deletionProtection: config.deletionProtection,
      skipFinalSnapshot: config.skipFinalSnapshot,
      finalSnapshotIdentifier: config.skipFinalSnapshot ? undefined : finalSnapshotIdentifier(identifier),
      enabledCloudwatchLogsExports: [...POSTGRES_LOG_EXPORTS],
      performanceInsightsEnabled: config.performanceInsightsRetentionDays > 0,
      performanceInsightsRetentionPeriod:
        config.performanceInsightsRetentionDays > 0 ? config.performanceInsightsRetentionDays : undefined,
      performanceInsightsKmsKeyId: config.performanceInsightsRetentionDays > 0 ? encryptionKey?.keyArn : undefined,
      // RDS creates the export log groups itself unless they exist first.
      dependsOn: logGroups,
      tags: { Name: identifier },
      // The final snapshot's name is fixed when the instance is created: finalSnapshotIdentifier.
      lifecycle: { ignoreChanges: ['final_snapshot_identifier'] },
    });

    suppressWhen(!config.multiAz, this.instance, 'WB-RDS-MULTI-AZ', 'multiAz');
    suppressWhen(!config.deletionProtection, this.instance, 'WB-RDS-DELETION-PROTECTION', 'deletionProtection');
    suppressWhen(config.skipFinalSnapshot, this.instance, 'WB-RDS-FINAL-SNAPSHOT', 'finalSnapshot');
    suppressWhen(!encryptionKey, this.instance, 'WB-RDS-SECRET-CMK', 'customerManagedKey');
    suppressWhen(!encryptionKey, this.instance, 'WB-RDS-PERFORMANCE-INSIGHTS-CMK', 'customerManagedKey');
    suppress(this.instance, 'WB-RDS-ENHANCED-MONITORING', 'enhancedMonitoring');
    suppressWhen(!config.autoMinorVersionUpgrade, this.instance, 'WB-RDS-MINOR-VERSION-UPGRADE', 'pinnedMinorVersion');
    for (const group of logGroups) {
      suppressWhen(!encryptionKey, group, 'WB-LOGS-CMK', 'customerManagedKey');
      suppressWhen(config.logRetentionDays < 365, group, 'WB-LOGS-RETENTION-1Y', 'logRetentionOneYear');
    }

    this.secretArn = this.instance.masterUserSecret.get(0).secretArn;
    // No rotation_lambda_arn: since provider 5.x the resource can set the schedule of a managed
    // secret, which its owning service rotates (hashicorp/terraform-provider-aws#34180).
    // https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_managed.html
    const rotation = config.secretRotation;
    this.secretRotation = new SecretsmanagerSecretRotation(this, 'secret-rotation', {
      secretId: this.secretArn,
      rotateImmediately: rotation.rotateImmediately,
      rotationRules: {
        automaticallyAfterDays: rotation.automaticallyAfterDays,
        scheduleExpression: rotation.scheduleExpression,
        duration: rotation.windowDuration,
      },
    });
    this.endpointAddress = this.instance.address;
    this.port = config.port;
    this.databaseName = config.databaseName;
  }

  /** The DB instance identifier for a name prefix: `<namePrefix>-backend-db`. */
  static identifier(namePrefix: string): string {
    return `${namePrefix}-backend-db`;
  }

  /** The log group RDS publishes one log export to: `/aws/rds/instance/<identifier>/<log>`. */
  static logGroupName(namePrefix: string, log: (typeof POSTGRES_LOG_EXPORTS)[number]): string {
    return `/aws/rds/instance/${Database.identifier(namePrefix)}/${log}`;
  }

  /**
   * Opens the database port to `peer`, and nothing else: an ingress rule on the DB group that
   * references `peer` ("PostgreSQL (port 5432) from <peerName>"), and the matching egress rule on
   * `peer` ("... to the database"). Call it once per peer, each with its own `id`.
   * @param id the rules' construct id, part of their Terraform addresses (`allow-from-<peer>`)
   * @param peerName what `peer` stands for in the rules' descriptions, e.g. `the Lambda`
   */
  allowConnectionsFrom(peer: SecurityGroup, id: string, peerName: string): TcpFlow {
    return new TcpFlow(this, id, {
      from: peer,
      to: this.securityGroup,
      port: this.port,
      service: `PostgreSQL (port ${this.port})`,
      fromName: peerName,
      toName: 'the database',
    });
  }

  /**
   * Lets `role` read the RDS-managed secret, and nothing else: a customer-managed policy with
   * {@link SECRET_READ_ACTIONS} on this one secret's ARN, plus `kms:Decrypt` on the key through
   * Secrets Manager only (`kms:ViaService`) when a customer-managed key encrypts the secret. Call it
   * once per role, each with its own `grant`.
   *
   * @param grant `id`: the construct id the policy (`<id>-policy`) and attachment (`<id>-attachment`)
   *   start with, part of their Terraform addresses; `policyName`: the IAM policy's name
   * @returns the policy attachment, for `depends_on`.
   */
  grantSecretRead(role: IamRole, grant: { readonly id: string; readonly policyName: string }): IamRolePolicyAttachment {
    const decrypt = this.secretKeyDecryptStatement();
    const statements: object[] = [
      { Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: [...SECRET_READ_ACTIONS], Resource: this.secretArn },
      ...(decrypt ? [decrypt] : []),
    ];
    const policy = new IamPolicy(this, `${grant.id}-policy`, {
      name: grant.policyName,
      description: 'Read the RDS-managed master user secret of the backend database',
      policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    });
    return new IamRolePolicyAttachment(this, `${grant.id}-attachment`, { role: role.name, policyArn: policy.arn });
  }

  /**
   * Lets `role` log in to the instance as the PostgreSQL role `databaseRole` with IAM database
   * authentication, and as no other: `rds-db:connect` on
   * `arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<databaseRole>`. The
   * PostgreSQL role must exist and be a member of `rds_iam` (lambda-src/migrations/).
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html
   *
   * @param grant `id`: the construct id the policy (`<id>-policy`) and attachment (`<id>-attachment`)
   *   start with; `policyName`: the IAM policy's name
   * @returns the policy attachment, for `depends_on`.
   */
  grantConnect(role: IamRole, databaseRole: string, grant: { readonly id: string; readonly policyName: string }): IamRolePolicyAttachment {
    const policy = new IamPolicy(this, `${grant.id}-policy`, {
      name: grant.policyName,
      description: `Log in to the backend database as ${databaseRole} with IAM database authentication`,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'ConnectAsDatabaseRole', Effect: 'Allow', Action: 'rds-db:connect', Resource: this.dbUserArn(databaseRole) }],
      }),
    });
    return new IamRolePolicyAttachment(this, `${grant.id}-attachment`, { role: role.name, policyArn: policy.arn });
  }

  /** The ARN `rds-db:connect` names for a PostgreSQL role of this instance (its `DbiResourceId`, not its identifier). */
  dbUserArn(databaseRole: string): string {
    const account = AccountContext.of(this);
    return `arn:${account.partition}:rds-db:${account.region}:${account.accountId}:dbuser:${this.instance.resourceId}/${databaseRole}`;
  }

  /**
   * Lets `role` decrypt the secret's customer-managed key through Secrets Manager only
   * (`kms:ViaService`), and nothing else. `GetSecretValue` needs `kms:Decrypt` on a secret encrypted
   * with a customer-managed key, which AWS managed policies such as `SecretsManagerReadWrite` do not
   * grant; {@link grantSecretRead} includes it already. For the seed's one function only.
   * Source: https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-authz
   *
   * @returns the policy attachment, for `depends_on`, or undefined when the secret uses the
   *   AWS-managed key `aws/secretsmanager` (no permission is needed).
   */
  grantSecretKeyDecrypt(role: IamRole, grant: { readonly id: string; readonly policyName: string }): IamRolePolicyAttachment | undefined {
    const decrypt = this.secretKeyDecryptStatement();
    if (!decrypt) return undefined;
    const policy = new IamPolicy(this, `${grant.id}-policy`, {
      name: grant.policyName,
      description: 'Decrypt the key of the RDS-managed master user secret, through Secrets Manager only',
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [decrypt] }),
    });
    return new IamRolePolicyAttachment(this, `${grant.id}-attachment`, { role: role.name, policyArn: policy.arn });
  }

  /** `kms:Decrypt` on the secret's customer-managed key through Secrets Manager, or undefined without one. */
  private secretKeyDecryptStatement(): object | undefined {
    const { encryptionKey } = this.props;
    if (!encryptionKey) return undefined;
    return {
      Sid: 'DecryptDatabaseSecret',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: encryptionKey.keyArn,
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${AccountContext.of(this).region}.amazonaws.com` } },
    };
  }
}
