/**
 * The configuration's types: one documented interface per part of an environment, and the lists
 * of values AWS accepts that those interfaces refer to. Only types and constants, so every module of
 * config/ can import it without a cycle; config/schema.ts validates values against it.
 */
import type { DatabaseAuthMode } from '../lambda-src/environment';

/**
 * Retention periods CloudWatch Logs accepts, in days.
 * Source: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Node.js runtimes this project supports; the bundle targets Node.js 22 syntax, which both run.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 */
export const LAMBDA_RUNTIMES = ['nodejs22.x', 'nodejs24.x'] as const;

/** PostgreSQL major versions RDS supports in standard support. Source: RDS for PostgreSQL release calendar. */
export const POSTGRES_MAJOR_VERSIONS = [14, 15, 16, 17, 18] as const;

/**
 * How the Lambda's role reads the database secret.
 * - `least-privilege`: a customer-managed policy allowing only `secretsmanager:GetSecretValue`
 *   and `secretsmanager:DescribeSecret` on the one RDS-managed secret.
 * - `SecretsManagerReadWrite`: the seed's literal choice (step 2.4), the AWS-managed policy. It is far
 *   broader than needed: it allows every Secrets Manager action (create, update, delete, rotate,
 *   change resource policies) on every secret in the account, plus RDS, Redshift, Lambda, KMS and
 *   CloudFormation read and tag actions. Use it only to reproduce the workshop verbatim. Synth
 *   attaches it (with `kms:Decrypt` on the secret's key when `customerManagedKey` is set) and
 *   suppresses the four policy findings it causes on the attachment, with the reason
 *   the workshop profile's exception (`PROFILE_EXCEPTIONS.workshop.secretsManagerReadWrite`, stacks/constructs/policy-exceptions.ts); the production profile fails the policy gate without a waiver; `npm run policy` lists them as suppressed.
 *   Source: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/SecretsManagerReadWrite.html
 */
export const SECRET_ACCESS_MODES = ['least-privilege', 'SecretsManagerReadWrite'] as const;

/**
 * The profiles an environment is built from (config/profiles.ts): `workshop`, the seed's choices at
 * the lowest cost, with reasoned policy exceptions of its own; `production`, hardened, which the
 * policy gate holds to every protection unless the environment records a waiver.
 */
export const PROFILE_NAMES = ['workshop', 'production'] as const;

/** One of {@link PROFILE_NAMES}. */
export type ProfileName = (typeof PROFILE_NAMES)[number];

/**
 * An explicit exception to one policy rule in one environment: who accepted what, why, and until
 * when. The policy gate suppresses the rule in that environment's stack with this reason; `npm run
 * policy` and the plan review list it; once `expires` has passed, synth fails until it is renewed
 * or removed (docs/security.md, "Waivers").
 */
export interface PolicyWaiver {
  /** The rule, e.g. `WB-RDS-MULTI-AZ` (docs/security.md lists them). */
  readonly ruleId: string;
  /** Why the finding is acceptable in this environment: at least one full sentence, naming who accepted it. */
  readonly reason: string;
  /** The last day the waiver holds, `YYYY-MM-DD` (UTC). */
  readonly expires: string;
}

/**
 * Where a state-bootstrap stack keeps its own state: `local` (a file in the project folder) until its
 * bucket exists, then `s3` to move it into the bucket with `terraform init -migrate-state`.
 */
export const BOOTSTRAP_BACKENDS = ['local', 's3'] as const;

/**
 * The S3 bucket that holds one environment's Terraform state, so each account can keep its own
 * (docs/team-setup.md, "State per account"). The environment's stack keeps its state at
 * `<keyPrefix>/<environment>/terraform.tfstate`, encrypted and locked with an S3 lock file. The app
 * makes one state-bootstrap stack per bucket that creates it, named `state-bootstrap-<account>`
 * (`state-bootstrap-<environment>` for an environment not pinned to an account). Every environment
 * that names the same bucket gives it the same settings and account, and an account has one bucket.
 */
export interface StateBackendConfig {
  /** The bucket's name (S3 bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens). */
  readonly bucket: string;
  /** The bucket's AWS Region, one of config/regions.ts; it may differ from the environment's. */
  readonly region: string;
  /**
   * The first part of the state key: environment `prod` keeps its state at `<keyPrefix>/prod/terraform.tfstate`.
   * @default 'workshop-backend'
   */
  readonly keyPrefix: string;
  /**
   * Where this bucket's state-bootstrap stack keeps its own state; see {@link BOOTSTRAP_BACKENDS}.
   * @default 'local'
   */
  readonly bootstrapBackend: (typeof BOOTSTRAP_BACKENDS)[number];
}

