import * as ipaddr from 'ipaddr.js';
// A namespace import, whose uses esbuild can tree-shake: `import { z }` kept all of zod's 40-odd
// locales (300 KB, an eighth of synth.js's app bundle) where only English is used.
import * as z from 'zod';
import { INSTANCE_CLASS_MEMORY_GIB, RESERVED_DB_CONNECTIONS, defaultMaxConnectionsCeiling, maxLambdaConnections, postgresMajorVersion } from './derived';
import { errors, invalidField, reasonProblem } from './errors';
import { namesDifferingFromSeed } from './names';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ACTION_SPECS } from '../lambda-src/actions';
import { DATABASE_AUTH_MODES } from '../lambda-src/environment';
import { loadMigrations, rolesCreated } from '../lambda-src/migration-files';
import { CI_ACCESS_STACK_PREFIX } from './ci';
import { MIGRATION_FUNCTION_NAME } from './names';
import { REGIONS, REGION_CODES } from './regions';
import { AUTOMATICALLY_AFTER_DAYS, secretRotationProblems } from './rotation';
import { BUCKET_NAME_RULES, KEY_PREFIX_RULES, STATE_BOOTSTRAP_STACK, isValidBucketName, isValidKeyPrefix, stateBootstrapStackName } from './state-backend';
import {
  BOOTSTRAP_BACKENDS,
  LAMBDA_RUNTIMES,
  LOG_RETENTION_DAYS,
  POSTGRES_MAJOR_VERSIONS,
  PROFILE_NAMES,
  SECRET_ACCESS_MODES,
  type EnvironmentConfig,
  type ValidatedEnvironmentConfig,
} from './types';


/** The project root, which function entries are relative to. */
const PROJECT_ROOT = path.resolve(__dirname, '..');

const cidr = z
  .string()
  .refine((v) => ipaddr.IPv4.isValidCIDR(v), { error: 'an IPv4 CIDR block such as "10.0.0.0/16"' })
  .refine((v) => !ipaddr.IPv4.isValidCIDR(v) || ipaddr.IPv4.networkAddressFromCIDR(v).toString() === v.split('/')[0], {
    error: 'a CIDR block with no host bits set: its address must be the network address, as AWS requires',
  });

/**
 * The account ids of AWS's documentation examples, which a shipped configuration may carry as a
 * placeholder: synth says so until they are replaced (stacks/app.ts).
 */
export const EXAMPLE_ACCOUNT_IDS: readonly string[] = ['111122223333', '123456789012'];

const ACCOUNT_ID = /^\d{12}$/;
const ACCOUNT_ALLOWED = 'null (not pinned) or an AWS account id of 12 digits, as a string such as "111122223333"';
/** IAM role names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html */
const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const ROLE_ARN_ALLOWED = 'null, or an IAM role ARN such as "arn:aws:iam::111122223333:role/workshop-backend-deploy"';
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const waiverSchema = z
  .object({
    ruleId: z.string().regex(/^WB-[A-Z0-9]+(-[A-Z0-9]+)*$/, { error: 'a policy rule id such as "WB-RDS-MULTI-AZ" (docs/security.md lists them)' }),
    reason: z.string().refine((v) => reasonProblem(v) === undefined, {
      error: 'at least one full sentence (20+ characters, 4+ words, ending with a period) saying why, and who accepted it',
    }),
    expires: z
      .string()
      .refine((v) => ISO_DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), {
        error: 'a date "YYYY-MM-DD" (UTC), the last day the waiver holds',
      }),
  })
  .strict();
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
    instanceClass: z.string().refine((v) => Object.prototype.hasOwnProperty.call(INSTANCE_CLASS_MEMORY_GIB, v), {
      error: `a DB instance class RDS for PostgreSQL supports, one of the table INSTANCE_CLASS_MEMORY_GIB (config/derived.ts): ${Object.keys(INSTANCE_CLASS_MEMORY_GIB).join(', ')}`,
    }),
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
    logRetentionDays: retentionDays,
    tracingMode: oneOf(['Active', 'PassThrough'] as const),
    secretAccess: oneOf(SECRET_ACCESS_MODES),
  })
  .strict();

