/**
 * Every number this project derives from the configuration, computed here and nowhere else: the
 * database connection budget, the Lambda's derived timeouts and the alarm thresholds. The stacks,
 * the validation and the docs (`npm run docs`) all read them from this module.
 */
import { TUNING_VARIABLES } from '../lambda-src/config';
import type { DatabaseConfig, FunctionConfig } from './types';

/**
 * Memory of common RDS instance classes, in GiB, to bound `database.maxConnections`.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html
 */
export const INSTANCE_CLASS_MEMORY_GIB: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  const sizes = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };
  for (const family of ['t3', 't4g']) for (const [size, gib] of Object.entries(sizes)) table[`db.${family}.${size}`] = gib;
  for (const family of ['m5', 'm6g', 'm6i', 'm7g', 'm7i']) {
    Object.assign(table, { [`db.${family}.large`]: 8, [`db.${family}.xlarge`]: 16, [`db.${family}.2xlarge`]: 32, [`db.${family}.4xlarge`]: 64 });
  }
  for (const family of ['r5', 'r6g', 'r6i', 'r7g', 'r7i']) {
    Object.assign(table, { [`db.${family}.large`]: 16, [`db.${family}.xlarge`]: 32, [`db.${family}.2xlarge`]: 64, [`db.${family}.4xlarge`]: 128 });
  }
  return table;
})();

/**
 * The most connections RDS for PostgreSQL allows by default on `memoryGiB` of instance memory:
 * `LEAST(DBInstanceClassMemory / 9531392, 5000)`, taking the class's whole memory. The real
 * value is lower, since DBInstanceClassMemory excludes what the OS and RDS processes use
 * (`SHOW max_connections` on the instance tells).
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections
 */
export function defaultMaxConnectionsCeiling(memoryGiB: number): number {
  return Math.min(Math.floor((memoryGiB * 1024 ** 3) / 9531392), 5000);
}

/**
 * Connections kept free for RDS itself (`rdsadmin` and monitoring hold a few) and for operators
 * running psql during an incident, when sizing the Lambda's reserved concurrency.
 */
export const RESERVED_DB_CONNECTIONS = 10;

/**
 * The largest reserved concurrency the database can serve: `maxConnections` minus
 * {@link RESERVED_DB_CONNECTIONS}, since each warm Lambda container holds one connection.
 */
export function maxLambdaConnections(maxConnections: number): number {
  return Math.max(1, maxConnections - RESERVED_DB_CONNECTIONS);
}

/** The PostgreSQL major version of a config's `engineVersion` (`"17.6"` gives 17). */
export function postgresMajorVersion(database: DatabaseConfig): number {
  return Number(database.engineVersion.split('.')[0]);
}

/** The connection budget of one environment, in connections. */
export interface ConnectionBudget {
  /** The instance's `max_connections` (`database.maxConnections`). */
  readonly maxConnections: number;
  /** Kept free for RDS and operators: {@link RESERVED_DB_CONNECTIONS}. */
  readonly reservedForOperators: number;
  /** The most the Lambda may hold, one per warm container: the ceiling of reserved concurrency. */
  readonly lambdaMax: number;
  /** What the Lambda's reserved concurrency leaves for other clients; `null` when it is unreserved. */
  readonly leftOver: number | null;
  /**
   * Most sessions one instance of the handler holds at once, its pool's size (`DB_POOL_MAX_SESSIONS`):
   * the handler's default, at most `lambdaMax`. Standard Lambda runs one instance per container, one
   * invocation at a time, so each container holds one session and the rows above hold; Lambda Managed
   * Instances run one instance per worker thread (one per vCPU by default), each with several
   * invocations at once, so each worker thread may hold this many.
   */
  readonly sessionsPerHandler: number;
}

/**
 * The reserved concurrency of an environment's functions together, or `null` when any of them is
 * unreserved (and so may take every connection the budget has).
 */
export function totalReservedConcurrency(functions: readonly Pick<FunctionConfig, 'reservedConcurrentExecutions'>[]): number | null {
  let total = 0;
  for (const fn of functions) {
    if (fn.reservedConcurrentExecutions === null) return null;
    total += fn.reservedConcurrentExecutions;
  }
  return total;
}

/**
 * The connection budget of a database and the functions' reserved concurrency. The migration
 * function's one session, held only while Terraform applies, counts among the
 * {@link RESERVED_DB_CONNECTIONS}.
 * @param reservedConcurrentExecutions the functions' reserved concurrency together ({@link totalReservedConcurrency}), or `null` when unreserved
 */