/** Network settings of one environment. */
export interface NetworkConfig {
  /** The VPC's IPv4 CIDR block, e.g. `10.0.0.0/16`. */
  readonly vpcCidr: string;
  /**
   * AZ names, 2 to 6, all in `region`. Subnet `i` of each list is placed in AZ `i`.
   * The first AZ holds the Lambda, the endpoint and (when not Multi-AZ) the DB instance.
   */
  readonly availabilityZones: readonly string[];
  /** One CIDR per AZ for the private subnets the Lambda and the endpoint use (`private1`, `private2`, ...). */
  readonly privateSubnetCidrs: readonly string[];
  /** One CIDR per AZ for the data subnets of the DB subnet group (`private3`, `private4`, ... in a 2-AZ VPC). */
  readonly dataSubnetCidrs: readonly string[];
  /**
   * How many of the private subnets (from the first AZ on) hold the Lambda's ENIs and the
   * endpoint's ENIs, from 1 to the number of AZs. Each endpoint ENI costs about $0.01/hour
   * (AWS PrivateLink pricing); 1 is cheapest, more survive an AZ outage.
   */
  readonly lambdaAzCount: number;
  /** Retention of the VPC flow log group, in days (a CloudWatch Logs value). */
  readonly flowLogRetentionDays: number;
  /** Which traffic the flow log records: `ACCEPT`, `REJECT` or `ALL`. */
  readonly flowLogTrafficType: 'ACCEPT' | 'REJECT' | 'ALL';
}

/**
 * The rotation schedule of the RDS-managed master user secret: the settings of the secret's
 * Rotation tab (seed step 1.4). RDS rotates the secret itself, so there is no rotation Lambda;
 * automatic rotation is always on (hashicorp/aws 6.25.0 cannot turn it off). Set exactly one of
 * `automaticallyAfterDays` and `scheduleExpression`. Schedules are in UTC.
 * Sources: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html
 */
export interface SecretRotationConfig {
  /**
   * Days between rotations, 1 to 1000, counted from the last rotation (the console's "time unit"
   * schedule; RDS's own default is 7).
   * @default - none: set this or `scheduleExpression`
   */
  readonly automaticallyAfterDays?: number;
  /**
   * A `rate()` or `cron()` expression in UTC: `rate(<n> hours|days)` from 4 hours to 999 days, or
   * `cron(0 <hours> <day-of-month> <month> <day-of-week> *)` (minutes must be 0, year `*`), hours at
   * least 4 apart. A rate's windows open at midnight UTC; a cron's at the hours it names.
   * @default - none: set this or `automaticallyAfterDays`
   */
  readonly scheduleExpression?: string;
  /**
   * How long each rotation window stays open, in whole hours from `1h` to `24h`. Only with
   * `scheduleExpression`; the window must close before the next one opens and by the end of the
   * UTC day it opens on.
   * @default - 1 hour for a schedule in hours, the rest of the UTC day for a schedule in days
   */
  readonly windowDuration?: string;
  /**
   * Rotate as soon as Terraform creates or changes the rotation settings, then follow the schedule.
   * `false` keeps a deploy from changing the master password.
   */
  readonly rotateImmediately: boolean;
}

