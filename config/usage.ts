/**
 * The usage `npm run cost` assumes for each profile (config/profiles.ts): what the synthesized JSON
 * cannot say (traffic, log volume, data processed). Every environment gets the assumptions of its
 * profile, so a new environment needs no entry here. Change the numbers here, or override one for a
 * run with `npm run cost -- --usage invocationsPerMonth=5000000`.
 */
import type { ProfileName } from './types';

/** Monthly usage of one environment. Every field is a non-negative number. */
export interface UsageAssumptions {
  /** Lambda invocations a month, of each function callers invoke (the migration function runs only on apply, and is not priced). */
  readonly invocationsPerMonth: number;
  /** Average billed duration of one invocation, in milliseconds. */
  readonly averageDurationMillis: number;
  /**
   * Secrets Manager API calls a month. The function caches the secret for SECRET_CACHE_TTL_SECONDS
   * (300 s by default) per warm container, so this is about warm containers × 8,760 at steady load.
   */
  readonly secretsApiCallsPerMonth: number;
  /** Data through the Secrets Manager endpoint a month, in GB (a GetSecretValue is a few KB). */
  readonly endpointGbPerMonth: number;
  /** What one invocation writes to its log group (the START, END and REPORT lines and the handler's line), in bytes. */
  readonly lambdaLogBytesPerInvocation: number;
  /** PostgreSQL log (the `postgresql` and `upgrade` exports together) a month, in GB. */
  readonly databaseLogGbPerMonth: number;
  /** VPC flow log records a month, in GB; depends on the traffic type recorded (REJECT or ALL). */
  readonly flowLogGbPerMonth: number;
  /** Backup storage beyond the free allowance (100% of the provisioned storage), in GB-months. */
  readonly backupGbBeyondFree: number;
  /** Requests to the customer-managed KMS key a month (secret reads, log batches, Lambda cold starts). */
  readonly kmsRequestsPerMonth: number;
  /** Notifications a month: alarm state changes and rotation failures, each one publish and one email. */
  readonly alertNotificationsPerMonth: number;
}

/** The names of the assumptions, for overrides and messages. */
export const USAGE_FIELDS = [
  'invocationsPerMonth',
  'averageDurationMillis',
  'secretsApiCallsPerMonth',
  'endpointGbPerMonth',
  'lambdaLogBytesPerInvocation',
  'databaseLogGbPerMonth',
  'flowLogGbPerMonth',
  'backupGbBeyondFree',
  'kmsRequestsPerMonth',
  'alertNotificationsPerMonth',
] as const satisfies readonly (keyof UsageAssumptions)[];

/** A workshop environment: a few people calling the function for a few hours, little else. */
const WORKSHOP: UsageAssumptions = {
  invocationsPerMonth: 10_000,
  averageDurationMillis: 200,
  secretsApiCallsPerMonth: 1_000,
  endpointGbPerMonth: 0.1,
  lambdaLogBytesPerInvocation: 1_024,
  databaseLogGbPerMonth: 0.1,
  flowLogGbPerMonth: 0.5,
  backupGbBeyondFree: 0,
  kmsRequestsPerMonth: 10_000,
  alertNotificationsPerMonth: 0,
};

/** A small production service: a million requests a month, about five warm containers all the time. */
const PRODUCTION: UsageAssumptions = {
  invocationsPerMonth: 1_000_000,
  averageDurationMillis: 200,
  secretsApiCallsPerMonth: 5 * 8_760,
  endpointGbPerMonth: 1,
  lambdaLogBytesPerInvocation: 1_024,
  databaseLogGbPerMonth: 1,
  flowLogGbPerMonth: 5,
  backupGbBeyondFree: 5,
  kmsRequestsPerMonth: 100_000,
  alertNotificationsPerMonth: 100,
};

/** Usage by profile: every environment of config/environments.ts gets its profile's. */
export const USAGE_BY_PROFILE: Readonly<Record<ProfileName, UsageAssumptions>> = { workshop: WORKSHOP, production: PRODUCTION };

/**
 * The usage of a stack that is not an environment (the state-bootstrap stack): it serves no
 * traffic, so only what it declares is priced.
 */
export const NO_USAGE: UsageAssumptions = Object.fromEntries(USAGE_FIELDS.map((field) => [field, 0])) as unknown as UsageAssumptions;
