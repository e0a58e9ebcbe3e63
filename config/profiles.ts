/**
 * The two profiles every environment is built from, and how an environment's definition becomes
 * its configuration: the profile's settings, with the environment's overrides applied. A profile's
 * settings depend only on the environment's own name and region (its default name prefix, tags and
 * AZs), never on another environment.
 */
import type { ActionName } from '../lambda-src/actions';
import { HANDLER_ENTRY, SEED_FUNCTION_NAME } from './names';
import { REGIONS } from './regions';
import { DEFAULT_STATE_KEY_PREFIX } from './state-backend';
import { DEFINITION_FIELDS, type DeepPartial, type EnvironmentConfig, type EnvironmentDefinition, type FunctionConfig, type FunctionDefinition, type ProfileName, type ProfileSettings, type StateBackendConfig } from './types';

/**
 * The seed's function, `<namePrefix>-lambda-db-health`: the handler of lambda-src/handler.ts with
 * the actions it had when it was the only function, and the environment's Lambda defaults. An action
 * added later reaches a function only when its `actions` list it (docs/lambda.md, "Adding an action").
 */
export const SEED_FUNCTION: FunctionDefinition = { name: SEED_FUNCTION_NAME, entry: HANDLER_ENTRY, actions: ['health', 'tables'] satisfies ActionName[] };

/** The environment's own values a profile may derive its settings from. */
interface Identity {
  readonly environment: string;
  readonly region: string;
}

/** The first `count` AZ names of `region` in config/regions.ts (none for a Region not in it). */
function firstAvailabilityZones(region: string, count: number): string[] {
  return [...(REGIONS[region]?.availabilityZones ?? [])].slice(0, count);
}

/**
 * The workshop as the seed builds it, at the lowest cost: one AZ for the Lambda, the endpoint and
 * a single-AZ `db.t4g.micro`, one endpoint ENI, AWS-managed keys, short log retention, a database
 * that `cdktf destroy` removes without a snapshot, no alarms, and the seed's rotation schedule of 7
 * days. The policy gate accepts what this profile turns off, each with a reason that names the
 * workshop profile (stacks/constructs/policy-exceptions.ts).
 */
function workshop({ environment, region }: Identity): ProfileSettings {
  return {
    namePrefix: `workshop-${environment}`,
    seedNames: false,
    customerManagedKey: false,
    network: {
      vpcCidr: '10.0.0.0/16',
      availabilityZones: firstAvailabilityZones(region, 2),
      // The VPC console's layout for 10.0.0.0/16: private1..private4 from 10.0.128.0/20 on.
      privateSubnetCidrs: ['10.0.128.0/20', '10.0.144.0/20'],
      dataSubnetCidrs: ['10.0.160.0/20', '10.0.176.0/20'],
      lambdaAzCount: 1,
      flowLogRetentionDays: 7,
      flowLogTrafficType: 'REJECT',
    },
    database: {
      engineVersion: '17',
      autoMinorVersionUpgrade: true,
      // Changes reach the instance when the reviewed plan is applied, not in a later maintenance
      // window that would leave every plan until then showing the same change (docs/day-2.md).
      applyImmediately: true,
      instanceClass: 'db.t4g.micro',
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 0,
      databaseName: 'workshop',
      masterUsername: 'workshop_admin',
      port: 5432,
      multiAz: false,
      deletionProtection: false,
      skipFinalSnapshot: true,
      backupRetentionDays: 7,
      performanceInsightsRetentionDays: 7,
      logRetentionDays: 14,
      // Below LEAST(1 GiB / 9531392, 5000) = 112: RDS keeps part of the memory for itself.
      maxConnections: 80,
      // Seed step 1.4: rotation on, every 7 days (what RDS sets on its managed secret). Not
      // immediately: a deploy in the middle of a workshop should not change the password.
      secretRotation: { automaticallyAfterDays: 7, rotateImmediately: false },
    },
    lambda: {
      runtime: 'nodejs24.x',
      architecture: 'arm64',
      memorySizeMiB: 256,
      timeoutSeconds: 10,
      reservedConcurrentExecutions: null,
      logRetentionDays: 14,
      tracingMode: 'Active',
      secretAccess: 'least-privilege',
      // The seed's flow: the function reads the RDS-managed secret and logs in as the master user.
      databaseAuth: 'master-secret',
    },
    functions: [SEED_FUNCTION],
    // None: the seed's function logs in as the master user, so there is no role to create.
    migrations: { enabled: false, memorySizeMiB: 256, timeoutSeconds: 300 },
    // Off: alarms are billed per alarm-month (npm run cost), and a workshop stack lives for hours.
    alerts: { enabled: false, email: null },
    tags: { Project: 'workshop-backend', Environment: environment, ManagedBy: 'cdktf' },
  };
}

