import * as ipaddr from 'ipaddr.js';
// A namespace import, whose uses esbuild can tree-shake: `import { z }` kept all of zod's 40-odd
// locales (300 KB, an eighth of synth.js's app bundle) where only English is used.
import * as z from 'zod';
import { INSTANCE_CLASS_MEMORY_GIB, RESERVED_DB_CONNECTIONS, defaultMaxConnectionsCeiling, maxLambdaConnections, postgresMajorVersion } from './derived';
import { errors, invalidField } from './errors';
import { namesDifferingFromSeed } from './names';
import { AUTOMATICALLY_AFTER_DAYS, secretRotationProblems } from './rotation';

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
 *   `POLICY_EXCEPTION_REASONS.secretsManagerReadWrite`; `npm run policy` lists them as suppressed.
 *   Source: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/SecretsManagerReadWrite.html
 */
export const SECRET_ACCESS_MODES = ['least-privilege', 'SecretsManagerReadWrite'] as const;

const cidr = z.string().refine((v) => ipaddr.IPv4.isValidCIDR(v), {
  error: 'an IPv4 CIDR block such as "10.0.0.0/16"',
});
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `one of ${values.map((v) => `"${v}"`).join(', ')}` });
const intRange = (min: number, max: number, why = '') =>
  z
    .number({ error: `an integer from ${min} to ${max}${why}` })
    .int({ error: `an integer from ${min} to ${max}${why}` })
    .min(min, { error: `an integer from ${min} to ${max}${why}` })
    .max(max, { error: `an integer from ${min} to ${max}${why}` });
const retentionDays = z
  .number()
  .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), {
    error: `a CloudWatch Logs retention in days: ${LOG_RETENTION_DAYS.join(', ')}`,
  });

const networkSchema = z
  .object({
    vpcCidr: cidr,
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { error: 'AZ names such as "ap-southeast-1a"' }))
      .min(2, { error: 'at least 2 AZ names (an RDS DB subnet group needs subnets in 2 AZs)' })
      .max(6, { error: 'at most 6 AZ names' }),
    privateSubnetCidrs: z.array(cidr),
    dataSubnetCidrs: z.array(cidr),
    lambdaAzCount: z.number().int().min(1, { error: 'an integer from 1 to the number of AZs' }),
    flowLogRetentionDays: retentionDays,
    flowLogTrafficType: oneOf(['ACCEPT', 'REJECT', 'ALL'] as const),
  })
  .strict();

const secretRotationSchema = z
  .object({
    automaticallyAfterDays: intRange(AUTOMATICALLY_AFTER_DAYS.min, AUTOMATICALLY_AFTER_DAYS.max, ' (Secrets Manager AutomaticallyAfterDays)').optional(),
    scheduleExpression: z.string({ error: 'a rate() or cron() expression such as "rate(7 days)"' }).optional(),
    windowDuration: z.string({ error: 'whole hours such as "3h"' }).optional(),
    rotateImmediately: z.boolean(),
  })
  .strict();

const databaseSchema = z
  .object({
    engineVersion: z.string().regex(/^\d{2}(\.\d+)?$/, {
      error: `a PostgreSQL major version (${POSTGRES_MAJOR_VERSIONS.join(', ')}), optionally with a minor, such as "17" or "17.6"`,
    }),
    autoMinorVersionUpgrade: z.boolean(),
    applyImmediately: z.boolean(),
    instanceClass: z.string().regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, { error: 'an RDS instance class such as "db.t4g.micro"' }),
    allocatedStorageGiB: intRange(20, 65536, ' (gp3 minimum is 20 GiB)'),
    maxAllocatedStorageGiB: intRange(0, 65536, ' (0 turns storage autoscaling off)'),
    databaseName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, {
      error: 'a PostgreSQL identifier: a letter, then up to 62 letters, digits or underscores',
    }),
    masterUsername: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, { error: 'a letter, then up to 62 letters, digits or underscores' })
      .refine((v) => !['rdsadmin', 'rdsrepladmin', 'rds_superuser', 'public'].includes(v.toLowerCase()), {
        error: 'any name but the RDS-reserved rdsadmin, rdsrepladmin, rds_superuser and public',
      }),
    port: intRange(1150, 65535, ' (the RDS range for PostgreSQL)'),
    multiAz: z.boolean(),
    deletionProtection: z.boolean(),
    skipFinalSnapshot: z.boolean(),
    backupRetentionDays: intRange(1, 35, ' (RDS automated backup limit)'),
    performanceInsightsRetentionDays: z
      .number()
      .refine((v) => v === 0 || v === 7 || v === 731 || (v % 31 === 0 && v >= 31 && v <= 713), {
        error: '0 (off), 7 (free tier), a multiple of 31 from 31 to 713, or 731',
      }),
    logRetentionDays: retentionDays,
    maxConnections: intRange(10, 5000, " (PostgreSQL max_connections; RDS's default is LEAST(DBInstanceClassMemory/9531392, 5000))"),
    secretRotation: secretRotationSchema,
  })
  .strict();

