import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { AccountContext } from './constructs/account-context';
import { addAwsProvider } from './provider';
import { BackendFunction } from './constructs/backend-function';
import { validateEnvironmentConfig, type EnvironmentConfig } from '../config/schema';
import { Database, POSTGRES_LOG_EXPORTS } from './constructs/database';
import { EncryptionKey } from './constructs/encryption-key';
import { resourceNames } from '../config/names';
import { Network } from './constructs/network';
import { SecretsManagerEndpoint } from './constructs/secrets-endpoint';

/** Props of {@link WorkshopBackendStack}. */
export interface WorkshopBackendStackProps {
  /** The environment's configuration; validated before any resource is built. */
  readonly config: EnvironmentConfig;
}

/**
 * One environment of the workshop backend: network, encryption key (when configured), database,
 * Secrets Manager endpoint and Lambda, with the outputs a deployer needs to check them.
 *
 * @throws UserError when `config` is invalid, before anything is added to the app.
 */
export class WorkshopBackendStack extends TerraformStack {
  readonly network: Network;
  readonly database: Database;
  readonly endpoint: SecretsManagerEndpoint;
  readonly backendFunction: BackendFunction;
  readonly encryptionKey?: EncryptionKey;

  constructor(scope: Construct, id: string, props: WorkshopBackendStackProps) {
    const config = validateEnvironmentConfig(props.config);
    super(scope, id);

    addAwsProvider(this, { region: config.region, tags: config.tags });
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
      endpoint: this.endpoint,
      encryptionKey: this.encryptionKey,
    });

    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(this, id, { value, description });
    output('function_name', this.backendFunction.functionName, 'Name of the Lambda function');
    output('function_arn', this.backendFunction.functionArn, 'ARN of the Lambda function');
    output('db_endpoint_address', this.database.endpointAddress, 'Host name of the RDS PostgreSQL instance');
    output('db_secret_arn', this.database.secretArn, 'ARN of the RDS-managed master user secret');
    output('vpc_endpoint_id', this.endpoint.endpointId, 'Id of the Secrets Manager interface endpoint');
    new TerraformOutput(this, 'vpc_endpoint_dns_names', {
      value: this.endpoint.dnsNames,
      description: 'DNS names of the Secrets Manager interface endpoint (regional and zonal)',
    });
  }
}