/**
 * Hardened: Lambda and endpoint spread over two AZs, a Multi-AZ `db.t4g.medium` with deletion
 * protection, a final snapshot and 14 days of backups, a customer-managed KMS key, one year of logs
 * and ALL flow log traffic, reserved concurrency sized from the database's connections, and alarms
 * and rotation-failure alerts. The policy gate holds an environment of this profile to every
 * protection: turning one off fails synth unless the environment records a waiver.
 */
function production(identity: Identity): ProfileSettings {
  const base = workshop(identity);
  return {
    ...base,
    customerManagedKey: true,
    network: { ...base.network, lambdaAzCount: 2, flowLogRetentionDays: 365, flowLogTrafficType: 'ALL' },
    database: {
      ...base.database,
      instanceClass: 'db.t4g.medium',
      // A merge to main is the change window: the apply workflow waits for approval of the
      // environment, and plan:review marks every restart, failover and major upgrade as needing
      // attention (docs/day-2.md, "apply_immediately, per environment").
      applyImmediately: true,
      maxAllocatedStorageGiB: 100,
      multiAz: true,
      deletionProtection: true,
      skipFinalSnapshot: false,
      backupRetentionDays: 14,
      logRetentionDays: 365,
      // 4 GiB: LEAST(4294967296 / 9531392, 5000) = 450 on the whole memory; DBInstanceClassMemory
      // excludes what the OS and RDS use, so the instance reports somewhat less. 400 is a safe floor.
      maxConnections: 400,
      // Weekly, as RDS's default, at a fixed time rather than rate(7 days): AWS recommends cron()
      // so that changing the schedule triggers no unplanned rotation (AWS::SecretsManager::
      // RotationSchedule RotationRules). Saturday 18:00-21:00 UTC (Sunday 02:00-05:00 in
      // Singapore); set your own quiet hours with an override. Never on deploy: a deploy must not
      // change the production master password.
      secretRotation: { scheduleExpression: 'cron(0 18 ? * SAT *)', windowDuration: '3h', rotateImmediately: false },
    },
    lambda: {
      ...base.lambda,
      // Each container holds one connection: 100 leaves 290 of the 390 usable connections
      // (maxConnections 400 less 10 kept free) for other clients, deploy overlap and rotation.
      // Reserving 100 needs an account concurrency quota of at least 200 (AWS keeps 100 unreserved).
      reservedConcurrentExecutions: 100,
      logRetentionDays: 365,
      // Each function logs in as its own role with IAM tokens; only the migration function reads
      // the master secret (policy rule WB-LAMBDA-NO-MASTER-SECRET).
      databaseAuth: 'iam',
    },
    functions: [{ ...SEED_FUNCTION, databaseRole: 'app_reader' }],
    migrations: { ...base.migrations, enabled: true },
    // Set email to the on-call address (or subscribe a pager to the topic) before relying on alerts.
    alerts: { enabled: true, email: null },
  };
}

/** Each profile's settings for an environment of that name and region. */
export const PROFILES: Readonly<Record<ProfileName, (identity: Identity) => ProfileSettings>> = { workshop, production };

/** The settings a profile derives from the environment's name or region rather than states. */
const DERIVED_FROM: Readonly<Record<string, string>> = {
  namePrefix: "the environment's name",
  'tags.Environment': "the environment's name",
  'network.availabilityZones': 'the region (config/regions.ts)',
};

/**
 * An environment's configuration: its profile's settings with its overrides applied (objects merged
 * field by field, anything else, arrays included, replaced). Never throws: an unknown profile gives
 * no settings, which validation then reports with everything else.
 */
