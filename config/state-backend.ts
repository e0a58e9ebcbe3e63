import { errors, invalidField } from './errors';

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

/** Where the state-bootstrap stack keeps its own state: see {@link StateBackendSettings.bootstrapBackend}. */
export const BOOTSTRAP_BACKENDS = ['local', 's3'] as const;

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
const BUCKET_NAME_RULES =
  '3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, ' +
  'no "..", not an IP address, not starting with "xn--", "sthree-" or "amzn-s3-demo-", ' +
  'not ending with "-s3alias", "--ol-s3", ".mrap" or "--x-s3"';

function isValidBucketName(name: string): boolean {
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
  if (keyPrefix !== undefined && (!KEY_PREFIX_PATTERN.test(keyPrefix) || keyPrefix.length > 512 ||
      keyPrefix.split('/').some((segment) => segment === '.' || segment === '..'))) {
    problems.push(
      invalidField(
        STATE_BACKEND_ENV.keyPrefix,
        keyPrefix,
        'up to 512 characters of path segments made of letters, digits, "_", "." and "-", joined by "/", ' +
          `with no leading or trailing "/" and no "." or ".." segment (default "${DEFAULT_STATE_KEY_PREFIX}")`,
      ),
    );
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