export function connectionBudget(database: DatabaseConfig, reservedConcurrentExecutions: number | null): ConnectionBudget {
  const lambdaMax = maxLambdaConnections(database.maxConnections);
  return {
    maxConnections: database.maxConnections,
    reservedForOperators: RESERVED_DB_CONNECTIONS,
    lambdaMax,
    leftOver: reservedConcurrentExecutions === null ? null : lambdaMax - reservedConcurrentExecutions,
    sessionsPerHandler: Math.min(TUNING_VARIABLES.dbPoolMaxSessions.defaultValue, lambdaMax),
  };
}

/**
 * The Lambda's waits, in milliseconds, derived from its timeout: each is a tenth of the function
 * timeout, capped. The longest path of an invocation, a rotation caught by 28P01, is two secret
 * fetches (connect + request each), two connects and a query: at timeout/10 each that is 7/10 of
 * the function timeout, so a missing endpoint or an unreachable database surfaces as a named error,
 * not as a Lambda timeout.
 */
export interface LambdaTimeouts {
  /** TCP connect to Secrets Manager: timeout/10, at most 1000 ms. */
  readonly secretsManagerConnectTimeoutMillis: number;
  /** One Secrets Manager request: timeout/10, at most 3000 ms. */
  readonly secretsManagerRequestTimeoutMillis: number;
  /** Opening a PostgreSQL session: timeout/10, at most 3000 ms. */
  readonly dbConnectTimeoutMillis: number;
  /**
   * One query, the server's `statement_timeout`: timeout/10, at most 3000 ms. The client waits a
   * tenth longer (100 ms to 1 s, `clientQueryTimeoutMillis` in lambda-src/db.ts), so the server
   * cancels first and the session survives.
   */
  readonly dbQueryTimeoutMillis: number;
}

/** The waits of a Lambda whose timeout is `timeoutSeconds`; see {@link LambdaTimeouts}. */
export function lambdaTimeouts(timeoutSeconds: number): LambdaTimeouts {
  const tenth = (timeoutSeconds * 1000) / 10;
  return {
    secretsManagerConnectTimeoutMillis: Math.min(1000, tenth),
    secretsManagerRequestTimeoutMillis: Math.min(3000, tenth),
    dbConnectTimeoutMillis: Math.min(3000, tenth),
    dbQueryTimeoutMillis: Math.min(3000, tenth),
  };
}

/** The longest path of one invocation, in milliseconds: two secret fetches, two connects, a query. */
export function longestInvocationPathMillis(timeouts: LambdaTimeouts): number {
  const fetch = timeouts.secretsManagerConnectTimeoutMillis + timeouts.secretsManagerRequestTimeoutMillis;
  return 2 * fetch + 2 * timeouts.dbConnectTimeoutMillis + timeouts.dbQueryTimeoutMillis;
}

/** Length of every alarm's evaluation period, in seconds (standard resolution, the cheapest). */
export const ALARM_PERIOD_SECONDS = 300;

/** Share of a hard limit (timeout, concurrency, connections) at which an alarm fires: 80%. */
export const ALARM_LIMIT_FRACTION = 0.8;

/** Share of storage or memory left at which an alarm fires: 10%. */
export const ALARM_FREE_FRACTION = 0.1;

/** RDS CPUUtilization (Average, percent) at which the CPU alarm fires. */
export const DB_CPU_ALARM_PERCENT = 80;

/**
 * FreeableMemory floor for an instance class missing from {@link INSTANCE_CLASS_MEMORY_GIB}, in
 * bytes (128 MiB): below it PostgreSQL starts to swap on the smallest classes.
 */
export const FREEABLE_MEMORY_FLOOR_BYTES = 128 * 1024 ** 2;

/**
 * The threshold of every alarm of stacks/constructs/alarms.ts, derived from the configuration.
 * Lambda alarms compare against the function's own limits, RDS alarms against the instance's.
 */