/** Database settings of one environment. */
export interface DatabaseConfig {
  /**
   * PostgreSQL engine version: a major (`17`: RDS picks the minor and, with
   * {@link autoMinorVersionUpgrade}, keeps upgrading it) or a pinned `major.minor` (`17.6`), allowed
   * only with `autoMinorVersionUpgrade: false` (else RDS upgrades to 17.7 and every plan proposes
   * going back to 17.6, which RDS refuses). A new major upgrades in place (`allow_major_version_upgrade`)
   * with a new parameter group; docs/day-2.md.
   */
  readonly engineVersion: string;
  /**
   * Let RDS apply new minor versions in the maintenance window. `true` with a major
   * {@link engineVersion} (`17`), `false` with a pinned minor (`17.6`); any other combination is
   * rejected.
   */
  readonly autoMinorVersionUpgrade: boolean;
  /**
   * Apply changes to the instance when Terraform applies them (`apply_immediately`), instead of in
   * the next maintenance window. With `false`, a plan shows the same change again until the window
   * (the instance still reports the old values), and a major upgrade fails at deleting the old
   * parameter group, which the instance still uses. Both environments choose `true`; docs/day-2.md.
   */
  readonly applyImmediately: boolean;
  /** RDS instance class, e.g. `db.t4g.micro`. */
  readonly instanceClass: string;
  /** Storage in GiB (gp3), 20 to 65536. */
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling in GiB; 0 turns autoscaling off. */
  readonly maxAllocatedStorageGiB: number;
  /** Name of the database created in the instance. */
  readonly databaseName: string;
  /** Master user name; its password is generated and rotated by RDS in Secrets Manager. */
  readonly masterUsername: string;
  /** TCP port PostgreSQL listens on (RDS allows 1150 to 65535). */
  readonly port: number;
  /** A synchronous standby in another AZ. */
  readonly multiAz: boolean;
  /** Refuse `DeleteDBInstance` (a destroy then fails until this is turned off). */
  readonly deletionProtection: boolean;
  /** Skip the final snapshot on destroy. */
  readonly skipFinalSnapshot: boolean;
  /** Automated backup retention in days, 1 to 35. */
  readonly backupRetentionDays: number;
  /** Retention of the `postgresql` and `upgrade` log groups in days (a CloudWatch Logs value). */
  readonly logRetentionDays: number;
  /** Performance Insights retention in days; 0 turns it off, 7 is free. */
  readonly performanceInsightsRetentionDays: number;
  /**
   * The instance's `max_connections`, 10 to 5000 connections: the DB parameter group sets it, so it is
   * what `SHOW max_connections` reports, and it bounds the Lambda's reserved concurrency (less
   * `RESERVED_DB_CONNECTIONS`). A static parameter: a new instance starts with it; after a change,
   * the instance shows `pending-reboot` and applies it at its next reboot. RDS's default is
   * `LEAST(DBInstanceClassMemory/9531392, 5000)`, where DBInstanceClassMemory is the class's memory
   * less what the OS and RDS use: under 112 for 1 GiB (`db.t4g.micro`) and under 450 for 4 GiB
   * (`db.t4g.medium`). For the classes in `INSTANCE_CLASS_MEMORY_GIB` (config/derived.ts), validation rejects a
   * value above that ceiling (too high a value can keep the instance from starting).
   * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections,
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Parameters.html
   */
  readonly maxConnections: number;
  /** The master user secret's rotation schedule (seed step 1.4); see {@link SecretRotationConfig}. */
  readonly secretRotation: SecretRotationConfig;
}

/** The Lambda settings every function of an environment shares; each function's own are in {@link FunctionConfig}. */
export interface LambdaConfig {
  /**
   * Node.js runtime: `nodejs22.x` or `nodejs24.x`. The policy pack asks for the newest; an older one
   * synthesizes with WB-LAMBDA-LATEST-RUNTIME suppressed (an exception of both profiles, `PROFILE_EXCEPTIONS`).
   */
  readonly runtime: (typeof LAMBDA_RUNTIMES)[number];
  /** `arm64` (Graviton, about 20% cheaper per GB-second) or `x86_64`. */
  readonly architecture: 'arm64' | 'x86_64';
  /** Retention of `/aws/lambda/<name>` in days (a CloudWatch Logs value). */
  readonly logRetentionDays: number;
  /**
   * X-Ray tracing: `Active` (attaches `AWSXRayDaemonWriteAccess`) or `PassThrough`, which synthesizes
   * with WB-LAMBDA-TRACING suppressed (an exception of both profiles, `PROFILE_EXCEPTIONS`).
   */
  readonly tracingMode: 'Active' | 'PassThrough';
  /** How the role reads the secret; see {@link SECRET_ACCESS_MODES}. */
  readonly secretAccess: (typeof SECRET_ACCESS_MODES)[number];
}

/**
 * One application function of an environment: a Lambda in the VPC with its own IAM role, security
 * group, log group, alarms and outputs, that runs `entry` and accepts only `actions`. Its settings
 * not given in the definition come from the environment's {@link LambdaConfig} (`resolveEnvironment`
 * in config/profiles.ts).
 */
