import { maxLambdaConnections } from '../../config/derived';
import { validateEnvironmentConfig, validateEnvironmentConfigs } from '../../config/schema';
import { UserError } from '../../config/errors';
import { environments } from '../../config/environments';
import { dev, prod } from '../support/environments';
import { withField } from '../support/synth';
import { problemsOf } from '../support/config';


describe('validateEnvironmentConfig', () => {
  it.each(environments.map((e) => [e.environment, e]))('accepts the shipped %s environment unchanged', (_name, config) => {
    expect(validateEnvironmentConfig(config)).toEqual(config);
  });

  it.each([
    ['functions.0.timeoutSeconds', 1000, 'functions.0.timeoutSeconds: received 1000; allowed: an integer from 3 to 900'],
    ['functions.0.memorySizeMiB', 64, 'functions.0.memorySizeMiB: received 64; allowed: an integer from 128 to 10240'],
    ['lambda.runtime', 'nodejs18.x', 'lambda.runtime: received "nodejs18.x"; allowed: one of "nodejs22.x", "nodejs24.x"'],
    ['lambda.logRetentionDays', 10, 'lambda.logRetentionDays: received 10; allowed: a CloudWatch Logs retention in days: 1, 3, 5, 7, 14'],
    ['lambda.secretAccess', 'admin', 'lambda.secretAccess: received "admin"; allowed: one of "least-privilege", "SecretsManagerReadWrite"'],
    ['region', 'Singapore', 'region: received "Singapore"; allowed: an AWS Region of the table in config/regions.ts'],
    ['network.vpcCidr', '10.0.0.0/33', 'network.vpcCidr: received "10.0.0.0/33"; allowed: an IPv4 CIDR block'],
    ['network.availabilityZones', ['ap-southeast-1a'], 'network.availabilityZones: received ["ap-southeast-1a"]; allowed: at least 2 AZ names'],
    ['database.masterUsername', 'rdsadmin', 'database.masterUsername: received "rdsadmin"; allowed: any name but the RDS-reserved'],
    ['database.engineVersion', 'latest', 'database.engineVersion: received "latest"; allowed: a PostgreSQL major version'],
    ['database.backupRetentionDays', 0, 'database.backupRetentionDays: received 0; allowed: an integer from 1 to 35'],
    ['database.performanceInsightsRetentionDays', 30, 'database.performanceInsightsRetentionDays: received 30; allowed: 0 (off), 7'],
    ['namePrefix', 'Workshop_', 'namePrefix: received "Workshop_"; allowed: 3 to 25 lowercase letters'],
    ['alerts.email', 'oncall at example.com', 'alerts.email: received "oncall at example.com"; allowed: null (no subscription) or one email address'],
    ['alerts.enabled', 'yes', 'alerts.enabled: received "yes"; allowed:'],
    ['region', 'xx-fake-1', 'region: received "xx-fake-1"; allowed: an AWS Region of the table in config/regions.ts: us-east-1,'],
    ['database.instanceClass', 'db.t4g.smal', 'database.instanceClass: received "db.t4g.smal"; allowed: a DB instance class RDS for PostgreSQL supports'],
    ['network.vpcCidr', '10.0.0.1/16', 'network.vpcCidr: received "10.0.0.1/16"; allowed: a CIDR block with no host bits set'],
    ['network.privateSubnetCidrs', ['10.0.128.0/20', '10.0.144.7/20'], 'network.privateSubnetCidrs.1: received "10.0.144.7/20"; allowed: a CIDR block with no host bits set'],
    ['database.secretRotation', { scheduleExpression: 'cron(0 18 1 * SAT *)', rotateImmediately: false }, 'database.secretRotation.scheduleExpression: received "cron(0 18 1 * SAT *)"; allowed: a cron() expression with "?" in exactly one of Day-of-month and Day-of-week'],
    ['database.secretRotation', { scheduleExpression: 'cron(0 18 ? * ? *)', rotateImmediately: false }, 'allowed: a cron() expression with "?" in exactly one of Day-of-month and Day-of-week (here "?" and "?")'],
    ['account', '1234', 'account: received "1234"; allowed: null (not pinned) or an AWS account id of 12 digits'],
    ['account', 111122223333, 'account: received 111122223333; allowed: null (not pinned) or an AWS account id of 12 digits, as a string'],
    ['deployRoleArn', 'deployer', 'deployRoleArn: received "deployer"; allowed: null, or an IAM role ARN'],
    ['profile', 'hardened', 'profile: received "hardened"; allowed: one of "workshop", "production" (config/profiles.ts)'],
    ['waivers', [{ ruleId: 'WB-RDS-MULTI-AZ', reason: 'ok', expires: '2999-01-01' }], 'waivers.0.reason: received "ok"; allowed: at least one full sentence'],
    ['waivers', [{ ruleId: 'WB-RDS-MULTI-AZ', reason: 'Accepted by the platform team for the pilot.', expires: '31/12/2999' }], 'waivers.0.expires: received "31/12/2999"; allowed: a date "YYYY-MM-DD"'],
  ])('rejects %s = %j, naming the field, the value and what is allowed', (field, value, message) => {
    const problems = problemsOf(withField(dev, field, value));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('rejects a production-profile environment without an account', () => {
    expect(problemsOf(withField(prod, 'account', null))).toEqual([
      expect.stringContaining('account: received null; allowed: the 12-digit id of the AWS account this environment deploys to: the production profile pins'),
    ]);
  });

  it('rejects a deploy role of another account', () => {
    expect(problemsOf(withField(prod, 'deployRoleArn', 'arn:aws:iam::444455556666:role/deploy'))).toEqual([
      expect.stringContaining('deployRoleArn: received "arn:aws:iam::444455556666:role/deploy"; allowed: a role in the environment\'s account 111122223333'),
    ]);
  });

  it('rejects an expired waiver, and accepts one that expires today', () => {
    const waiver = { ruleId: 'WB-RDS-MULTI-AZ', reason: 'Single-AZ during the pilot, accepted by the platform team.', expires: '2026-11-30' };
    const config = withField(prod, 'waivers', [waiver]);
    expect(() => validateEnvironmentConfig(config, { today: '2026-12-01' })).toThrow(
      /waivers\.0\.expires: received "2026-11-30"; allowed: a date from today \(2026-12-01\) on: the waiver of WB-RDS-MULTI-AZ has expired/,
    );
    expect(validateEnvironmentConfig(config, { today: '2026-11-30' }).waivers).toEqual([waiver]);
  });

  it('rejects two environments of the same name, as a user error', () => {
    expect(() => validateEnvironmentConfigs([dev, prod, { ...prod }])).toThrow(
      /environment: received "prod"; allowed: a name no other environment has: 2 environments are named "prod"/,
    );
    expect(() => validateEnvironmentConfigs([dev, prod, { ...prod }])).toThrow(UserError);
  });

  it('rejects a missing field, saying that it is missing', () => {
    const config = JSON.parse(JSON.stringify(dev));
    delete config.functions[0].timeoutSeconds;
    expect(problemsOf(config)).toEqual([expect.stringContaining('functions.0.timeoutSeconds: received nothing (the field is missing)')]);
  });

  it('rejects unknown fields, naming them', () => {
    expect(problemsOf(withField(dev, 'lambda.timeout', 10))).toEqual([expect.stringContaining('lambda: unknown field(s) "timeout"')]);
  });

  it('rejects AZs of another region', () => {
    expect(problemsOf(withField(prod, 'network.availabilityZones', ['us-east-1a', 'us-east-1b']))).toEqual([
      expect.stringContaining('network.availabilityZones.0: received "us-east-1a"; allowed: an AZ of region "ap-southeast-1"'),
      expect.stringContaining('network.availabilityZones.1: received "us-east-1b"'),
    ]);
  });

  it('rejects a subnet outside the VPC and overlapping subnets', () => {
    const outside = problemsOf(withField(dev, 'network.dataSubnetCidrs', ['10.0.160.0/20', '10.1.0.0/20']));
    expect(outside).toEqual([expect.stringContaining('network.dataSubnetCidrs.1: received "10.1.0.0/20"; allowed: a block inside the VPC CIDR 10.0.0.0/16')]);
    const overlapping = problemsOf(withField(dev, 'network.dataSubnetCidrs', ['10.0.128.0/24', '10.0.176.0/20']));
    expect(overlapping).toEqual([
      expect.stringContaining('network.privateSubnetCidrs.0: received "10.0.128.0/20"; allowed: a block that does not overlap network.dataSubnetCidrs.0 (10.0.128.0/24)'),
    ]);
  });

  it('rejects subnet lists whose length differs from the number of AZs', () => {
    expect(problemsOf(withField(dev, 'network.privateSubnetCidrs', ['10.0.128.0/20']))).toEqual([
      expect.stringContaining('network.privateSubnetCidrs: received ["10.0.128.0/20"]; allowed: exactly 2 CIDR blocks, one per AZ'),
    ]);
  });

  it('rejects lambdaAzCount above the number of AZs', () => {
    expect(problemsOf(withField(dev, 'network.lambdaAzCount', 3))).toEqual([
      expect.stringContaining('network.lambdaAzCount: received 3; allowed: an integer from 1 to 2 (the number of AZs)'),
    ]);
  });

  it('rejects reserved concurrency beyond what the database connection limit can serve', () => {
    const problems = problemsOf(withField(prod, 'functions.0.reservedConcurrentExecutions', 391));
    expect(problems).toEqual([expect.stringContaining('functions.0.reservedConcurrentExecutions: received 391; allowed: null or at most 390')]);
  });

  it('rejects a max_connections above what RDS allows for the instance class', () => {
    const problems = problemsOf(withField(prod, 'database.instanceClass', 'db.t4g.micro'));
    expect(problems).toEqual([expect.stringContaining('database.maxConnections: received 400; allowed: at most 112 for db.t4g.micro (1 GiB)')]);
  });

  it('rejects an alert email while alerts are off, saying how to fix it', () => {
    expect(problemsOf(withField(dev, 'alerts.email', 'oncall@example.com'))).toEqual([
      'alerts.email: received "oncall@example.com"; allowed: null while alerts.enabled is false (there is no topic to subscribe to); set alerts.enabled to true or remove the address',
    ]);
    expect(validateEnvironmentConfig(withField(prod, 'alerts.email', 'oncall@example.com'))).toMatchObject({ alerts: { email: 'oncall@example.com' } });
  });

  it('rejects a pinned minor version while auto minor upgrades are on, naming the field', () => {
    expect(problemsOf(withField(dev, 'database.engineVersion', '17.6'))).toEqual([
      expect.stringMatching(/^database\.engineVersion: received "17\.6"; allowed: a major version such as "17" while database\.autoMinorVersionUpgrade is true .*every later plan proposes a downgrade/),
    ]);
  });

  it('rejects a major-only version without auto minor upgrades, naming the field', () => {
    expect(problemsOf(withField(dev, 'database.autoMinorVersionUpgrade', false))).toEqual([
      expect.stringMatching(/^database\.autoMinorVersionUpgrade: received false; allowed: true with a major-only database\.engineVersion \("17"\)/),
    ]);
  });

  it('accepts a pinned minor version with auto minor upgrades off', () => {
    const pinned = withField(withField(dev, 'database.engineVersion', '17.6'), 'database.autoMinorVersionUpgrade', false);
    expect(validateEnvironmentConfig(pinned)).toEqual(pinned);
  });

  it('rejects an engine version that is neither a major nor a major.minor', () => {
    expect(problemsOf(withField(dev, 'database.engineVersion', '17.6.1'))[0]).toMatch(/^database\.engineVersion: received "17\.6\.1"; allowed: a PostgreSQL major version/);
  });

  it('reports every problem at once, under the environment name', () => {
    const config = withField(withField(dev, 'functions.0.timeoutSeconds', 0), 'database.port', 80);
    expect(() => validateEnvironmentConfig(config)).toThrow(/Invalid configuration for environment "dev"[\s\S]*database\.port[\s\S]*functions\.0\.timeoutSeconds/);
  });

  it('sizes the connection budget as max_connections less the connections kept free', () => {
    expect(maxLambdaConnections(450)).toBe(440);
    expect(maxLambdaConnections(5)).toBe(1);
  });
});

describe('validateEnvironmentConfig: functions', () => {
  const reports = { name: 'reports', actions: ['tables'] };
  const withFunctions = (config: typeof dev, ...extra: object[]) => ({ ...config, functions: [...config.functions, ...extra.map((fn) => ({ ...config.functions[0], ...fn }))] });

  it('accepts a second function that logs in as the master user in the workshop profile', () => {
    expect(problemsOf(withFunctions(dev, reports))).toEqual([]);
  });

  it.each([
    ['name', 'db-migrate', 'functions.1.name: received "db-migrate"; allowed: any name but "db-migrate", the migration function\'s'],
    ['name', 'Reports', 'functions.1.name: received "Reports"; allowed: 2 to 24 lowercase letters'],
    ['actions', ['drop'], 'functions.1.actions.0: received "drop"; allowed: one of "health", "tables"'],
    ['actions', [], 'functions.1.actions: received []; allowed: at least one action of health, tables'],
    ['entry', 'lambda-src/nosuch.ts', 'functions.1.entry: received "lambda-src/nosuch.ts"; allowed: a file that exists'],
    ['entry', '../handler.ts', 'functions.1.entry: received "../handler.ts"; allowed: a TypeScript module under lambda-src/'],
    ['databaseAuth', 'password', 'functions.1.databaseAuth: received "password"; allowed: one of "master-secret", "iam"'],
  ])('rejects a function with %s = %j, naming the field and what is allowed', (field, value, message) => {
    const problems = problemsOf(withFunctions(dev, { ...reports, [field]: value }));
    expect(problems).toEqual([expect.stringContaining(message)]);
  });

  it('rejects two functions of one name', () => {
    expect(problemsOf(withFunctions(dev, { name: 'db-health' }))).toEqual([
      expect.stringContaining('functions.1.name: received "db-health"; allowed: a name no other function of the environment has (functions.0 has it)'),
    ]);
  });

  it('rejects IAM authentication as a role no migration creates, and without migrations to create it', () => {
    expect(problemsOf(withFunctions(dev, { ...reports, databaseAuth: 'iam', databaseRole: 'app_reports' }))).toEqual([
      expect.stringContaining('functions.1.databaseRole: received "app_reports"; allowed: with databaseAuth "iam", a role a migration of lambda-src/migrations/ creates: app_reader'),
      expect.stringContaining('migrations.enabled: received false; allowed: true: functions.1 ("reports") logs in as "app_reports"'),
    ]);
  });

  it('rejects a role with the master user\'s login, and a second function on a role another logs in as', () => {
    expect(problemsOf(withFunctions(dev, { ...reports, databaseRole: 'app_reader' }))).toEqual([
      expect.stringContaining('functions.1.databaseRole: received "app_reader"; allowed: null with databaseAuth "master-secret"'),
    ]);
    expect(problemsOf(withFunctions(prod, { ...reports, reservedConcurrentExecutions: 10 }))).toEqual([
      expect.stringContaining('functions.1.databaseRole: received "app_reader"; allowed: a role no other function logs in as (functions.0 does)'),
    ]);
  });

  it('rejects reservations that together exceed the connection budget, naming the sum', () => {
    // dev: maxConnections 80, 10 kept free, 70 for the functions; the seed function is unreserved.
    expect(problemsOf(withFunctions(dev, { ...reports, reservedConcurrentExecutions: 40 }, { name: 'audit', actions: ['health'], reservedConcurrentExecutions: 30 }))).toEqual([]);
    const reserved = { ...dev, functions: dev.functions.map((fn) => ({ ...fn, reservedConcurrentExecutions: 30 })) };
    expect(problemsOf(withFunctions(reserved, { ...reports, reservedConcurrentExecutions: 41 }))).toEqual([
      expect.stringContaining('functions.*.reservedConcurrentExecutions: received [30,41]; allowed: reservations that add up to at most 70 (they add up to 71)'),
    ]);
  });
});