const lambdaSchema = z
  .object({
    runtime: oneOf(LAMBDA_RUNTIMES),
    architecture: oneOf(['arm64', 'x86_64'] as const),
    memorySizeMiB: intRange(128, 10240, ' (Lambda memory limits)'),
    timeoutSeconds: intRange(3, 900, ' (Lambda maximum is 900; below 3 the Secrets Manager and database timeouts cannot fit)'),
    reservedConcurrentExecutions: z.union([intRange(1, 1000), z.null()], {
      error: 'null (unreserved) or an integer from 1 to 1000',
    }),
    logRetentionDays: retentionDays,
    tracingMode: oneOf(['Active', 'PassThrough'] as const),
    secretAccess: oneOf(SECRET_ACCESS_MODES),
  })
  .strict();

/**
 * What an email subscription accepts: one address, no display name. SNS validates it again when it
 * creates the subscription; this catches typos before a plan.
 */
const EMAIL_ADDRESS = /^[^\s@<>"',;]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

const EMAIL_ALLOWED = 'null (no subscription) or one email address such as "ops@example.com"';
const alertsSchema = z
  .object({
    enabled: z.boolean(),
    email: z.union([z.string().regex(EMAIL_ADDRESS, { error: EMAIL_ALLOWED }), z.null()], { error: EMAIL_ALLOWED }),
  })
  .strict();

/**
 * The zod schema of one environment, which {@link validateEnvironmentConfig} applies before the
 * cross-field checks. Exported so a test can walk every option it accepts and synthesize each.
 */
export const environmentSchema = z
  .object({
    environment: z.string().regex(/^[a-z][a-z0-9-]{1,19}$/, {
      error: 'a lowercase stack name of 2 to 20 letters, digits or hyphens, such as "dev"',
    }),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'an AWS region code such as "ap-southeast-1"' }),
    namePrefix: z.string().regex(/^[a-z](?!.*--)[a-z0-9-]{1,23}[a-z0-9]$/, {
      error: '3 to 25 lowercase letters, digits or single hyphens, starting with a letter (RDS identifier rules)',
    }),
    seedNames: z.boolean(),
    customerManagedKey: z.boolean(),
    network: networkSchema,
    database: databaseSchema,
    lambda: lambdaSchema,
    alerts: alertsSchema,
    tags: z.record(z.string(), z.string()),
  })
  .strict();

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
   * (`db.t4g.medium`). For the classes in {@link INSTANCE_CLASS_MEMORY_GIB}, validation rejects a
   * value above that ceiling (too high a value can keep the instance from starting).
   * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections,
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Parameters.html
   */
  readonly maxConnections: number;
  /** The master user secret's rotation schedule (seed step 1.4); see {@link SecretRotationConfig}. */
  readonly secretRotation: SecretRotationConfig;
}