const ACTION_NAMES = Object.keys(ACTION_SPECS) as [string, ...string[]];

/** A PostgreSQL role name the migrations may create: lower case, unquoted, at most 63 bytes (NAMEDATALEN - 1). */
const DATABASE_ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

const functionSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,22}[a-z0-9]$/, { error: '2 to 24 lowercase letters, digits or hyphens, starting with a letter, such as "reports"' })
      .refine((v) => v !== MIGRATION_FUNCTION_NAME, { error: `any name but "${MIGRATION_FUNCTION_NAME}", the migration function's` }),
    entry: z
      .string()
      .regex(/^lambda-src\/[A-Za-z0-9_/-]+\.ts$/, { error: 'a TypeScript module under lambda-src/ that exports `handler`, such as "lambda-src/handler.ts"' })
      .refine((v) => !/^lambda-src\/.*\.ts$/.test(v) || existsSync(path.join(PROJECT_ROOT, v)), { error: 'a file that exists, relative to the project root' }),
    actions: z.array(oneOf(ACTION_NAMES)).min(1, { error: `at least one action of ${ACTION_NAMES.join(', ')}` }),
    databaseAuth: oneOf(DATABASE_AUTH_MODES),
    databaseRole: z.union([z.string().regex(DATABASE_ROLE, { error: 'a PostgreSQL role name: lowercase letters, digits and underscores, at most 63' }), z.null()], {
      error: 'null (with databaseAuth "master-secret") or a PostgreSQL role a migration creates',
    }),
    memorySizeMiB: intRange(128, 10240, ' (Lambda memory limits)'),
    timeoutSeconds: intRange(3, 900, ' (Lambda maximum is 900; below 3 the Secrets Manager and database timeouts cannot fit)'),
    reservedConcurrentExecutions: z.union([intRange(1, 1000), z.null()], {
      error: 'null (unreserved) or an integer from 1 to 1000',
    }),
  })
  .strict();

