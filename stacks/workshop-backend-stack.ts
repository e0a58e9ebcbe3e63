import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { AccountContext } from './constructs/account-context';
import { Alarms } from './constructs/alarms';
import { addAwsProvider } from './provider';
import { BackendFunction } from './constructs/backend-function';
import { alarmThresholds, connectionBudget } from '../config/derived';
import type { ValidatedEnvironmentConfig } from '../config/types';
import { Database, POSTGRES_LOG_EXPORTS } from './constructs/database';
import { EncryptionKey } from './constructs/encryption-key';
import { resourceNames } from '../config/names';
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
 * Secrets Manager endpoint, Lambda and (when alerts are enabled) alarms and rotation-failure
 * alerts, with the outputs a deployer needs to check them.
 */
export class WorkshopBackendStack extends TerraformStack {
  readonly network: Network;
  readonly database: Database;
  readonly endpoint: SecretsManagerEndpoint;
  readonly backendFunction: BackendFunction;
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
          BackendFunction.logGroupName(namePrefix),
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
    this.backendFunction = new BackendFunction(this, 'function', {
      namePrefix,
      config: config.lambda,
      roleName: resourceNames.lambdaRole(namePrefix, config.seedNames),
      network: this.network,
      database: this.database,
      connectionBudget: connectionBudget(config.database, config.lambda.reservedConcurrentExecutions),
      endpoint: this.endpoint,
      encryptionKey: this.encryptionKey,
    });

    if (config.alerts.enabled) {
      this.alarms = new Alarms(this, 'alarms', {
        namePrefix,
        config: config.alerts,
        thresholds: alarmThresholds(config.database, config.lambda),
        backendFunction: this.backendFunction,
        database: this.database,
        encryptionKey: this.encryptionKey,
      });
    }
    suppressWhen(!config.alerts.enabled, this.backendFunction.function, 'WB-CLOUDWATCH-MONITORED', 'alertsOff');
    suppressWhen(!config.alerts.enabled, this.database.instance, 'WB-CLOUDWATCH-MONITORED', 'alertsOff');
    applyWaivers(this, config.waivers);

    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(this, id, { value, description });
    output('function_name', this.backendFunction.functionName, 'Name of the Lambda function');
    output('function_arn', this.backendFunction.functionArn, 'ARN of the Lambda function');
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