/** Lambda settings of one environment. */
export interface LambdaConfig {
  /**
   * Node.js runtime: `nodejs22.x` or `nodejs24.x`. The policy pack asks for the newest; an older one
   * synthesizes with WB-LAMBDA-LATEST-RUNTIME suppressed (`POLICY_EXCEPTION_REASONS.olderRuntime`).
   */
  readonly runtime: (typeof LAMBDA_RUNTIMES)[number];
  /** `arm64` (Graviton, about 20% cheaper per GB-second) or `x86_64`. */
  readonly architecture: 'arm64' | 'x86_64';
  /** Memory in MiB, 128 to 10240. */
  readonly memorySizeMiB: number;
  /** Function timeout in seconds, 3 to 900. */
  readonly timeoutSeconds: number;
  /**
   * Reserved concurrency, or `null` for unreserved. Each warm container holds one database
   * connection, so this caps the function's connections.
   */
  readonly reservedConcurrentExecutions: number | null;
  /** Retention of `/aws/lambda/<name>` in days (a CloudWatch Logs value). */
  readonly logRetentionDays: number;
  /**
   * X-Ray tracing: `Active` (attaches `AWSXRayDaemonWriteAccess`) or `PassThrough`, which synthesizes
   * with WB-LAMBDA-TRACING suppressed (`POLICY_EXCEPTION_REASONS.tracingPassThrough`).
   */
  readonly tracingMode: 'Active' | 'PassThrough';
  /** How the role reads the secret; see {@link SECRET_ACCESS_MODES}. */
  readonly secretAccess: (typeof SECRET_ACCESS_MODES)[number];
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

/** One environment: everything that differs between `dev` and `prod`. */
export interface EnvironmentConfig {
  /** The stack name and `Environment` tag, e.g. `dev`. */
  readonly environment: string;
  /** AWS region code, e.g. `ap-southeast-1`. */
  readonly region: string;
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
  readonly alerts: AlertsConfig;
  /** Tags applied to every resource through the provider's `default_tags`. */
  readonly tags: Readonly<Record<string, string>>;
}

/** `T` with `readonly` removed at every depth, to compare the interfaces with what zod infers. */
type Writable<T> = T extends readonly (infer E)[] ? Writable<E>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
/** `true` only when `A` and `B` are the same type. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/**
 * The schema and the documented interfaces above cannot drift: this fails to compile when a field
 * is added, removed or retyped in one and not in the other.
 */
export const SCHEMA_MATCHES_INTERFACES: Same<Writable<EnvironmentConfig>, z.infer<typeof environmentSchema>> = true;

/**
 * Validates one environment's configuration and returns it unchanged.
 *
 * Checks each field's type and range, then the cross-field facts: one subnet CIDR per AZ in each
 * list, every subnet inside the VPC and none overlapping, every AZ in the region, AZs distinct,
 * `lambdaAzCount` at most the number of AZs, reserved concurrency within the database's
 * connection limit, `maxAllocatedStorageGiB` 0 or above `allocatedStorageGiB`, an alert email only
 * when alerts are enabled.
 *
 * @throws UserError (`errors.invalidEnvironment`) listing every problem, each naming the field,
 *   the value received and what is allowed.
 */
export function validateEnvironmentConfig(input: unknown): EnvironmentConfig {
  const result = checkEnvironment(input);
  if ('problems' in result) throw errors.invalidEnvironment(result.environment, result.problems);
  return result.config;
}

/**
 * Validates every environment and returns them, so one synth reports the problems of all of them.
 *
 * @throws UserError (`errors.invalidEnvironments`) with the problems of every invalid environment.
 */
export function validateEnvironmentConfigs(inputs: readonly unknown[]): EnvironmentConfig[] {
  const results = inputs.map(checkEnvironment);
  const failures = results.filter((r): r is EnvironmentProblems => 'problems' in r);
  if (failures.length > 0) throw errors.invalidEnvironments(failures);
  return results.map((r) => (r as { config: EnvironmentConfig }).config);
}

interface EnvironmentProblems {
  readonly environment: string;
  readonly problems: readonly string[];
}

function checkEnvironment(input: unknown): { config: EnvironmentConfig } | EnvironmentProblems {
  const environment =
    typeof input === 'object' && input !== null && typeof (input as { environment?: unknown }).environment === 'string'
      ? (input as { environment: string }).environment
      : '<unnamed>';
  const parsed = environmentSchema.safeParse(input);
  if (!parsed.success) {
    return {
      environment,
      problems: parsed.error.issues.map((issue) => {
        const field = issue.path.join('.');
        if (issue.code === 'unrecognized_keys') {
          return `${field || '<root>'}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them or check the spelling`;
        }
        return invalidField(field, valueAt(input, issue.path), issue.message);
      }),
    };
  }
  const config: EnvironmentConfig = parsed.data;
  const problems = crossFieldProblems(config);
  return problems.length > 0 ? { environment, problems } : { config };
}

function crossFieldProblems(config: EnvironmentConfig): string[] {
  const problems: string[] = [];
  const { network, database, lambda } = config;

  if (config.seedNames) {
    const differing = namesDifferingFromSeed(config);
    if (differing.length > 0) {
      problems.push(
        invalidField(
          'seedNames',
          true,
          `false, or a configuration that gives the seed's names; here ${differing
            .map(({ entry, value }) => `${entry.what} would be "${value}" where the seed (step ${entry.seedStep}) has "${entry.seedValue}"`)
            .join('; ')}`,
        ),
      );
    }
  }
  problems.push(...secretRotationProblems(database.secretRotation, 'database.secretRotation'));
  const azCount = network.availabilityZones.length;

  network.availabilityZones.forEach((az, i) => {
    if (!az.startsWith(config.region)) {
      problems.push(invalidField(`network.availabilityZones.${i}`, az, `an AZ of region "${config.region}", such as "${config.region}a"`));
    }
  });
  if (new Set(network.availabilityZones).size !== azCount) {
    problems.push(invalidField('network.availabilityZones', network.availabilityZones, 'distinct AZ names'));
  }
  for (const list of ['privateSubnetCidrs', 'dataSubnetCidrs'] as const) {
    if (network[list].length !== azCount) {
      problems.push(invalidField(`network.${list}`, network[list], `exactly ${azCount} CIDR blocks, one per AZ in network.availabilityZones`));
    }
  }
  if (network.lambdaAzCount > azCount) {
    problems.push(invalidField('network.lambdaAzCount', network.lambdaAzCount, `an integer from 1 to ${azCount} (the number of AZs)`));
  }

  const vpc = ipaddr.IPv4.parseCIDR(network.vpcCidr);
  const subnets = [
    ...network.privateSubnetCidrs.map((c, i) => ({ field: `network.privateSubnetCidrs.${i}`, cidr: c })),
    ...network.dataSubnetCidrs.map((c, i) => ({ field: `network.dataSubnetCidrs.${i}`, cidr: c })),
  ];
  subnets.forEach((s, i) => {
    const range = ipaddr.IPv4.parseCIDR(s.cidr);
    if (range[1] > 28 || range[1] < 16) {
      problems.push(invalidField(s.field, s.cidr, 'a prefix length from /16 to /28 (the VPC subnet size limits)'));
    }
    if (range[1] < vpc[1] || !range[0].match(vpc)) {
      problems.push(invalidField(s.field, s.cidr, `a block inside the VPC CIDR ${network.vpcCidr}`));
    }
    for (const other of subnets.slice(i + 1)) {
      if (overlaps(range, ipaddr.IPv4.parseCIDR(other.cidr))) {
        problems.push(invalidField(s.field, s.cidr, `a block that does not overlap ${other.field} (${other.cidr})`));
      }
    }
  });

  if (database.maxAllocatedStorageGiB !== 0 && database.maxAllocatedStorageGiB <= database.allocatedStorageGiB) {
    problems.push(
      invalidField('database.maxAllocatedStorageGiB', database.maxAllocatedStorageGiB, `0 (no autoscaling) or more than database.allocatedStorageGiB (${database.allocatedStorageGiB})`),
    );
  }
  if (!(POSTGRES_MAJOR_VERSIONS as readonly number[]).includes(postgresMajorVersion(database))) {
    problems.push(invalidField('database.engineVersion', database.engineVersion, `a major version among ${POSTGRES_MAJOR_VERSIONS.join(', ')}`));
  }
  const pinsMinor = database.engineVersion.includes('.');
  if (pinsMinor && database.autoMinorVersionUpgrade) {
    problems.push(
      invalidField(
        'database.engineVersion',
        database.engineVersion,
        `a major version such as "${postgresMajorVersion(database)}" while database.autoMinorVersionUpgrade is true ` +
          '(RDS upgrades past a pinned minor, and every later plan proposes a downgrade that RDS refuses); ' +
          'pin a minor only with database.autoMinorVersionUpgrade false',
      ),
    );
  } else if (!pinsMinor && !database.autoMinorVersionUpgrade) {
    problems.push(
      invalidField(
        'database.autoMinorVersionUpgrade',
        database.autoMinorVersionUpgrade,
        `true with a major-only database.engineVersion ("${database.engineVersion}"), so the instance gets minor-version security fixes; ` +
          'to stay on one minor, pin it (such as "17.6") with autoMinorVersionUpgrade false',
      ),
    );
  }
  const memoryGiB = INSTANCE_CLASS_MEMORY_GIB[database.instanceClass];
  if (memoryGiB !== undefined && database.maxConnections > defaultMaxConnectionsCeiling(memoryGiB)) {
    problems.push(
      invalidField(
        'database.maxConnections',
        database.maxConnections,
        `at most ${defaultMaxConnectionsCeiling(memoryGiB)} for ${database.instanceClass} (${memoryGiB} GiB): RDS's default LEAST(DBInstanceClassMemory/9531392, 5000) on the whole memory; use what SHOW max_connections reports`,
      ),
    );
  }
  if (config.alerts.email !== null && !config.alerts.enabled) {
    problems.push(invalidField('alerts.email', config.alerts.email, 'null while alerts.enabled is false (there is no topic to subscribe to); set alerts.enabled to true or remove the address'));
  }
  const connectionBudget = maxLambdaConnections(database.maxConnections);
  if (lambda.reservedConcurrentExecutions !== null && lambda.reservedConcurrentExecutions > connectionBudget) {
    problems.push(
      invalidField(
        'lambda.reservedConcurrentExecutions',
        lambda.reservedConcurrentExecutions,
        `null or at most ${connectionBudget}: each container holds one connection, and database.maxConnections (${database.maxConnections}) keeps ${RESERVED_DB_CONNECTIONS} for RDS and operators`,
      ),
    );
  }
  return problems;
}

function overlaps(a: [ipaddr.IPv4, number], b: [ipaddr.IPv4, number]): boolean {
  return a[0].match(b) || b[0].match(a);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