const migrationsSchema = z
  .object({
    enabled: z.boolean(),
    memorySizeMiB: intRange(128, 10240, ' (Lambda memory limits)'),
    timeoutSeconds: intRange(10, 900, ' (Lambda maximum is 900)'),
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

const region = z.string().refine((v) => Object.prototype.hasOwnProperty.call(REGIONS, v), {
  error: `an AWS Region of the table in config/regions.ts: ${REGION_CODES.join(', ')}`,
});

const STATE_BACKEND_ALLOWED = 'null (the TF_STATE_* variables decide), or { bucket, region, keyPrefix?, bootstrapBackend? }';
const stateBackendSchema = z
  .object(
    {
      bucket: z.string({ error: BUCKET_NAME_RULES }).refine(isValidBucketName, { error: BUCKET_NAME_RULES }),
      region,
      keyPrefix: z.string({ error: KEY_PREFIX_RULES }).refine(isValidKeyPrefix, { error: KEY_PREFIX_RULES }),
      bootstrapBackend: oneOf(BOOTSTRAP_BACKENDS),
    },
    { error: STATE_BACKEND_ALLOWED },
  )
  .strict()
  .nullable();

/**
 * Stack ids the app gives stacks other than the environments' (the state buckets', the CI roles'):
 * an environment named like one would collide with it.
 */
const RESERVED_STACK_NAMES = [STATE_BOOTSTRAP_STACK, `${STATE_BOOTSTRAP_STACK}-*`, `${CI_ACCESS_STACK_PREFIX}-*`];
const isReservedStackName = (name: string): boolean =>
  name === STATE_BOOTSTRAP_STACK || name.startsWith(`${STATE_BOOTSTRAP_STACK}-`) || name.startsWith(`${CI_ACCESS_STACK_PREFIX}-`);

/**
 * The zod schema of one environment, which {@link validateEnvironmentConfig} applies before the
 * cross-field checks. Exported so a test can walk every option it accepts and synthesize each.
 */
export const environmentSchema = z
  .object({
    environment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,19}$/, {
        error: 'a lowercase stack name of 2 to 20 letters, digits or hyphens, such as "dev"',
      })
      .refine((v) => !isReservedStackName(v), {
        error: `a stack name other than those the app gives its own stacks: ${RESERVED_STACK_NAMES.map((n) => `"${n}"`).join(', ')}`,
      }),
    profile: oneOf(PROFILE_NAMES),
    region,
    account: z.union([z.string().regex(ACCOUNT_ID, { error: ACCOUNT_ALLOWED }), z.null()], { error: ACCOUNT_ALLOWED }),
    deployRoleArn: z.union([z.string().regex(ROLE_ARN, { error: ROLE_ARN_ALLOWED }), z.null()], { error: ROLE_ARN_ALLOWED }),
    waivers: z.array(waiverSchema),
    stateBackend: stateBackendSchema,
    namePrefix: z.string().regex(/^[a-z](?!.*--)[a-z0-9-]{1,23}[a-z0-9]$/, {
      error: '3 to 25 lowercase letters, digits or single hyphens, starting with a letter (RDS identifier rules)',
    }),
    seedNames: z.boolean(),
    customerManagedKey: z.boolean(),
    network: networkSchema,
    database: databaseSchema,
    lambda: lambdaSchema,
    functions: z.array(functionSchema).min(1, { error: 'at least one function' }),
    migrations: migrationsSchema,
    alerts: alertsSchema,
    tags: z.record(z.string(), z.string()),
  })
  .strict();

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
export function validateEnvironmentConfig(input: unknown, options: ValidationOptions = {}): ValidatedEnvironmentConfig {
  const result = checkEnvironment(input, options);
  if ('problems' in result) throw errors.invalidEnvironment(result.environment, result.problems);
  return result.config;
}

/**
 * Validates every environment and returns them, so one synth reports the problems of all of them.
 *
 * @throws UserError (`errors.invalidEnvironments`) with the problems of every invalid environment.
 */
export function validateEnvironmentConfigs(inputs: readonly unknown[], options: ValidationOptions = {}): ValidatedEnvironmentConfig[] {
  const results = inputs.map((input) => checkEnvironment(input, options));
  const failures = results.filter((r): r is EnvironmentProblems => 'problems' in r);
  const names = inputs.map(nameOf);
  const duplicates = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  if (duplicates.length > 0) {
    failures.push({
      environment: duplicates.join(', '),
      problems: duplicates.map((name) =>
        invalidField('environment', name, `a name no other environment has: ${names.filter((n) => n === name).length} environments are named "${name}", and each is one stack`),
      ),
    });
  }
  if (failures.length === 0) failures.push(...stateBucketProblems(results.map((r) => (r as { config: ValidatedEnvironmentConfig }).config)));
  if (failures.length > 0) throw errors.invalidEnvironments(failures);
  return results.map((r) => (r as { config: ValidatedEnvironmentConfig }).config);
}

/**
 * The state buckets the environments name, checked across environments: a bucket is in one account
 * and one Region, with one key prefix and one place for its bootstrap stack's state, since one
 * state-bootstrap stack creates it; and an account has one bucket, since that stack is named after
 * the account (`stateBootstrapStackName`, config/state-backend.ts).
 */
