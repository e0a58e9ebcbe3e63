import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { AccountContext } from './constructs/account-context';
import { Alarms } from './constructs/alarms';
import { addAwsProvider } from './provider';
import { BackendFunction } from './constructs/backend-function';
import { alarmThresholds, connectionBudget, totalReservedConcurrency } from '../config/derived';
import type { ValidatedEnvironmentConfig } from '../config/types';
import { Database, POSTGRES_LOG_EXPORTS } from './constructs/database';
import { EncryptionKey } from './constructs/encryption-key';
import { MIGRATION_FUNCTION_NAME, SEED_FUNCTION_NAME, functionConstructIds } from '../config/names';
import { Migrations } from './constructs/migrations';
import { Network } from './constructs/network';
import { applyWaivers, setPolicyProfile, suppressWhen } from './constructs/policy-exceptions';
import { SecretsManagerEndpoint } from './constructs/secrets-endpoint';

/** Props of {@link WorkshopBackendStack}. */
export interface WorkshopBackendStackProps {
  /**
   * The environment's configuration, as `validateEnvironmentConfigs` (config/schema.ts) returned it:
   * the app validates every environment once, before any stack is built.
   */
  readonly config: ValidatedEnvironmentConfig;
}

/**
 * One environment of the workshop backend: network, encryption key (when configured), database,
 * Secrets Manager endpoint, one Lambda per configured function, the migration function and its
 * invocation (when migrations are enabled) and (when alerts are enabled) alarms and
 * rotation-failure alerts, with the outputs a deployer needs to check them.
 */
export class WorkshopBackendStack extends TerraformStack {
  readonly network: Network;
  readonly database: Database;
  readonly endpoint: SecretsManagerEndpoint;
  /** The application functions, in the order of `config.functions`. */
  readonly functions: readonly BackendFunction[];
  /** The migration function and its invocation; present when `migrations.enabled`. */
  readonly migrations?: Migrations;
  readonly encryptionKey?: EncryptionKey;
  /** The alert topic and alarms; present when `alerts.enabled`. */
  readonly alarms?: Alarms;

  constructor(scope: Construct, id: string, props: WorkshopBackendStackProps) {
    super(scope, id);
    const { config } = props;
    setPolicyProfile(this, config.profile);

    addAwsProvider(this, { region: config.region, tags: config.tags, account: config.account, assumeRoleArn: config.deployRoleArn });
    AccountContext.create(this, config.region);
    const { namePrefix } = config;

    if (config.customerManagedKey) {
      this.encryptionKey = new EncryptionKey(this, 'encryption-key', {
        namePrefix,
        logGroupNames: [
          Network.flowLogGroupName(namePrefix),
          ...config.functions.map((fn) => BackendFunction.logGroupName(namePrefix, fn.name)),
          ...(config.migrations.enabled ? [BackendFunction.logGroupName(namePrefix, MIGRATION_FUNCTION_NAME)] : []),
          ...POSTGRES_LOG_EXPORTS.map((log) => Database.logGroupName(namePrefix, log)),
        ],
        alertTopicName: config.alerts.enabled ? Alarms.topicName(namePrefix) : undefined,
      });
    }

    this.network = new Network(this, 'network', {
      namePrefix,
      config: config.network,
      encryptionKey: this.encryptionKey,
    });
    this.database = new Database(this, 'database', {
      namePrefix,
      config: config.database,
      network: this.network,
      encryptionKey: this.encryptionKey,
    });
    this.endpoint = new SecretsManagerEndpoint(this, 'secrets-endpoint', {
      namePrefix,
      network: this.network,
      secretArn: this.database.secretArn,
    });
    const budget = connectionBudget(config.database, totalReservedConcurrency(config.functions));
    const shared = {
      namePrefix,
      lambda: config.lambda,
      network: this.network,
      database: this.database,
      endpoint: this.endpoint,
      connectionBudget: budget,
      encryptionKey: this.encryptionKey,
    };
    if (config.migrations.enabled) this.migrations = new Migrations(this, 'migrations', { ...shared, config: config.migrations });
    // A function that logs in as its own role is created or switched to it only once the migrations
    // that create the role have run: on day 2, prod's function moves from the master secret to IAM
    // authentication after app_reader exists, not before.
    const afterMigrations = this.migrations ? [this.migrations.invocation] : [];
    this.functions = config.functions.map(
      (fn) =>
        new BackendFunction(this, functionConstructIds(fn.name).construct, {
          ...shared,
          seedNames: config.seedNames,
          function: fn,
          dependsOn: fn.databaseAuth === 'iam' ? afterMigrations : [],
        }),
    );
    const watched = [
      ...this.functions.map((fn, i) => ({ function: fn, thresholds: alarmThresholds(config.database, config.functions[i]) })),
      ...(this.migrations
        ? [{ function: this.migrations.backendFunction, thresholds: alarmThresholds(config.database, Migrations.functionConfig(config.migrations)) }]
        : []),
    ];

    if (config.alerts.enabled) {
      this.alarms = new Alarms(this, 'alarms', {
        namePrefix,
        config: config.alerts,
        // The database's thresholds do not depend on the function they were derived with.
        thresholds: watched[0].thresholds,
        functions: watched,
        database: this.database,
        encryptionKey: this.encryptionKey,
      });
    }
    for (const { function: fn } of watched) suppressWhen(!config.alerts.enabled, fn.function, 'WB-CLOUDWATCH-MONITORED', 'alertsOff');
    suppressWhen(!config.alerts.enabled, this.database.instance, 'WB-CLOUDWATCH-MONITORED', 'alertsOff');
    applyWaivers(this, config.waivers);

    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(this, id, { value, description });
    for (const fn of this.functions) {
      // The seed function keeps the outputs' names it had when a stack had one function.
      const prefix = fn.name === SEED_FUNCTION_NAME ? 'function' : `function_${fn.name.replace(/-/g, '_')}`;
      output(`${prefix}_name`, fn.functionName, `Name of the Lambda function ${fn.name}`);
      output(`${prefix}_arn`, fn.functionArn, `ARN of the Lambda function ${fn.name}`);
    }
    if (this.migrations) {
      output('migration_function_name', this.migrations.backendFunction.functionName, 'Name of the migration function');
      output('migrations_digest', this.migrations.digest, 'Digest of the migrations the last apply ran (migrationsDigest)');
      output('migrations_result', this.migrations.invocation.result, "The migration function's answer on the last apply: the migrations applied and those found applied");
    }
    output('db_endpoint_address', this.database.endpointAddress, 'Host name of the RDS PostgreSQL instance');
    output('db_secret_arn', this.database.secretArn, 'ARN of the RDS-managed master user secret');
    output('vpc_endpoint_id', this.endpoint.endpointId, 'Id of the Secrets Manager interface endpoint');
    if (this.alarms) output('alerts_topic_arn', this.alarms.topicArn, 'ARN of the SNS topic that alarms and rotation failures notify');
    new TerraformOutput(this, 'vpc_endpoint_dns_names', {
      value: this.endpoint.dnsNames,
      description: 'DNS names of the Secrets Manager interface endpoint (regional and zonal)',
    });
  }
}
