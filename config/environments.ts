import type { EnvironmentConfig } from './types';

/**
 * The workshop as the seed builds it, at the lowest cost: region `ap-southeast-1`, the seed's
 * resource names letter for letter (`seedNames`, its `lamda` role included), the seed's rotation
 * schedule of 7 days, the Lambda, the endpoint and the DB instance in one AZ (`ap-southeast-1a`),
 * one endpoint ENI, a single-AZ `db.t4g.micro`, AWS-managed keys, short log retention, and a
 * database that `cdktf destroy` removes without a snapshot.
 */
export const dev: EnvironmentConfig = {
  environment: 'dev',
  region: 'ap-southeast-1',
  namePrefix: 'workshop',
  seedNames: true,
  customerManagedKey: false,
  network: {
    vpcCidr: '10.0.0.0/16',
    availabilityZones: ['ap-southeast-1a', 'ap-southeast-1b'],
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
  },
  // Off: alarms are billed per alarm-month (npm run cost), and a workshop stack lives for hours.
  alerts: { enabled: false, email: null },
  tags: { Project: 'workshop-backend', Environment: 'dev', ManagedBy: 'cdktf' },
};

/**
 * Production defaults: Lambda and endpoint spread over both AZs, a Multi-AZ `db.t4g.medium`
 * with deletion protection, a final snapshot and 14 days of backups, a customer-managed KMS
 * key, one year of logs, reserved concurrency sized from the database's connections, and
 * alarms and rotation-failure alerts on an encrypted topic.
 */
export const prod: EnvironmentConfig = {
  environment: 'prod',
  region: 'ap-southeast-1',
  namePrefix: 'workshop-prod',
  seedNames: false,
  customerManagedKey: true,
  network: {
    ...dev.network,
    lambdaAzCount: 2,
    flowLogRetentionDays: 365,
    flowLogTrafficType: 'ALL',
  },
  database: {
    ...dev.database,
    instanceClass: 'db.t4g.medium',
    // Explicitly the same choice as dev: a merge to main is the change window, since the apply
    // workflow waits for approval of the production environment and plan:review marks every
    // restart, failover and major upgrade as needing attention (docs/day-2.md, "apply_immediately, per environment").
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
    // Weekly, as RDS's default, but at a known off-peak time: Saturday 18:00-21:00 UTC is Sunday
    // 02:00-05:00 in Singapore (UTC+8, no daylight saving), the quietest hours of the quietest
    // day for a business backend in ap-southeast-1, and it closes well before the UTC day ends.
    // A cron() rather than rate(7 days): a rate's window opens at 00:00 UTC, 08:00 in Singapore,
    // and AWS recommends cron() so that changing the schedule triggers no unplanned rotation
    // (AWS::SecretsManager::RotationSchedule RotationRules). Never on deploy: a deploy must not
    // change the production master password.
    secretRotation: { scheduleExpression: 'cron(0 18 ? * SAT *)', windowDuration: '3h', rotateImmediately: false },
  },
  lambda: {
    ...dev.lambda,
    // Each container holds one connection: 100 leaves 290 of the 390 usable connections
    // (maxConnections 400 less 10 kept free) for other clients, deploy overlap and rotation.
    // Reserving 100 needs an account concurrency quota of at least 200 (AWS keeps 100 unreserved).
    reservedConcurrentExecutions: 100,
    logRetentionDays: 365,
  },
  // Set email to the on-call address (or subscribe a pager to the topic) before relying on alerts.
  alerts: { enabled: true, email: null },
  tags: { Project: 'workshop-backend', Environment: 'prod', ManagedBy: 'cdktf' },
};

/** Every environment `main.ts` synthesizes, one stack each. */
export const environments: readonly EnvironmentConfig[] = [dev, prod];