export interface AlarmThresholds {
  /** Lambda `Errors`, Sum per period: fires at this many or more (1: any failed invocation). */
  readonly lambdaErrors: number;
  /** Lambda `Throttles`, Sum per period: fires at this many or more (1: any throttled request). */
  readonly lambdaThrottles: number;
  /** Lambda `Duration` p99, in milliseconds: {@link ALARM_LIMIT_FRACTION} of the function timeout. */
  readonly lambdaDurationP99Millis: number;
  /**
   * Lambda `ConcurrentExecutions`, Maximum: {@link ALARM_LIMIT_FRACTION} of the reserved
   * concurrency, or of the database connection budget (`lambdaMax`) when unreserved, since each
   * container holds one connection.
   */
  readonly lambdaConcurrentExecutions: number;
  /** RDS `CPUUtilization`, Average, in percent: {@link DB_CPU_ALARM_PERCENT}. */
  readonly dbCpuUtilizationPercent: number;
  /**
   * RDS `FreeStorageSpace`, Minimum, in bytes: {@link ALARM_FREE_FRACTION} of `allocatedStorageGiB`.
   * With storage autoscaling RDS grows the volume at the same 10% of the current size, so the alarm
   * says the growth did not keep up or reached `maxAllocatedStorageGiB`.
   */
  readonly dbFreeStorageBytes: number;
  /**
   * RDS `FreeableMemory`, Minimum, in bytes: {@link ALARM_FREE_FRACTION} of the class's memory
   * ({@link INSTANCE_CLASS_MEMORY_GIB}), or {@link FREEABLE_MEMORY_FLOOR_BYTES} for other classes.
   */
  readonly dbFreeableMemoryBytes: number;
  /**
   * RDS `DatabaseConnections`, Maximum: {@link ALARM_LIMIT_FRACTION} of the connection budget's
   * `lambdaMax` (`maxConnections` less {@link RESERVED_DB_CONNECTIONS}).
   */
  readonly dbConnections: number;
}

/**
 * The alarm thresholds of one function and the database; see {@link AlarmThresholds}.
 * @param fn the function's timeout and reserved concurrency (a `FunctionConfig`, or the migration function's)
 */
export function alarmThresholds(database: DatabaseConfig, fn: Pick<FunctionConfig, 'timeoutSeconds' | 'reservedConcurrentExecutions'>): AlarmThresholds {
  const budget = connectionBudget(database, fn.reservedConcurrentExecutions);
  const memoryGiB = INSTANCE_CLASS_MEMORY_GIB[database.instanceClass];
  const ofLimit = (limit: number) => Math.max(1, Math.floor(ALARM_LIMIT_FRACTION * limit));
  return {
    lambdaErrors: 1,
    lambdaThrottles: 1,
    lambdaDurationP99Millis: Math.floor(ALARM_LIMIT_FRACTION * fn.timeoutSeconds * 1000),
    lambdaConcurrentExecutions: ofLimit(fn.reservedConcurrentExecutions ?? budget.lambdaMax),
    dbCpuUtilizationPercent: DB_CPU_ALARM_PERCENT,
    dbFreeStorageBytes: Math.floor(ALARM_FREE_FRACTION * database.allocatedStorageGiB * 1024 ** 3),
    dbFreeableMemoryBytes:
      memoryGiB === undefined ? FREEABLE_MEMORY_FLOOR_BYTES : Math.floor(ALARM_FREE_FRACTION * memoryGiB * 1024 ** 3),
    dbConnections: ofLimit(budget.lambdaMax),
  };
}

/**
 * The first RDS for PostgreSQL major version whose default parameter group sets `rds.force_ssl`
 * to 1: from PostgreSQL 15 on, RDS refuses unencrypted connections by default.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
 * ("The default value of the rds.force_ssl parameter is 1 (on) for RDS for PostgreSQL version 15 and later").
 */
export const FORCE_SSL_DEFAULT_ON_FROM_MAJOR = 15;

/**
 * The engine default of `rds.force_ssl` in the parameter group family `postgres<major>`: `'1'` from
 * {@link FORCE_SSL_DEFAULT_ON_FROM_MAJOR} on, `'0'` before. The database sets the parameter only
 * where the default is `'0'` (docs/day-2.md, "rds.force_ssl: the evidence").
 */
export function forceSslEngineDefault(major: number): '0' | '1' {
  return major >= FORCE_SSL_DEFAULT_ON_FROM_MAJOR ? '1' : '0';
}

/** The PostgreSQL major version of a parameter group family: `postgres17` gives 17, other families undefined. */
export function postgresFamilyMajor(family: string): number | undefined {
  const match = /^postgres(\d+)$/.exec(family);
  return match ? Number(match[1]) : undefined;
}
