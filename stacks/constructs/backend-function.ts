import * as path from 'node:path';
import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { AccountContext } from './account-context';
import { lambdaTimeouts, type ConnectionBudget } from '../../config/derived';
import { LAMBDA_ROLE_DESCRIPTION, resourceNames } from '../../config/names';
import type { LambdaConfig } from '../../config/types';
import { LAMBDA_ENV } from '../../lambda-src/environment';
import type { Database } from './database';
import type { EncryptionKey } from './encryption-key';
import { awsManagedPolicyArn, serviceTrustPolicy } from './iam';
import { BUNDLE_FILE_NAME, bundleLambda, esbuildTargetFor, writeLambdaZip } from './lambda-bundle';
import type { Network } from './network';
import type { SecretsManagerEndpoint } from './secrets-endpoint';
import { managedPolicyFinding, NEWEST_NODEJS_RUNTIME, type RuleId } from '../../policy';
import { suppress, suppressWhen } from './policy-exceptions';
import { emptySecurityGroup } from './security-groups';

/** Props of {@link BackendFunction}. */
export interface BackendFunctionProps {
  /** Prefix of resource names: the function is `<namePrefix>-lambda-db-health`. */
  readonly namePrefix: string;
  /** Runtime, memory, timeout, concurrency, logs, tracing (validated by `validateEnvironmentConfig`). */
  readonly config: LambdaConfig;
  /**
   * Name of the execution role; the stack passes the seed's `<namePrefix>-lamda-secretsmng-role`
   * when the environment sets `seedNames` (config/names.ts).
   * @default `<namePrefix>-lambda-secretsmng-role`
   */
  readonly roleName?: string;
  /** The VPC; the function's ENIs go into its Lambda subnets. */
  readonly network: Network;
  /** The database: its secret, address, port and name go into the environment. */
  readonly database: Database;
  /**
   * The database's connection budget (`connectionBudget` in config/derived.ts): its
   * `sessionsPerHandler` sizes the handler's pool (`DB_POOL_MAX_SESSIONS`).
   */
  readonly connectionBudget: ConnectionBudget;
  /** The Secrets Manager endpoint the function reaches the secret through. */
  readonly endpoint: SecretsManagerEndpoint;
  /**
   * Key for the log group and the environment variables.
   * @default - AWS-managed keys
   */
  readonly encryptionKey?: EncryptionKey;
}

/**
 * The AWS-managed policy the seed attaches: CloudWatch Logs writes and the EC2 network interface
 * actions Lambda needs to attach to a VPC. AWS documents `Resource: "*"` for the ENI actions,
 * which support no resource-level permissions.
 * Source: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
 */
export const LAMBDA_VPC_ACCESS_POLICY = 'service-role/AWSLambdaVPCAccessExecutionRole';

/** The seed's literal choice for secret access; see `SECRET_ACCESS_MODES` in config/schema.ts. */
export const SECRETS_MANAGER_READ_WRITE_POLICY = 'SecretsManagerReadWrite';

/**
 * The rules `SecretsManagerReadWrite` fails, as the policy pack reads its published document
 * (policy/iam.ts): an overly broad managed policy, `secretsmanager:*`, restrictable actions on
 * `Resource: "*"`, and Secrets Manager access to every secret. With `secretAccess:
 * 'SecretsManagerReadWrite'` each is suppressed on the attachment, for that policy's findings only.
 */
const SECRETS_MANAGER_READ_WRITE_FINDINGS: readonly RuleId[] = [
  'WB-IAM-NO-ADMIN-POLICY',
  'WB-IAM-NO-WILDCARD-ACTION',
  'WB-IAM-NO-WILDCARD-RESOURCE',
  'WB-IAM-SECRETS-SCOPED',
];

/**
 * What active tracing needs: `xray:PutTraceSegments` and `xray:PutTelemetryRecords`, which
 * support no resource-level permissions.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
 */
export const XRAY_WRITE_POLICY = 'AWSXRayDaemonWriteAccess';

/**
 * Where the Lambda Node.js runtime keeps the Amazon RDS CA bundle. Since Node.js 20 the runtime
 * no longer loads it by default; `NODE_EXTRA_CA_CERTS` adds it to Node's trust store.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html (Amazon RDS certificates)
 */