export interface FunctionConfig {
  /**
   * Its short name, 2 to 24 lowercase letters, digits or hyphens: the function is
   * `<namePrefix>-lambda-<name>`. `db-health` is the seed's function, whose resources keep their
   * names and Terraform addresses (config/names.ts `SEED_FUNCTION_NAME`); `db-migrate` is taken by
   * the migration function.
   */
  readonly name: string;
  /** The module esbuild bundles, relative to the project root; it exports `handler`. */
  readonly entry: string;
  /** The actions it accepts, names of `ACTION_SPECS` (lambda-src/actions.ts), at least one; the handler refuses the others. */
  readonly actions: readonly string[];
  /**
   * How it logs in to PostgreSQL (`DATABASE_AUTH_MODES` in lambda-src/environment.ts):
   * `master-secret` (the seed's flow: the RDS-managed secret, read through the endpoint) or `iam`
   * (its own {@link databaseRole}, with IAM database authentication tokens).
   */
  readonly databaseAuth: DatabaseAuthMode;
  /**
   * The PostgreSQL role it logs in as with `iam`: one the migrations create (lambda-src/migrations/),
   * with only the grants its actions need. `null` with `master-secret`, which logs in as the master user.
   */
  readonly databaseRole: string | null;
  /** Memory in MiB, 128 to 10240. */
  readonly memorySizeMiB: number;
  /** Timeout in seconds, 3 to 900; below 3 the Secrets Manager and database waits cannot fit. */
  readonly timeoutSeconds: number;
  /**
   * Reserved concurrency, or `null` for unreserved. Each warm container holds one database
   * connection, so this caps the function's connections; every function's reservations together
   * must fit the database's (`maxConnections` less `RESERVED_DB_CONNECTIONS`).
   */
  readonly reservedConcurrentExecutions: number | null;
}

/**
 * A {@link FunctionConfig} as a profile or an environment's overrides give it: `name` and `actions`,
 * and only the settings that differ from the defaults (`lambda` in {@link ProfileSettings}: memory,
 * timeout, reserved concurrency, database authentication; `entry` the handler; `databaseRole` none).
 */
export type FunctionDefinition = Pick<FunctionConfig, 'name' | 'actions'> & Partial<Omit<FunctionConfig, 'name' | 'actions'>>;

/** The settings of every function that a profile or an environment's `lambda` gives once, as defaults. */
export type FunctionDefaults = Pick<FunctionConfig, 'memorySizeMiB' | 'timeoutSeconds' | 'reservedConcurrentExecutions' | 'databaseAuth'>;

/**
 * The migration function (stacks/constructs/migrations.ts): a Lambda in the VPC that applies the
 * versioned SQL files of lambda-src/migrations/ as the master user. Terraform invokes it on apply
 * whenever the set of migrations changes (`aws_lambda_invocation` keyed by their digest); a failing
 * migration fails the apply. It is the one function that reads the RDS-managed master secret when
 * every application function uses `iam`.
 */
export interface MigrationsConfig {
  /** Create the migration function and its invocation. Required by any function with `databaseAuth: 'iam'`, whose role a migration creates. */
  readonly enabled: boolean;
  /** Memory in MiB, 128 to 10240. */
  readonly memorySizeMiB: number;
  /** Timeout in seconds, 10 to 900: the longest a run of the migrations may take, lock wait included. */
  readonly timeoutSeconds: number;
}

/**
 * Alarms and alerts of one environment (stacks/constructs/alarms.ts). Their thresholds are derived
 * from the Lambda and database settings in config/derived.ts (`alarmThresholds`).
 */
export interface AlertsConfig {
  /**
   * Create the alert topic, the CloudWatch alarms (Lambda Errors, Throttles, Duration p99 and
   * ConcurrentExecutions; RDS CPUUtilization, FreeStorageSpace, FreeableMemory and
   * DatabaseConnections) and the rule that forwards failed rotations of the database secret.
   * Alarms are billed per alarm and month; `npm run cost` prices them.
   */
  readonly enabled: boolean;
  /**
   * One email address to subscribe to the topic, or `null` for none. AWS mails a confirmation link
   * first; nothing is delivered until it is followed. Only allowed when `enabled` is true.
   */
  readonly email: string | null;
}

/**
 * One environment, resolved: its profile's settings with its own overrides applied
 * (config/profiles.ts `resolveEnvironment`), which is what validation and the stacks read.
 */
