import * as path from 'node:path';
import { Construct } from 'constructs';
import { AssetType, TerraformAsset, type ITerraformDependable } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { AccountContext } from './account-context';
import { lambdaTimeouts, type ConnectionBudget } from '../../config/derived';
import { LAMBDA_ROLE_DESCRIPTION, SEED_FUNCTION_NAME, functionConstructIds, resourceNames } from '../../config/names';
import type { FunctionConfig, LambdaConfig } from '../../config/types';
import { LAMBDA_ENV } from '../../lambda-src/environment';
import type { Database } from './database';
import type { EncryptionKey } from './encryption-key';
import { awsManagedPolicyArn, serviceTrustPolicy } from './iam';
import { BUNDLE_FILE_NAME, bundleLambda, esbuildTargetFor, writeLambdaZip, type ZipEntry } from './lambda-bundle';
import type { Network } from './network';
import type { SecretsManagerEndpoint } from './secrets-endpoint';
import { managedPolicyFinding, NEWEST_NODEJS_RUNTIME, type RuleId } from '../../policy';
import { suppress, suppressWhen } from './policy-exceptions';
import { emptySecurityGroup, type TcpFlow } from './security-groups';

/** Props of {@link BackendFunction}. */
export interface BackendFunctionProps {
  /** Prefix of resource names: the function is `<namePrefix>-lambda-<name>` (config/names.ts). */
  readonly namePrefix: string;
  /**
   * Spell the seed function's role as the seed does (`<namePrefix>-lamda-secretsmng-role`; the
   * environment's `seedNames`, config/names.ts). Other functions' roles are `<namePrefix>-lambda-<name>-role`.
   */
  readonly seedNames: boolean;
  /** The function: name, entry, actions, how it logs in to PostgreSQL, memory, timeout, concurrency (validated). */
  readonly function: FunctionConfig;
  /** What every function of the environment shares: runtime, architecture, logs, tracing, secret access (validated). */
  readonly lambda: LambdaConfig;
  /** The VPC; the function's ENIs go into its Lambda subnets. */
  readonly network: Network;
  /** The database: its address, port and name go into the environment, and its secret or `rds-db:connect` into the role. */
  readonly database: Database;
  /**
   * The database's connection budget (`connectionBudget` in config/derived.ts): its
   * `sessionsPerHandler` sizes the handler's pool (`DB_POOL_MAX_SESSIONS`).
   */
  readonly connectionBudget: ConnectionBudget;
  /** The Secrets Manager endpoint a function that reads the master secret reaches it through. */
  readonly endpoint: SecretsManagerEndpoint;
  /**
   * Key for the log group and the environment variables.
   * @default - AWS-managed keys
   */
  readonly encryptionKey?: EncryptionKey;
  /**
   * What the function is: an `application` function runs `function.actions` for callers; the
   * `migrations` function (stacks/constructs/migrations.ts) applies the migrations as the master
   * user, the one function the policy gate lets read the master secret in the production profile.
   * @default 'application'
   */
  readonly purpose?: 'application' | 'migrations';
  /**
   * Files the zip carries beside the code, such as the migrations.
   * @default - none
   */
  readonly extraFiles?: readonly ZipEntry[];
  /**
   * What the function must wait for besides its own role's attachments and log group, such as the
   * migration invocation that creates its database role.
   * @default - nothing else
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** The function's description. @default - what it does, from how it logs in */
  readonly description?: string;
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
 * One Lambda function of the backend, bundled from its `entry`, in the VPC, that queries the
 * database over verified TLS. How it logs in follows `function.databaseAuth`:
 * - `master-secret` (the seed's flow): it reads the RDS-managed secret through the endpoint, so its
 *   role may read that one secret (`database.grantSecretRead`, or the seed's
 *   `SecretsManagerReadWrite` when `lambda.secretAccess` asks for it, plus
 *   `database.grantSecretKeyDecrypt` under a customer-managed key, with the policy findings of the
 *   managed policy suppressed on its attachment), and its security group may reach the endpoint;
 * - `iam`: it logs in as `function.databaseRole` with IAM database authentication tokens, so its
 *   role may `rds-db:connect` as that role only (`database.grantConnect`), and it needs no secret
 *   and no endpoint.
 *
 * Its own role trusts `lambda.amazonaws.com` and has managed policy attachments only:
 * `AWSLambdaVPCAccessExecutionRole`, the database access above, `kms:Decrypt` of its environment
 * variables through Lambda under a customer-managed key, and `AWSXRayDaemonWriteAccess` when
 * tracing is `Active`. The function waits for those attachments and its log group (`depends_on`),
 * so its first invocation neither lacks permissions nor creates a log group without retention. Its
 * security group admits nothing and sends only PostgreSQL to the database (and HTTPS to the endpoint
 * with `master-secret`). Every resource's construct id and name derive from the function's name
 * (config/names.ts): the seed function `db-health` keeps those it had when a stack had one function.
 */
export class BackendFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly securityGroup: SecurityGroup;
  readonly logGroup: CloudwatchLogGroup;
  /** The function's short name (`FunctionConfig.name`). */
  readonly name: string;
  /** The function's name. */
  readonly functionName: string;
  /** The function's ARN. */
  readonly functionArn: string;
  /** The security-group rules to the database, then (with `master-secret`) to the endpoint: what an invocation needs in place. */
  readonly flows: readonly TcpFlow[];

  constructor(scope: Construct, id: string, props: BackendFunctionProps) {
    super(scope, id);
    const { lambda: config, function: fn, namePrefix, network, database, endpoint, encryptionKey } = props;
    const purpose = props.purpose ?? 'application';
    const account = AccountContext.of(this);
    const ids = functionConstructIds(fn.name);
    const readsSecret = fn.databaseAuth === 'master-secret';
    const functionName = resourceNames.function(namePrefix, fn.name);
    const peerName = fn.name === SEED_FUNCTION_NAME ? 'the Lambda' : `the ${fn.name} function`;
    this.name = fn.name;

    this.securityGroup = emptySecurityGroup(this, 'security-group', {
      name: resourceNames.functionSecurityGroup(namePrefix, fn.name),
      description: 'Lambda: no ingress; egress only to the database and the Secrets Manager endpoint',
      vpcId: network.vpcId,
    });
    this.flows = [
      database.allowConnectionsFrom(this.securityGroup, ids.flow, peerName),
      ...(readsSecret ? [endpoint.allowHttpsFrom(this.securityGroup, ids.flow, peerName)] : []),
    ];

    this.role = new IamRole(this, 'role', {
      name: resourceNames.functionRole(namePrefix, fn.name, props.seedNames),
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
    const databaseAccess = readsSecret ? this.grantSecretAccess(props, attach) : [database.grantConnect(this.role, fn.databaseRole!, { id: ids.connect, policyName: resourceNames.ofFunction(namePrefix, fn.name, 'rds-db-connect') })];
    const environmentDecrypt = encryptionKey ? this.grantEnvironmentDecrypt(namePrefix, encryptionKey) : undefined;
    const attachments = [
      vpcAccess,
      ...databaseAccess,
      ...(environmentDecrypt ? [environmentDecrypt] : []),
      ...(config.tracingMode === 'Active' ? [attach(XRAY_WRITE_POLICY)] : []),
    ];

    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: BackendFunction.logGroupName(namePrefix, fn.name),
      retentionInDays: config.logRetentionDays,
      kmsKeyId: encryptionKey?.keyArn,
    });

    const bundle = bundleLambda({ target: esbuildTargetFor(config.runtime), entry: fn.entry, extraFiles: props.extraFiles });
    const asset = new TerraformAsset(this, 'code', {
      path: writeLambdaZip(bundle),
      type: AssetType.FILE,
    });

    const timeouts = lambdaTimeouts(fn.timeoutSeconds);
    const login: Record<string, string> = readsSecret
      ? {
          [LAMBDA_ENV.dbAuth]: fn.databaseAuth,
          [LAMBDA_ENV.secretArn]: database.secretArn,
          // Each wait is derived from the function timeout (config/derived.ts, lambdaTimeouts).
          [LAMBDA_ENV.secretsManagerConnectTimeoutMillis]: String(timeouts.secretsManagerConnectTimeoutMillis),
          [LAMBDA_ENV.secretsManagerRequestTimeoutMillis]: String(timeouts.secretsManagerRequestTimeoutMillis),
        }
      : { [LAMBDA_ENV.dbAuth]: fn.databaseAuth, [LAMBDA_ENV.dbUser]: fn.databaseRole! };
    this.function = new LambdaFunction(this, 'function', {
      functionName,
      description:
        props.description ??
        (readsSecret
          ? 'Reads the RDS-managed secret and queries PostgreSQL over verified TLS'
          : `Queries PostgreSQL over verified TLS as ${fn.databaseRole}, with IAM database authentication`),
      role: this.role.arn,
      runtime: config.runtime,
      architectures: [config.architecture],
      handler: `${path.basename(BUNDLE_FILE_NAME, '.js')}.handler`,
      filename: asset.path,
      sourceCodeHash: bundle.sourceCodeHash,
      memorySize: fn.memorySizeMiB,
      timeout: fn.timeoutSeconds,
      reservedConcurrentExecutions: fn.reservedConcurrentExecutions ?? undefined,
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
          ...login,
          [LAMBDA_ENV.dbHost]: database.endpointAddress,
          [LAMBDA_ENV.dbPort]: String(database.port),
          [LAMBDA_ENV.dbName]: database.databaseName,
          [LAMBDA_ENV.nodeExtraCaCerts]: LAMBDA_RDS_CA_BUNDLE,
          [LAMBDA_ENV.dbConnectTimeoutMillis]: String(timeouts.dbConnectTimeoutMillis),
          [LAMBDA_ENV.dbQueryTimeoutMillis]: String(timeouts.dbQueryTimeoutMillis),
          [LAMBDA_ENV.dbPoolMaxSessions]: String(purpose === 'migrations' ? 1 : props.connectionBudget.sessionsPerHandler),
          ...(purpose === 'application' ? { [LAMBDA_ENV.dbActions]: fn.actions.join(',') } : {}),
        },
      },
      dependsOn: [...attachments, this.logGroup, ...(props.dependsOn ?? [])],
    });
    if (purpose === 'migrations') suppress(this.function, 'WB-LAMBDA-NO-MASTER-SECRET', 'migrationFunction');
    else suppressWhen(readsSecret, this.function, 'WB-LAMBDA-NO-MASTER-SECRET', 'masterSecretFunction');
    suppressWhen(!encryptionKey, this.function, 'WB-LAMBDA-ENVIRONMENT-CMK', 'customerManagedKey');
    suppressWhen(fn.reservedConcurrentExecutions === null, this.function, 'WB-LAMBDA-RESERVED-CONCURRENCY', 'reservedConcurrency');
    suppressWhen(config.runtime !== NEWEST_NODEJS_RUNTIME, this.function, 'WB-LAMBDA-LATEST-RUNTIME', 'olderRuntime');
    suppressWhen(config.tracingMode !== 'Active', this.function, 'WB-LAMBDA-TRACING', 'tracingPassThrough');
    suppressWhen(!encryptionKey, this.logGroup, 'WB-LOGS-CMK', 'customerManagedKey');
    suppressWhen(config.logRetentionDays < 365, this.logGroup, 'WB-LOGS-RETENTION-1Y', 'logRetentionOneYear');
    this.functionName = this.function.functionName;
    this.functionArn = this.function.arn;
  }

  /**
   * Lets the role read the master secret: the least-privilege policy of `database.grantSecretRead`,
   * or the seed's `SecretsManagerReadWrite` (an application function with `lambda.secretAccess`
   * asking for it) plus `kms:Decrypt` of the secret's key, which that policy lacks.
   * @returns the attachments, for `depends_on`
   */
  private grantSecretAccess(props: BackendFunctionProps, attach: (name: string) => IamRolePolicyAttachment): IamRolePolicyAttachment[] {
    const { database, namePrefix, function: fn } = props;
    const seedSecretAccess = props.lambda.secretAccess === 'SecretsManagerReadWrite' && (props.purpose ?? 'application') === 'application';
    const ids = functionConstructIds(fn.name);
    if (!seedSecretAccess) {
      return [database.grantSecretRead(this.role, { id: ids.secretRead, policyName: resourceNames.ofFunction(namePrefix, fn.name, 'read-db-secret') })];
    }
    const secretAccess = attach(SECRETS_MANAGER_READ_WRITE_POLICY);
    for (const ruleId of SECRETS_MANAGER_READ_WRITE_FINDINGS) {
      suppressWhen(true, secretAccess, ruleId, 'secretsManagerReadWrite', [managedPolicyFinding(SECRETS_MANAGER_READ_WRITE_POLICY)]);
    }
    // SecretsManagerReadWrite grants no kms:Decrypt, which a secret under a customer-managed key needs.
    const secretKeyDecrypt = database.grantSecretKeyDecrypt(this.role, { id: ids.secretDecrypt, policyName: resourceNames.ofFunction(namePrefix, fn.name, 'decrypt-db-secret') });
    return [secretAccess, ...(secretKeyDecrypt ? [secretKeyDecrypt] : [])];
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
      name: resourceNames.ofFunction(namePrefix, this.name, 'decrypt-lambda-environment'),
      description: "Decrypt the backend function's environment variables, through Lambda only",
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [key.decryptViaStatement('lambda', 'DecryptFunctionEnvironment')] }),
    });
    return new IamRolePolicyAttachment(this, 'environment-decrypt-attachment', { role: this.role.name, policyArn: policy.arn });
  }

  /** A function's log group: `/aws/lambda/<namePrefix>-lambda-<name>`. */
  static logGroupName(namePrefix: string, name: string): string {
    return `/aws/lambda/${resourceNames.function(namePrefix, name)}`;
  }
}