export const LAMBDA_RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/**
 * The Lambda of the workshop, bundled from `lambda-src/`: it reads the RDS-managed secret through
 * the endpoint and queries the database over verified TLS.
 *
 * Its role trusts `lambda.amazonaws.com` and has managed policy attachments only:
 * `AWSLambdaVPCAccessExecutionRole`, the secret read policy from `database.grantSecretRead`
 * (or the seed's `SecretsManagerReadWrite` when `secretAccess` asks for it, plus
 * `database.grantSecretKeyDecrypt` under a customer-managed key, with the policy findings of the
 * managed policy suppressed on its attachment), `kms:Decrypt` of its environment variables through
 * Lambda under a customer-managed key, and
 * `AWSXRayDaemonWriteAccess` when tracing is `Active`. The function waits for those attachments
 * and its log group (`depends_on`), so its first invocation neither lacks permissions nor
 * creates a log group without retention. Its security group admits nothing and sends only
 * PostgreSQL to the database and HTTPS to the endpoint.
 */
export class BackendFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly securityGroup: SecurityGroup;
  readonly logGroup: CloudwatchLogGroup;
  /** The function's name. */
  readonly functionName: string;
  /** The function's ARN. */
  readonly functionArn: string;

  constructor(scope: Construct, id: string, props: BackendFunctionProps) {
    super(scope, id);
    const { config, namePrefix, network, database, endpoint, encryptionKey } = props;
    const account = AccountContext.of(this);
    const functionName = BackendFunction.functionName(namePrefix);

    this.securityGroup = emptySecurityGroup(this, 'security-group', {
      name: resourceNames.lambdaSecurityGroup(namePrefix),
      description: 'Lambda: no ingress; egress only to the database and the Secrets Manager endpoint',
      vpcId: network.vpcId,
    });
    database.allowConnectionsFrom(this.securityGroup, 'the Lambda');
    endpoint.allowHttpsFrom(this.securityGroup, 'the Lambda');

    this.role = new IamRole(this, 'role', {
      name: props.roleName ?? resourceNames.lambdaRole(namePrefix, false),
      description: LAMBDA_ROLE_DESCRIPTION,
      assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com'),
    });
    // The construct id drops the ARN path (`service-role/`). Construct ids are part of Terraform
    // addresses: renaming one replaces the resource (docs/architecture.md#construct-ids-are-a-contract).
    const attach = (name: string) =>
      new IamRolePolicyAttachment(this, `policy-${path.basename(name)}`, {
        role: this.role.name,
        policyArn: awsManagedPolicyArn(account, name),
      });
    const vpcAccess = attach(LAMBDA_VPC_ACCESS_POLICY);
    suppress(vpcAccess, 'WB-IAM-NO-WILDCARD-RESOURCE', 'lambdaVpcAccess', [managedPolicyFinding(LAMBDA_VPC_ACCESS_POLICY)]);
    const seedSecretAccess = config.secretAccess === 'SecretsManagerReadWrite';
    const secretAccess = seedSecretAccess ? attach(SECRETS_MANAGER_READ_WRITE_POLICY) : database.grantSecretRead(this.role);
    for (const ruleId of SECRETS_MANAGER_READ_WRITE_FINDINGS) {
      suppressWhen(seedSecretAccess, secretAccess, ruleId, 'secretsManagerReadWrite', [managedPolicyFinding(SECRETS_MANAGER_READ_WRITE_POLICY)]);
    }
    // SecretsManagerReadWrite grants no kms:Decrypt, which a secret under a customer-managed key needs.
    const secretKeyDecrypt = seedSecretAccess ? database.grantSecretKeyDecrypt(this.role) : undefined;
    const environmentDecrypt = encryptionKey ? this.grantEnvironmentDecrypt(namePrefix, encryptionKey) : undefined;
    const attachments = [
      vpcAccess,
      secretAccess,
      ...(secretKeyDecrypt ? [secretKeyDecrypt] : []),
      ...(environmentDecrypt ? [environmentDecrypt] : []),
      ...(config.tracingMode === 'Active' ? [attach(XRAY_WRITE_POLICY)] : []),
    ];

    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: BackendFunction.logGroupName(namePrefix),
      retentionInDays: config.logRetentionDays,
      kmsKeyId: encryptionKey?.keyArn,
    });

    const bundle = bundleLambda({ target: esbuildTargetFor(config.runtime) });
    const asset = new TerraformAsset(this, 'code', {
      path: writeLambdaZip(bundle),
      type: AssetType.FILE,
    });

    const timeouts = lambdaTimeouts(config.timeoutSeconds);
    this.function = new LambdaFunction(this, 'function', {
      functionName,
      description: 'Reads the RDS-managed secret and queries PostgreSQL over verified TLS',
      role: this.role.arn,
      runtime: config.runtime,
      architectures: [config.architecture],
      handler: `${path.basename(BUNDLE_FILE_NAME, '.js')}.handler`,
      filename: asset.path,
      sourceCodeHash: bundle.sourceCodeHash,
      memorySize: config.memorySizeMiB,
      timeout: config.timeoutSeconds,
      reservedConcurrentExecutions: config.reservedConcurrentExecutions ?? undefined,
      vpcConfig: {
        subnetIds: network.lambdaSubnets.map((s) => s.subnet.id),
        securityGroupIds: [this.securityGroup.id],
      },
      // On destroy, move the ENIs to the VPC's (rule-less) default group first, so deleting the
      // Lambda security group does not wait for Lambda's ENI cleanup (up to 45 minutes).
      replaceSecurityGroupsOnDestroy: true,
      replacementSecurityGroupIds: [network.defaultSecurityGroup.id],
      kmsKeyArn: encryptionKey?.keyArn,
      tracingConfig: { mode: config.tracingMode },
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      environment: {
        variables: {
          [LAMBDA_ENV.secretArn]: database.secretArn,
          [LAMBDA_ENV.dbHost]: database.endpointAddress,
          [LAMBDA_ENV.dbPort]: String(database.port),
          [LAMBDA_ENV.dbName]: database.databaseName,
          [LAMBDA_ENV.nodeExtraCaCerts]: LAMBDA_RDS_CA_BUNDLE,
          // Each wait is derived from the function timeout (config/derived.ts, lambdaTimeouts).
          [LAMBDA_ENV.secretsManagerConnectTimeoutMillis]: String(timeouts.secretsManagerConnectTimeoutMillis),
          [LAMBDA_ENV.secretsManagerRequestTimeoutMillis]: String(timeouts.secretsManagerRequestTimeoutMillis),
          [LAMBDA_ENV.dbConnectTimeoutMillis]: String(timeouts.dbConnectTimeoutMillis),
          [LAMBDA_ENV.dbQueryTimeoutMillis]: String(timeouts.dbQueryTimeoutMillis),
          [LAMBDA_ENV.dbPoolMaxSessions]: String(props.connectionBudget.sessionsPerHandler),
        },
      },
      dependsOn: [...attachments, this.logGroup],
    });
    suppressWhen(!encryptionKey, this.function, 'WB-LAMBDA-ENVIRONMENT-CMK', 'customerManagedKey');
    suppressWhen(config.reservedConcurrentExecutions === null, this.function, 'WB-LAMBDA-RESERVED-CONCURRENCY', 'reservedConcurrency');
    suppressWhen(config.runtime !== NEWEST_NODEJS_RUNTIME, this.function, 'WB-LAMBDA-LATEST-RUNTIME', 'olderRuntime');
    suppressWhen(config.tracingMode !== 'Active', this.function, 'WB-LAMBDA-TRACING', 'tracingPassThrough');
    suppressWhen(!encryptionKey, this.logGroup, 'WB-LOGS-CMK', 'customerManagedKey');
    suppressWhen(config.logRetentionDays < 365, this.logGroup, 'WB-LOGS-RETENTION-1Y', 'logRetentionOneYear');
    this.functionName = this.function.functionName;
    this.functionArn = this.function.arn;
  }

  /**
   * Lets the role decrypt the function's environment variables with `key`, through Lambda only
   * (`kms:ViaService` `lambda.<region>.amazonaws.com`), and nothing else. Under a customer-managed
   * key, Lambda decrypts the variables with a grant it creates on the key; with this statement the
   * function no longer depends on that grant alone.
   * Source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
   *
   * @returns the policy attachment, for `depends_on`.
   */
  private grantEnvironmentDecrypt(namePrefix: string, key: EncryptionKey): IamRolePolicyAttachment {
    const policy = new IamPolicy(this, 'environment-decrypt-policy', {
      name: `${namePrefix}-decrypt-lambda-environment`,
      description: "Decrypt the backend function's environment variables, through Lambda only",
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [key.decryptViaStatement('lambda', 'DecryptFunctionEnvironment')] }),
    });
    return new IamRolePolicyAttachment(this, 'environment-decrypt-attachment', { role: this.role.name, policyArn: policy.arn });
  }

  /** The function's name for a name prefix: `<namePrefix>-lambda-db-health`. */
  static functionName(namePrefix: string): string {
    return `${namePrefix}-lambda-db-health`;
  }

  /** The function's log group: `/aws/lambda/<function name>`. */
  static logGroupName(namePrefix: string): string {
    return `/aws/lambda/${BackendFunction.functionName(namePrefix)}`;
  }
}