export function resolveEnvironment(definition: EnvironmentDefinition): EnvironmentConfig {
  const profile = Object.prototype.hasOwnProperty.call(PROFILES, definition.profile) ? PROFILES[definition.profile] : undefined;
  const settings = profile ? profile({ environment: definition.environment, region: definition.region }) : {};
  return {
    environment: definition.environment,
    profile: definition.profile,
    region: definition.region,
    account: definition.account ?? null,
    deployRoleArn: definition.deployRoleArn ?? null,
    waivers: definition.waivers ?? [],
    stateBackend: resolveStateBackend(definition.stateBackend),
    ...resolveFunctions(merge(settings, definition.overrides ?? {}) as ProfileSettings),
  };
}

/**
 * `settings` with each function completed from the defaults in `settings.lambda` (its memory,
 * timeout, reserved concurrency and database authentication), its entry the handler and its
 * database role none unless it says otherwise; those defaults then leave `lambda`, which keeps the
 * shared settings only. Values of the wrong type pass through for validation to report.
 */
function resolveFunctions(settings: ProfileSettings): Omit<EnvironmentConfig, (typeof DEFINITION_FIELDS)[number]> {
  const { memorySizeMiB, timeoutSeconds, reservedConcurrentExecutions, databaseAuth, ...lambda } = settings.lambda ?? ({} as ProfileSettings['lambda']);
  const defaults = { entry: HANDLER_ENTRY, databaseAuth, databaseRole: null, memorySizeMiB, timeoutSeconds, reservedConcurrentExecutions };
  const functions = Array.isArray(settings.functions)
    ? settings.functions.map((definition): FunctionConfig => {
        if (!isPlainObject(definition)) return definition as FunctionConfig;
        // Name and actions first, as `npm run environments` lists them.
        const { name, actions, ...own } = copyArrays(definition as FunctionDefinition);
        return { name, actions, ...defaults, ...own };
      })
    : (settings.functions as unknown as FunctionConfig[]);
  return { ...settings, lambda, functions };
}

/** `value` with its array fields copied, so that no two environments share one (a profile's list of actions, say). */
function copyArrays<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as T;
}

/** A definition's state backend with its defaults applied; `null` when it names none. */
function resolveStateBackend(definition: EnvironmentDefinition['stateBackend']): StateBackendConfig | null {
  if (definition === undefined || definition === null) return null;
  // Not an object: passed on as it is, for validation to report.
  if (typeof definition !== 'object') return definition;
  // Spread first, so a field the schema does not know still reaches validation and is reported.
  return { ...definition, keyPrefix: definition.keyPrefix ?? DEFAULT_STATE_KEY_PREFIX, bootstrapBackend: definition.bootstrapBackend ?? 'local' };
}

/** One resolved setting and where its value came from. */
export interface SettingSource {
  /** Dotted path, e.g. `database.instanceClass`. */
  readonly field: string;
  readonly value: unknown;
  /** `override`, `profile <name>`, `profile <name>, from <what>`, or `definition` for the fields every environment states. */
  readonly source: string;
}

/** Every setting of `definition` once resolved, leaf by leaf, with where its value came from. */
export function settingSources(definition: EnvironmentDefinition): SettingSource[] {
  const resolved = resolveEnvironment(definition) as unknown as Record<string, unknown>;
  const out: SettingSource[] = [];
  const walk = (value: unknown, override: unknown, prefix: string): void => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) {
        walk(child, isPlainObject(override) ? override[key] : undefined, prefix ? `${prefix}.${key}` : key);
      }
      return;
    }
    // A list of settings objects (the functions), item by item: an override replaces the whole list,
    // and a field its item leaves out comes from the defaults.
    if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
      value.forEach((item, i) => walk(item, Array.isArray(override) ? (override[i] ?? {}) : undefined, `${prefix}.${i}`));
      return;
    }
    const derived = DERIVED_FROM[prefix];
    const source =
      override !== undefined ? 'override' : `profile ${definition.profile}${derived ? `, from ${derived}` : ''}`;
    out.push({ field: prefix, value, source });
  };
  for (const [key, value] of Object.entries(resolved)) {
    if ((DEFINITION_FIELDS as readonly string[]).includes(key)) {
      out.push({ field: key, value, source: 'definition' });
    } else {
      walk(value, (definition.overrides as Record<string, unknown> | undefined)?.[key], key);
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `base` with `patch` applied: plain objects merged key by key, anything else replaced. */
function merge(base: unknown, patch: DeepPartial<unknown> | unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch === undefined ? base : patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = merge(base[key], value);
  return out;
}
