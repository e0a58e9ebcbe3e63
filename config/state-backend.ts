import { errors, invalidField } from './errors';
import { BOOTSTRAP_BACKENDS, type EnvironmentConfig, type StateBackendConfig } from './types';

export { BOOTSTRAP_BACKENDS };

/**
 * The environment variables that configure the shared state backend. `main.ts` reads them once
 * and passes the result of {@link stateBackendSettingsFromEnv} to {@link configureStateBackend}.
 */
export const STATE_BACKEND_ENV = {
  bucket: 'TF_STATE_BUCKET',
  region: 'TF_STATE_REGION',
  keyPrefix: 'TF_STATE_KEY_PREFIX',
  dynamodbTable: 'TF_STATE_DYNAMODB_TABLE',
  bootstrapBackend: 'TF_STATE_BOOTSTRAP_BACKEND',
} as const;

/** The key prefix used when `TF_STATE_KEY_PREFIX` is not set. */
export const DEFAULT_STATE_KEY_PREFIX = 'workshop-backend';

/** Validated settings of the shared S3 state backend. */
export interface StateBackendSettings {
  /** The state bucket's name (S3 bucket naming rules: 3 to 63 characters). */
  readonly bucket: string;
  /** The bucket's AWS Region, such as `eu-west-1`. */
  readonly region: string;
  /**
   * The first part of every state key: stack `dev` keeps its state at
   * `<keyPrefix>/dev/terraform.tfstate`.
   * @default 'workshop-backend'
   */
  readonly keyPrefix: string;
  /**
   * A DynamoDB table for the deprecated DynamoDB state lock, used in addition to the S3-native
   * lock file. Only for teams still migrating from DynamoDB locking.
   * @default - no DynamoDB table; the S3 lock file (`use_lockfile`) alone locks the state
   */
  readonly dynamodbTable?: string;
  /**
   * Where the state-bootstrap stack keeps its own state: `local` (a file in the project folder)
   * until the bucket exists, then `s3` to move it into the bucket with `terraform init -migrate-state`.
   * @default 'local'
   */
  readonly bootstrapBackend: (typeof BOOTSTRAP_BACKENDS)[number];
}

/**
 * S3 bucket naming rules for general purpose buckets.
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export const BUCKET_NAME_RULES =
  '3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, ' +
  'no "..", not an IP address, not starting with "xn--", "sthree-" or "amzn-s3-demo-", ' +
  'not ending with "-s3alias", "--ol-s3", ".mrap" or "--x-s3"';

/** True when `name` follows {@link BUCKET_NAME_RULES}. */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d{1,3}(\.\d{1,3}){3}$/.test(name) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(name) &&
    !/(-s3alias|--ol-s3|\.mrap|--x-s3)$/.test(name)
  );
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** What a state key prefix may be, for messages. */
export const KEY_PREFIX_RULES =
  'up to 512 characters of path segments made of letters, digits, "_", "." and "-", joined by "/", ' +
  `with no leading or trailing "/" and no "." or ".." segment (default "${DEFAULT_STATE_KEY_PREFIX}")`;

/** True when `prefix` follows {@link KEY_PREFIX_RULES}. */
export function isValidKeyPrefix(prefix: string): boolean {
  return KEY_PREFIX_PATTERN.test(prefix) && prefix.length <= 512 && !prefix.split('/').some((segment) => segment === '.' || segment === '..');
}
/** Source: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html */
const DYNAMODB_TABLE_PATTERN = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * Reads and validates the state backend settings from environment variables.
 *
 * Returns `undefined` when none of the `TF_STATE_*` variables is set: the stacks then keep local
 * state. When `TF_STATE_BUCKET` is set, `TF_STATE_REGION` is required too. A pure function: it
 * reads only the `env` it is given.
 *
 * @throws UserError (`errors.invalidStateBackend`) listing every invalid variable with its value and what is allowed.
 */