export interface EnvironmentConfig {
  /** The stack name and `Environment` tag, e.g. `dev`. */
  readonly environment: string;
  /** The profile the settings come from: `workshop` or `production` (see {@link PROFILE_NAMES}). */
  readonly profile: ProfileName;
  /** AWS region code, one of config/regions.ts, e.g. `ap-southeast-1`. */
  readonly region: string;
  /**
   * The AWS account the stack deploys to, 12 digits. The stack's AWS provider sets
   * `allowed_account_ids` to it, so credentials for another account fail before any change.
   * Required by the production profile; `null` leaves a workshop stack unpinned (synth says so).
   */
  readonly account: string | null;
  /**
   * An IAM role ARN in {@link account} that the stack's AWS provider assumes (`assume_role`), or
   * `null` to use the caller's credentials as they are.
   */
  readonly deployRoleArn: string | null;
  /** Explicit exceptions to policy rules in this environment; see {@link PolicyWaiver}. */
  readonly waivers: readonly PolicyWaiver[];
  /**
   * The S3 bucket of this environment's state (see {@link StateBackendConfig}), or `null` to use the
   * one the `TF_STATE_*` variables name (local state when they are unset).
   */
  readonly stateBackend: StateBackendConfig | null;
  /** Prefix of every resource name, e.g. `workshop` gives `workshop-backend-vpc`. */
  readonly namePrefix: string;
  /**
   * Name the resources the seed names exactly as the seed does, its misspelt Lambda role
   * `workshop-lamda-secretsmng-role` (step 2.5) included, so readers of the workshop find them in
   * the console. Requires the configuration that gives the seed's other names (`namePrefix`
   * `workshop`, first AZ `ap-southeast-1a`); config/names.ts lists them. `false` spells the role
   * `<namePrefix>-lambda-secretsmng-role`. Changing it replaces the role (IAM names are immutable).
   */
  readonly seedNames: boolean;
  /**
   * Encrypt the secret, the log groups, the Lambda environment and the DB storage with a
   * customer-managed KMS key (about $1/month plus requests) instead of AWS-managed keys.
   */
  readonly customerManagedKey: boolean;
  readonly network: NetworkConfig;
  readonly database: DatabaseConfig;
  readonly lambda: LambdaConfig;
  /**
   * The application functions, at least one: each one's name, entry, actions, database login,
   * memory, timeout and reserved concurrency ({@link FunctionConfig}; docs/lambda.md, "Functions").
   */
  readonly functions: readonly FunctionConfig[];
  readonly migrations: MigrationsConfig;
  readonly alerts: AlertsConfig;
  /** Tags applied to every resource through the provider's `default_tags`. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The fields of an environment that a profile sets and an environment may override. Functions are
 * given as {@link FunctionDefinition}s, and `lambda` carries their {@link FunctionDefaults} besides
 * the shared settings: resolving the environment completes each function from them
 * (`resolveEnvironment`, config/profiles.ts).
 */
export type ProfileSettings = Omit<EnvironmentConfig, (typeof DEFINITION_FIELDS)[number] | 'functions' | 'lambda'> & {
  readonly lambda: LambdaConfig & FunctionDefaults;
  readonly functions: readonly FunctionDefinition[];
};

/**
 * The fields every environment states in its definition rather than taking from its profile: who it
 * is, where it deploys, where its state lives, and its waivers.
 */
export const DEFINITION_FIELDS = ['environment', 'profile', 'region', 'account', 'deployRoleArn', 'waivers', 'stateBackend'] as const;

/** `T` with every field optional at every depth; arrays are replaced whole, not merged. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * One environment as `config/environments.ts` declares it: a name, a profile, where it deploys, and
 * only the settings in which it differs from its profile. No environment reads another's values.
 */
export interface EnvironmentDefinition {
  /** The stack name, e.g. `staging`: 2 to 20 lowercase letters, digits or hyphens. */
  readonly environment: string;
  /** The profile that gives every setting not overridden. */
  readonly profile: ProfileName;
  /** AWS region code, one of config/regions.ts. */
  readonly region: string;
  /** See {@link EnvironmentConfig.account}. @default null (only the workshop profile allows it) */
  readonly account?: string | null;
  /** See {@link EnvironmentConfig.deployRoleArn}. @default null */
  readonly deployRoleArn?: string | null;
  /** See {@link EnvironmentConfig.waivers}. @default [] */
  readonly waivers?: readonly PolicyWaiver[];
  /**
   * See {@link EnvironmentConfig.stateBackend}; `keyPrefix` and `bootstrapBackend` may be left out.
   * @default null (the `TF_STATE_*` variables decide)
   */
  readonly stateBackend?: StateBackendDefinition | null;
  /** Settings that differ from the profile's. @default {} */
  readonly overrides?: DeepPartial<ProfileSettings>;
}

/** A {@link StateBackendConfig} as a definition gives it: the fields with a default may be left out. */
export type StateBackendDefinition = Omit<StateBackendConfig, 'keyPrefix' | 'bootstrapBackend'> &
  Partial<Pick<StateBackendConfig, 'keyPrefix' | 'bootstrapBackend'>>;

declare const VALIDATED: unique symbol;

/**
 * An {@link EnvironmentConfig} that `validateEnvironmentConfig` or `validateEnvironmentConfigs`
 * (config/schema.ts) accepted. Stacks take only this type, so configuration is validated once,
 * before any resource is built, and never again inside a stack.
 */
export type ValidatedEnvironmentConfig = EnvironmentConfig & { readonly [VALIDATED]: true };
