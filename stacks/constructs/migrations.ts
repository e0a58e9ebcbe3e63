import { Construct } from 'constructs';
import { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation';
import type { ConnectionBudget } from '../../config/derived';
import { MIGRATION_FUNCTION_NAME, MIGRATION_HANDLER_ENTRY } from '../../config/names';
import type { FunctionConfig, LambdaConfig, MigrationsConfig } from '../../config/types';
import { loadMigrations, migrationEvent, migrationsDigest, type Migration } from '../../lambda-src/migration-files';
import { BackendFunction } from './backend-function';
import type { Database } from './database';
import type { EncryptionKey } from './encryption-key';
import type { Network } from './network';
import type { SecretsManagerEndpoint } from './secrets-endpoint';

/** Props of {@link Migrations}. */
export interface MigrationsProps {
  /** Prefix of resource names: the function is `<namePrefix>-lambda-db-migrate`. */
  readonly namePrefix: string;
  /** The migration function's memory and timeout (validated). */
  readonly config: MigrationsConfig;
  /** What every function of the environment shares: runtime, architecture, logs, tracing. */
  readonly lambda: LambdaConfig;
  readonly network: Network;
  readonly database: Database;
  readonly endpoint: SecretsManagerEndpoint;
  /** The database's connection budget; the migration function holds one session, counted among the operators' reserve. */
  readonly connectionBudget: ConnectionBudget;
  /** @default - AWS-managed keys */
  readonly encryptionKey?: EncryptionKey;
  /**
   * The migrations to bundle and apply.
   * @default - the files of lambda-src/migrations/ (`loadMigrations`)
   */
  readonly migrations?: readonly Migration[];
}

/**
 * The versioned SQL migrations of lambda-src/migrations/, applied through the VPC: CI cannot reach
 * the database (private subnets, no NAT), so a function inside the VPC applies them, and Terraform
 * invokes it on apply.
 *
 * - The function `<namePrefix>-lambda-db-migrate` runs lambda-src/migrate-handler.ts with the
 *   migration files beside its code (`migrations/<name>.sql` in the zip). It logs in as the master
 *   user with the RDS-managed secret, the one function the policy gate lets read it in the
 *   production profile (WB-LAMBDA-NO-MASTER-SECRET, suppressed with the reason `migrationFunction`).
 *   Its reserved concurrency is 1; the runner's advisory lock serializes runs anyway.
 * - An `aws_lambda_invocation` sends it the planned list (`{"migrations":[{"name","checksum"}]}`),
 *   keyed by the list's digest (`triggers.migrations_digest`): a plan that adds or edits a migration
 *   replaces the invocation, which runs the function once on apply, and the plan review lists the
 *   migrations it will run. The function refuses a list other than the files it carries, and a
 *   failing migration fails the invocation, hence the apply, with the migration's name and
 *   PostgreSQL's error; that migration is rolled back (lambda-src/migrate.ts).
 *   Source: https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_invocation
 */
export class Migrations extends Construct {
  readonly backendFunction: BackendFunction;
  readonly invocation: LambdaInvocation;
  /** The migrations bundled and applied, in order. */
  readonly migrations: readonly Migration[];
  /** Their digest (`migrationsDigest`): the invocation's trigger. */
  readonly digest: string;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const { database, endpoint } = props;
    this.migrations = props.migrations ?? loadMigrations();
    this.digest = migrationsDigest(this.migrations);
    this.backendFunction = new BackendFunction(this, 'function', {
      namePrefix: props.namePrefix,
      seedNames: false,
      function: Migrations.functionConfig(props.config),
      lambda: props.lambda,
      network: props.network,
      database,
      endpoint,
      connectionBudget: props.connectionBudget,
      encryptionKey: props.encryptionKey,
      purpose: 'migrations',
      extraFiles: this.migrations.map((m) => ({ name: `migrations/${m.name}.sql`, contents: m.sql })),
      description: 'Applies the SQL migrations of lambda-src/migrations/ as the master user; Terraform invokes it on apply',
    });
    this.invocation = new LambdaInvocation(this, 'invocation', {
      functionName: this.backendFunction.functionName,
      input: JSON.stringify(migrationEvent(this.migrations)),
      triggers: { migrations_digest: this.digest },
      // The function reaches the database and the endpoint only once their rules exist.
      dependsOn: [...this.backendFunction.flows.flatMap((flow) => [flow.egress, flow.ingress]), endpoint.endpoint],
    });
  }

  /** The migration function as a {@link FunctionConfig}: the master user's login, no actions, one at a time. */
  static functionConfig(config: MigrationsConfig): FunctionConfig {
    return {
      name: MIGRATION_FUNCTION_NAME,
      entry: MIGRATION_HANDLER_ENTRY,
      actions: [],
      databaseAuth: 'master-secret',
      databaseRole: null,
      memorySizeMiB: config.memorySizeMiB,
      timeoutSeconds: config.timeoutSeconds,
      reservedConcurrentExecutions: 1,
    };
  }
}