export function stateBackendSettingsFromEnv(env: NodeJS.ProcessEnv): StateBackendSettings | undefined {
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const bucket = read(STATE_BACKEND_ENV.bucket);
  const region = read(STATE_BACKEND_ENV.region);
  const keyPrefix = read(STATE_BACKEND_ENV.keyPrefix);
  const dynamodbTable = read(STATE_BACKEND_ENV.dynamodbTable);
  const bootstrapBackend = read(STATE_BACKEND_ENV.bootstrapBackend);

  const problems: string[] = [];
  if (bucket === undefined) {
    const stray = Object.values(STATE_BACKEND_ENV).filter((name) => read(name) !== undefined);
    if (stray.length === 0) return undefined;
    problems.push(
      invalidField(
        STATE_BACKEND_ENV.bucket,
        undefined,
        `a bucket name whenever ${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set; ` +
          `set ${STATE_BACKEND_ENV.bucket}, or unset ${stray.join(', ')} to keep local state`,
      ),
    );
  } else if (!isValidBucketName(bucket)) {
    problems.push(invalidField(STATE_BACKEND_ENV.bucket, bucket, BUCKET_NAME_RULES));
  }
  if (region === undefined || !REGION_PATTERN.test(region)) {
    problems.push(
      invalidField(
        STATE_BACKEND_ENV.region,
        region,
        'the AWS Region of the state bucket, such as "eu-west-1" or "us-gov-west-1" (required with TF_STATE_BUCKET)',
      ),
    );
  }
  if (keyPrefix !== undefined && !isValidKeyPrefix(keyPrefix)) {
    problems.push(invalidField(STATE_BACKEND_ENV.keyPrefix, keyPrefix, KEY_PREFIX_RULES));
  }
  if (dynamodbTable !== undefined && !DYNAMODB_TABLE_PATTERN.test(dynamodbTable)) {
    problems.push(
      invalidField(
        STATE_BACKEND_ENV.dynamodbTable,
        dynamodbTable,
        'a DynamoDB table name (3 to 255 letters, digits, "_", "." and "-"), or unset it to lock with the S3 lock file alone',
      ),
    );
  }
  if (bootstrapBackend !== undefined && !(BOOTSTRAP_BACKENDS as readonly string[]).includes(bootstrapBackend)) {
    problems.push(
      invalidField(STATE_BACKEND_ENV.bootstrapBackend, bootstrapBackend, `one of ${BOOTSTRAP_BACKENDS.map((b) => `"${b}"`).join(', ')} (default "local")`),
    );
  }
  if (problems.length > 0 || bucket === undefined || region === undefined) {
    throw errors.invalidStateBackend(problems);
  }
  return {
    bucket,
    region,
    keyPrefix: keyPrefix ?? DEFAULT_STATE_KEY_PREFIX,
    ...(dynamodbTable === undefined ? {} : { dynamodbTable }),
    bootstrapBackend: (bootstrapBackend as StateBackendSettings['bootstrapBackend'] | undefined) ?? 'local',
  };
}

/**
 * The id of the state-bootstrap stack that creates the `TF_STATE_BUCKET` bucket. Unchanged since the
 * first release, so its state address never moves.
 */
export const STATE_BOOTSTRAP_STACK = 'state-bootstrap';

/**
 * The id of the state-bootstrap stack of an environment's own bucket (`stateBackend`):
 * `state-bootstrap-<account>`, or `state-bootstrap-<environment>` for the first environment naming
 * the bucket when it is not pinned to an account. One bucket per account keeps the name unique.
 */
export function stateBootstrapStackName(owner: { readonly account: string | null; readonly environment: string }): string {
  return `${STATE_BOOTSTRAP_STACK}-${owner.account ?? owner.environment}`;
}

/**
 * The backend an environment's stack uses: its own {@link StateBackendConfig} when it has one, else
 * the `TF_STATE_*` settings (`fallback`), else `undefined` (local state).
 */
export function stateBackendOf(config: Pick<EnvironmentConfig, 'stateBackend'>, fallback: StateBackendSettings | undefined): StateBackendSettings | undefined {
  return config.stateBackend ?? fallback;
}

/** One state bucket that environments name in `stateBackend`, and the stack that creates it. */
export interface StateBucketOwner {
  /** The state-bootstrap stack's id: {@link stateBootstrapStackName}. */
  readonly stackName: string;
  /** The account the bucket is in, as its environments give it (`null`: not pinned). */
  readonly account: string | null;
  /** The bucket's settings, as the first environment naming it gives them. */
  readonly settings: StateBackendConfig;
  /** The environments that keep their state in it, in configuration order. */
  readonly environments: readonly string[];
}

/**
 * The buckets of the environments' own state backends, one entry per bucket, in the order the
 * environments first name them. A bucket equal to `sharedBucket` (`TF_STATE_BUCKET`) is left out:
 * the `state-bootstrap` stack creates that one.
 */
export function stateBuckets(
  configs: readonly Pick<EnvironmentConfig, 'environment' | 'account' | 'stateBackend'>[],
  sharedBucket?: string,
): StateBucketOwner[] {
  const byBucket = new Map<string, { account: string | null; settings: StateBackendConfig; environments: string[]; first: string }>();
  for (const config of configs) {
    if (config.stateBackend === null || config.stateBackend.bucket === sharedBucket) continue;
    const entry = byBucket.get(config.stateBackend.bucket);
    if (entry) entry.environments.push(config.environment);
    else byBucket.set(config.stateBackend.bucket, { account: config.account, settings: config.stateBackend, environments: [config.environment], first: config.environment });
  }
  return [...byBucket.values()].map(({ account, settings, environments, first }) => ({
    stackName: stateBootstrapStackName({ account, environment: first }),
    account,
    settings,
    environments,
  }));
}