function stateBucketProblems(configs: readonly EnvironmentConfig[]): EnvironmentProblems[] {
  const firstByBucket = new Map<string, EnvironmentConfig>();
  const firstByAccount = new Map<string, EnvironmentConfig>();
  const out: EnvironmentProblems[] = [];
  for (const config of configs) {
    const backend = config.stateBackend;
    if (backend === null) continue;
    const problems: string[] = [];
    const first = firstByBucket.get(backend.bucket);
    if (first === undefined) {
      firstByBucket.set(backend.bucket, config);
      const other = config.account === null ? undefined : firstByAccount.get(config.account);
      if (other !== undefined) {
        problems.push(
          invalidField(
            'stateBackend.bucket',
            backend.bucket,
            `"${other.stateBackend?.bucket}", the bucket environment "${other.environment}" keeps its state in: account ${config.account} has one state bucket, created by its one ${stateBootstrapStackName(config)} stack`,
          ),
        );
      } else if (config.account !== null) {
        firstByAccount.set(config.account, config);
      }
    } else {
      const given = first.stateBackend!;
      if (first.account !== config.account) {
        problems.push(
          invalidField('account', config.account, `${JSON.stringify(first.account)}, the account of environment "${first.environment}", which keeps its state in the same bucket "${backend.bucket}": a bucket belongs to one account`),
        );
      }
      for (const field of ['region', 'keyPrefix', 'bootstrapBackend'] as const) {
        if (backend[field] !== given[field]) {
          problems.push(
            invalidField(
              `stateBackend.${field}`,
              backend[field],
              `${JSON.stringify(given[field])}, as environment "${first.environment}" gives it for the same bucket "${backend.bucket}": every environment that names a bucket gives it the same settings`,
            ),
          );
        }
      }
    }
    if (problems.length > 0) out.push({ environment: config.environment, problems });
  }
  return out;
}

/** Options of {@link validateEnvironmentConfigs}. */
export interface ValidationOptions {
  /**
   * Today, `YYYY-MM-DD` (UTC), against which waivers' `expires` dates are checked.
   * @default - the current date
   */
  readonly today?: string;
}

function nameOf(input: unknown): string {
  return typeof input === 'object' && input !== null && typeof (input as { environment?: unknown }).environment === 'string'
    ? (input as { environment: string }).environment
    : '<unnamed>';
}

interface EnvironmentProblems {
  readonly environment: string;
  readonly problems: readonly string[];
}

function checkEnvironment(input: unknown, options: ValidationOptions): { config: ValidatedEnvironmentConfig } | EnvironmentProblems {
  const environment = nameOf(input);
  const profile = (input as { profile?: unknown } | null)?.profile;
  if (!(PROFILE_NAMES as readonly unknown[]).includes(profile)) {
    // Without a profile there are no settings: report that alone, not every field it would have given.
    return { environment, problems: [invalidField('profile', profile, `one of ${PROFILE_NAMES.map((p) => `"${p}"`).join(', ')} (config/profiles.ts)`)] };
  }
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
  const problems = crossFieldProblems(config, options.today ?? new Date().toISOString().slice(0, 10));
  return problems.length > 0 ? { environment, problems } : { config: config as ValidatedEnvironmentConfig };
}

function crossFieldProblems(config: EnvironmentConfig, today: string): string[] {
  const problems: string[] = [];
  const { network, database } = config;

  if (config.profile === 'production' && config.account === null) {
    problems.push(
      invalidField('account', null, 'the 12-digit id of the AWS account this environment deploys to: the production profile pins every stack to its account (allowed_account_ids)'),
    );
  }
  const roleAccount = config.deployRoleArn?.split(':')[4];
  if (roleAccount !== undefined && config.account !== null && roleAccount !== config.account) {
    problems.push(invalidField('deployRoleArn', config.deployRoleArn, `a role in the environment's account ${config.account}`));
  }
  config.waivers.forEach((waiver, i) => {
    if (waiver.expires < today) {
      problems.push(
        invalidField(`waivers.${i}.expires`, waiver.expires, `a date from today (${today}) on: the waiver of ${waiver.ruleId} has expired; renew it with a new reason and date, or remove it and comply`),
      );
    }
  });

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

  const regionAzs = REGIONS[config.region].availabilityZones;
  network.availabilityZones.forEach((az, i) => {
    if (!regionAzs.includes(az)) {
      problems.push(invalidField(`network.availabilityZones.${i}`, az, `an AZ of region "${config.region}" (config/regions.ts): ${regionAzs.join(', ')}`));
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
  problems.push(...functionProblems(config, connectionBudget));
  return problems;
}

/**
 * The functions' cross-field problems: unique names; a database role exactly with `iam`, created
 * by a migration, never the master user, used by no other function, and migrations enabled to
 * create it; each action once; reservations that together fit the database's connections.
 */
function functionProblems(config: EnvironmentConfig, connectionBudget: number): string[] {
  const { functions, database, migrations } = config;
  const problems: string[] = [];
  let roles: string[] = [];
  try {
    roles = rolesCreated(loadMigrations());
  } catch (error) {
    // A misnamed migration file: reported with the rest, before anything is built.
    problems.push(`lambda-src/migrations/: ${(error as Error).message}`);
  }
  functions.forEach((fn, i) => {
    const field = (name: string) => `functions.${i}.${name}`;
    const holder = functions.findIndex((other) => other.name === fn.name);
    if (holder < i) problems.push(invalidField(field('name'), fn.name, `a name no other function of the environment has (functions.${holder} has it)`));
    if (fn.databaseAuth === 'master-secret' && fn.databaseRole !== null) {
      problems.push(invalidField(field('databaseRole'), fn.databaseRole, `null with databaseAuth "master-secret", which logs in as the master user (${database.masterUsername}); or set databaseAuth "iam"`));
    }
    if (fn.databaseAuth === 'iam') {
      if (fn.databaseRole === null || !roles.includes(fn.databaseRole)) {
        problems.push(
          invalidField(field('databaseRole'), fn.databaseRole, `with databaseAuth "iam", a role a migration of lambda-src/migrations/ creates: ${roles.join(', ') || 'none yet'} (add a migration to create another)`),
        );
      } else if (fn.databaseRole === database.masterUsername.toLowerCase()) {
        problems.push(invalidField(field('databaseRole'), fn.databaseRole, `a role other than the master user (database.masterUsername)`));
      }
      const sharing = functions.findIndex((other, j) => j < i && other.databaseAuth === 'iam' && other.databaseRole === fn.databaseRole);
      if (fn.databaseRole !== null && sharing !== -1) {
        problems.push(invalidField(field('databaseRole'), fn.databaseRole, `a role no other function logs in as (functions.${sharing} does): each function gets its own role, with only the grants its actions need`));
      }
      if (!migrations.enabled) {
        problems.push(invalidField('migrations.enabled', migrations.enabled, `true: functions.${i} ("${fn.name}") logs in as "${fn.databaseRole}", a role the migrations create`));
      }
    }
    if (new Set(fn.actions).size !== fn.actions.length) problems.push(invalidField(field('actions'), fn.actions, 'each action at most once'));
  });
  if (config.lambda.secretAccess === 'SecretsManagerReadWrite' && !functions.some((fn) => fn.databaseAuth === 'master-secret')) {
    problems.push(
      invalidField('lambda.secretAccess', config.lambda.secretAccess, '"least-privilege" while no function has databaseAuth "master-secret": the seed\'s policy is for a function that reads the master secret, and the migration function always gets the least-privilege one'),
    );
  }
  const reserved = functions.reduce((sum, fn) => sum + (fn.reservedConcurrentExecutions ?? 0), 0);
  if (reserved > connectionBudget) {
    // One function: its own field and value; several: the list, and what the reservations add up to.
    const one = functions.length === 1;
    problems.push(
      invalidField(
        one ? 'functions.0.reservedConcurrentExecutions' : 'functions.*.reservedConcurrentExecutions',
        one ? reserved : functions.map((fn) => fn.reservedConcurrentExecutions),
        `${one ? 'null or at most' : 'reservations that add up to at most'} ${connectionBudget}${one ? '' : ` (they add up to ${reserved})`}: each container holds one connection, and database.maxConnections (${database.maxConnections}) keeps ${RESERVED_DB_CONNECTIONS} for RDS, operators and the migration function`,
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
