/**
 * The migrations runner, the migration function (migrate-handler.ts) and the migrations themselves,
 * on the run's real PostgreSQL. Each test works in a database of its own, owned by this file's
 * role, which has CREATEROLE as the RDS master user has (and no superuser power, which the master
 * user lacks too); the local Secrets Manager holds that role's credentials, as the RDS-managed
 * secret holds the master user's.
 *
 * Roles belong to the whole server, not to a database: the migrations' role (`app_reader`) is
 * shared by this file's databases, and no other test file may create it (so the migration
 * function's tests live here too, not in a file of their own). afterAll drops it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { ACTIONS, type HealthResult, type TablesResult } from '../../lambda-src/actions';
import { loadConfig } from '../../lambda-src/config';
import { ConfigError, MigrationError, echo, messages } from '../../lambda-src/errors';
import { createHandler, type SuccessResponse } from '../../lambda-src/handler';
import type { IamAuthTokenProps } from '../../lambda-src/iam-auth';
import { createLogger } from '../../lambda-src/log';
import { MIGRATIONS_TABLE, MIGRATION_LOCK_KEY, applyMigrations } from '../../lambda-src/migrate';
import {
  MIGRATION_TIME_MARGIN_MILLIS,
  MIN_MIGRATION_STATEMENT_TIMEOUT_MILLIS,
  createMigrateHandler,
  migrationStatementTimeoutMillis,
  type MigrateHandler,
} from '../../lambda-src/migrate-handler';
import { MIGRATIONS_FOLDER, loadMigrations, migration, type Migration, type MigrationEvent } from '../../lambda-src/migration-files';
import { APP_USER, SECRET_ARN, captureLogs, newPassword, startLambdaFixture, useAwsEndpoint, type LambdaFixture } from '../../local/lambda-fixture';
import { scratchDir } from '../support/scratch';

/** The role lambda-src/migrations/0001_app_roles.sql creates for the application function. */
const FUNCTION_ROLE = 'app_reader';

/** SQLSTATE insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';

const quiet = createLogger(() => undefined);

let fixture: LambdaFixture;
let restoreEnv: () => void = () => undefined;
const databases: string[] = [];
const sessions: Client[] = [];

beforeAll(async () => {
  fixture = await startLambdaFixture();
  restoreEnv = useAwsEndpoint(fixture.secretsManager.endpoint);
  await fixture.pg.admin.query(`ALTER ROLE ${APP_USER} CREATEROLE`);
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.end().catch(() => undefined)));
  restoreEnv();
  if (fixture === undefined) return;
  const { admin } = fixture.pg;
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  await admin.query(`DROP ROLE IF EXISTS ${FUNCTION_ROLE}`);
  await admin.query('DROP ROLE IF EXISTS rds_iam');
  await fixture.stop();
});

/** A new database owned by this file's role, and sessions on it as that role (the migrations' user). */
async function freshDatabase(): Promise<{ name: string; connect(user?: string, password?: string): Promise<Client> }> {
  const name = `migrate_${randomBytes(4).toString('hex')}`;
  databases.push(name);
  await fixture.pg.admin.query(`CREATE DATABASE ${name} OWNER ${APP_USER}`);
  return {
    name,
    async connect(user = APP_USER, password = fixture.password) {
      const client = new Client({ host: fixture.pg.host, port: fixture.pg.port, user, password, database: name, ssl: { rejectUnauthorized: true, ca: fixture.pg.ca.certPem } });
      sessions.push(client);
      await client.connect();
      return client;
    },
  };
}

/**
 * Gives the function role a password, as superuser: in AWS it logs in with IAM tokens (rds_iam),
 * which need RDS; here the stand-in token is this password, which PostgreSQL checks instead.
 */
async function giveFunctionRoleAPassword(): Promise<string> {
  const password = newPassword();
  await fixture.pg.admin.query(`ALTER ROLE ${FUNCTION_ROLE} PASSWORD ${fixture.pg.admin.escapeLiteral(password)}`);
  return password;
}

/** A stand-in for createIamAuthTokenSigner whose "token" is `password`. */
function standInSigner(password: string): (props: IamAuthTokenProps) => () => Promise<string> {
  return () => async () => password;
}

/** The application function's environment on `database`: DB_AUTH=iam as the function role, no secret. */
function iamEnv(database: string): Record<string, string> {
  const { DB_SECRET_ARN: _unused, ...rest } = fixture.lambdaEnv({ DB_NAME: database, DB_AUTH: 'iam', DB_USER: FUNCTION_ROLE, AWS_REGION: 'us-east-1' });
  return rest;
}

/** A migrations folder holding lambda-src/migrations' files and `extra` (file name to SQL). */
function folderWith(extra: Readonly<Record<string, string>>): string {
  const folder = scratchDir('migrations-');
  for (const file of readdirSync(MIGRATIONS_FOLDER)) copyFileSync(path.join(MIGRATIONS_FOLDER, file), path.join(folder, file));
  for (const [file, sql] of Object.entries(extra)) writeFileSync(path.join(folder, file), sql);
  return folder;
}

/** The migrations recorded in `client`'s database, by name. */
async function recorded(client: Client): Promise<{ name: string; checksum: string; applied_at: Date }[]> {
  return (await client.query(`SELECT name, checksum, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY name`)).rows;
}

/** Whether the relation `name` exists in `client`'s database. */
async function exists(client: Client, name: string): Promise<boolean> {
  return (await client.query('SELECT to_regclass($1) IS NOT NULL AS found', [name])).rows[0].found;
}

/** Waits until backend `pid` waits for the advisory lock of the bigint `key`, as pg_locks shows it. */
async function waitForAdvisoryLockWait(observer: Client, pid: number, key: bigint): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const { rowCount } = await observer.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = $1
         AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $2::bigint`,
      [pid, key.toString()],
    );
    if (rowCount === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`backend ${pid} never waited for advisory lock ${key}`);
}

describe('loadMigrations', () => {
  it('reads every .sql file of lambda-src/migrations in the order of its name, with the SHA-256 of its text', () => {
    const files = readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).sort();

    const migrations = loadMigrations();

    expect(migrations.map((m) => `${m.name}.sql`)).toEqual(files);
    expect(migrations[0].name).toBe('0001_app_roles');
    const text = readFileSync(path.join(MIGRATIONS_FOLDER, files[0]), 'utf8');
    expect(migrations[0]).toEqual({ name: '0001_app_roles', sql: text, checksum: createHash('sha256').update(text).digest('hex') });
  });

  it('gives a file checked out with CRLF line ends the checksum it has with LF', () => {
    expect(migration('0001_x', 'SELECT 1;\r\nSELECT 2;\r\n').checksum).toBe(migration('0001_x', 'SELECT 1;\nSELECT 2;\n').checksum);
  });

  it.each([
    ['a .sql file without a four-digit number', { '1_roles.sql': '' }, messages.migrationFileName('1_roles.sql', '<folder>')],
    ['a .sql file with capitals', { '0002_Roles.SQL': '' }, messages.migrationFileName('0002_Roles.SQL', '<folder>')],
    ['two files of one number', { '0002_a.sql': '', '0002_b.sql': '' }, messages.migrationNumberTaken('0002', '0002_a', '0002_b')],
  ])('rejects %s, naming it', (_name, files, message) => {
    const folder = scratchDir('bad-migrations-');
    for (const [file, sql] of Object.entries(files)) writeFileSync(path.join(folder, file), sql);
    writeFileSync(path.join(folder, 'README.md'), 'other files are left alone');

    expect(() => loadMigrations(folder)).toThrow(new MigrationError(message.replace('<folder>', folder)));
  });
});

describe('applyMigrations on the real PostgreSQL', () => {
  it('applies each migration once, in order, recording its name, checksum and time; a second run applies nothing and changes nothing', async () => {
    const db = await freshDatabase();
    const owner = await db.connect();
    const migrations = loadMigrations();
    const names = migrations.map((m) => m.name);
    // Plain PostgreSQL: the IAM role of RDS does not exist, and the migrations run all the same.
    expect((await owner.query("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'")).rowCount).toBe(0);
    const logs = captureLogs();

    const first = await applyMigrations(owner, migrations, { log: createLogger(logs.sink) });

    expect(first).toEqual({ applied: names, alreadyApplied: [] });
    const rows = await recorded(owner);
    expect(rows.map(({ name, checksum }) => ({ name, checksum }))).toEqual(migrations.map(({ name, checksum }) => ({ name, checksum })));
    for (const row of rows) expect(row.applied_at).toBeInstanceOf(Date);
    expect(logs.parsed().filter((l) => l.message === 'migration applied').map((l) => l.migration)).toEqual(names);

    const state = async (): Promise<unknown> => ({
      recorded: await recorded(owner),
      role: (await owner.query('SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1', [FUNCTION_ROLE])).rows,
      databaseAcl: (await owner.query('SELECT datacl::text FROM pg_database WHERE datname = current_database()')).rows,
      publicAcl: (await owner.query("SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'")).rows,
    });
    const after = await state();

    const second = await applyMigrations(owner, migrations, { log: quiet });

    expect(second).toEqual({ applied: [], alreadyApplied: names });
    expect(await state()).toEqual(after);
  });

  it("rolls back a failing migration, keeps the earlier ones, runs none after it, and fails naming it with PostgreSQL's error and line", async () => {
    const db = await freshDatabase();
    const owner = await db.connect();
    const folder = folderWith({
      '9001_orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY);\n',
      '9002_broken.sql': 'CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);\n',
      '9003_after.sql': 'CREATE TABLE after_broken (id int);\n',
    });

    const failure = await applyMigrations(owner, loadMigrations(folder), { log: quiet }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({
      migration: '9002_broken',
      sqlState: '42P01',
      message: messages.migrationFailed('9002_broken', '42P01', 'relation "no_such_table" does not exist', 2),
      cause: expect.objectContaining({ code: '42P01', message: 'relation "no_such_table" does not exist' }),
    });
    expect(await exists(owner, 'half_done')).toBe(false);
    expect(await exists(owner, 'after_broken')).toBe(false);
    expect(await exists(owner, 'orders')).toBe(true);
    expect((await recorded(owner)).map((r) => r.name)).toEqual([...loadMigrations().map((m) => m.name), '9001_orders']);
    // The run's lock went with it.
    const { rowCount } = await owner.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'");
    expect(rowCount).toBe(0);

    // Fixed, the next run starts where this one stopped.
    writeFileSync(path.join(folder, '9002_broken.sql'), 'CREATE TABLE half_done (id int);\n');
    const fixed = await applyMigrations(owner, loadMigrations(folder), { log: quiet });
    expect(fixed.applied).toEqual(['9002_broken', '9003_after']);
  });

  describe('refuses before applying anything when the recorded migrations disagree with the files', () => {
    let owner: Client;
    const orders = migration('9001_orders', 'CREATE TABLE orders (id int);');
    const ordersChanged = migration('9001_orders', 'CREATE TABLE orders (id bigint);');
    const items = migration('9003_items', 'CREATE TABLE items (id int);');
    const base = [...loadMigrations(), orders, items];
    const pending = migration('9004_pending', 'CREATE TABLE pending (id int);');

    beforeAll(async () => {
      owner = await (await freshDatabase()).connect();
      await applyMigrations(owner, base, { log: quiet });
    });

    it.each<[string, Migration[], string, string]>([
      [
        'an applied migration whose text changed',
        [...loadMigrations(), ordersChanged, items, pending],
        messages.migrationChanged('9001_orders', orders.checksum, ordersChanged.checksum),
        '9001_orders',
      ],
      ['an applied migration whose file is gone', [...loadMigrations(), items, pending], messages.migrationMissing('9001_orders'), '9001_orders'],
      [
        'a new migration numbered before the last applied one',
        [...base, migration('9002_late', 'CREATE TABLE late (id int);'), pending],
        messages.migrationOutOfOrder('9002_late', '9003_items'),
        '9002_late',
      ],
    ])('fails on %s, naming it', async (_name, migrations, message, name) => {
      const failure = await applyMigrations(owner, migrations, { log: quiet }).catch((err: unknown) => err);

      expect(failure).toBeInstanceOf(MigrationError);
      expect(failure).toMatchObject({ migration: name, message });
      expect(await exists(owner, 'pending')).toBe(false);
      expect(await exists(owner, 'late')).toBe(false);
      expect((await recorded(owner)).map((r) => r.name)).toEqual(base.map((m) => m.name));
    });
  });

  it('fails naming a migration that commits its own transaction, and does not record it', async () => {
    const owner = await (await freshDatabase()).connect();
    const committing = migration('9001_commits', 'CREATE TABLE committed_early (id int);\nCOMMIT;\n');

    const failure = await applyMigrations(owner, [committing], { log: quiet }).catch((err: unknown) => err);

    expect(failure).toEqual(new MigrationError(messages.migrationEndedTransaction('9001_commits')));
    expect(await recorded(owner)).toEqual([]);
    // What it committed stays, as the message says.
    expect(await exists(owner, 'committed_early')).toBe(true);
  });

  it('serializes two runs started at once: the second waits for the lock while the first is inside a migration, then applies nothing', async () => {
    const db = await freshDatabase();
    const [gate, first, second] = [await db.connect(), await db.connect(), await db.connect()];
    /** An advisory lock this test holds to keep the first run inside its migration. */
    const GATE = 4242n;
    const migrations = [...loadMigrations(), migration('9001_gated', `SELECT pg_advisory_xact_lock_shared(${GATE});\nCREATE TABLE gated (id int);\n`)];
    const names = migrations.map((m) => m.name);
    const pidOf = async (c: Client): Promise<number> => (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const [firstPid, secondPid] = [await pidOf(first), await pidOf(second)];
    await gate.query('SELECT pg_advisory_lock($1::bigint)', [GATE.toString()]);

    const firstRun = applyMigrations(first, migrations, { log: quiet });
    await waitForAdvisoryLockWait(gate, firstPid, GATE);
    const secondRun = applyMigrations(second, migrations, { log: quiet });
    await waitForAdvisoryLockWait(gate, secondPid, MIGRATION_LOCK_KEY);
    // Both are waiting now: the first inside 9001_gated, holding the run's lock, the second for that lock.
    expect((await recorded(gate)).map((r) => r.name)).toEqual(names.slice(0, -1));
    await gate.query('SELECT pg_advisory_unlock($1::bigint)', [GATE.toString()]);

    expect(await firstRun).toEqual({ applied: names, alreadyApplied: [] });
    expect(await secondRun).toEqual({ applied: [], alreadyApplied: names });
  });
});

describe('the application function role', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let rolePassword: string;
  let owner: Client;

  beforeAll(async () => {
    db = await freshDatabase();
    owner = await db.connect();
    await applyMigrations(owner, loadMigrations(), { log: quiet });
    await owner.query('CREATE TABLE public.orders (id int); CREATE SCHEMA other; CREATE TABLE other.secrets (id int)');
    rolePassword = await giveFunctionRoleAPassword();
  });

  it.each(ACTIONS)('runs the action %s through the handler as its own role with DB_AUTH=iam (200; IAM authentication itself cannot run here: the stand-in token is a password)', async (action) => {
    const instance = createHandler({ env: iamEnv(db.name), ca: fixture.pg.ca.certPem, logSink: () => undefined, createTokenSigner: standInSigner(rolePassword) });
    try {
      const response = await instance.handler({ action });

      expect(response).toMatchObject({ statusCode: 200, action });
      if (action === 'health') expect(((response as SuccessResponse).result as HealthResult).currentUser).toBe(FUNCTION_ROLE);
      // It sees no table it has no privilege on.
      if (action === 'tables') expect(((response as SuccessResponse).result as TablesResult).tables).toEqual([]);
    } finally {
      await instance.close();
    }
  });

  it.each([
    ['SELECT on a table of another schema', 'SELECT * FROM other.secrets'],
    ['SELECT on a table of schema public', 'SELECT * FROM public.orders'],
    ['reading the migrations table', `SELECT * FROM ${MIGRATIONS_TABLE}`],
    ['DROP TABLE', 'DROP TABLE public.orders'],
    ['DROP SCHEMA', 'DROP SCHEMA other CASCADE'],
    ['CREATE TABLE in schema public', 'CREATE TABLE public.mine (id int)'],
    ['CREATE TEMPORARY TABLE', 'CREATE TEMPORARY TABLE mine (id int)'],
    ['CREATE SCHEMA', 'CREATE SCHEMA mine'],
    ['CREATE ROLE', 'CREATE ROLE another_role'],
    ['DROP DATABASE of its database', 'DROP DATABASE <database>'],
  ])(`is denied %s with SQLSTATE ${INSUFFICIENT_PRIVILEGE}`, async (_name, sql) => {
    const session = await db.connect(FUNCTION_ROLE, rolePassword);

    await expect(session.query(sql.replace('<database>', db.name))).rejects.toMatchObject({ code: INSUFFICIENT_PRIVILEGE });
  });

  it('is made a member of rds_iam where that role exists (on RDS), so that it logs in with IAM tokens', async () => {
    // rds_iam as RDS has it, which the master user may grant.
    await fixture.pg.admin.query(`CREATE ROLE rds_iam; GRANT rds_iam TO ${APP_USER} WITH ADMIN OPTION`);
    const elsewhere = await freshDatabase();
    const session = await elsewhere.connect();

    await applyMigrations(session, loadMigrations(), { log: quiet });

    const { rows } = await session.query("SELECT pg_has_role($1, 'rds_iam', 'MEMBER') AS member", [FUNCTION_ROLE]);
    expect(rows[0].member).toBe(true);
  });
});

describe('the migration function (migrate-handler.ts)', () => {
  /** The event the stack puts in the invocation: the plan's list of migrations. */
  const planOf = (migrations: readonly Migration[]): MigrationEvent => ({ migrations: migrations.map(({ name, checksum }) => ({ name, checksum })) });

  /** The migration function on `database`, logging in with the secret (this file's role, as the master user). */
  function migrationFunction(database: string, options: { migrationsFolder?: string; env?: Record<string, string>; logSink?: (line: string) => void } = {}): MigrateHandler {
    return createMigrateHandler({
      env: fixture.lambdaEnv({ DB_NAME: database, ...options.env }),
      ca: fixture.pg.ca.certPem,
      logSink: options.logSink ?? (() => undefined),
      migrationsFolder: options.migrationsFolder,
    });
  }

  it('applies the bundled migrations with the master secret over verified TLS, then applies nothing on a second invocation; app_reader then runs health and tables with DB_AUTH=iam and is denied other schemas and DROP', async () => {
    const db = await freshDatabase();
    const migrations = loadMigrations();
    const names = migrations.map((m) => m.name);
    const logs = captureLogs();
    const migrate = migrationFunction(db.name, { logSink: logs.sink });
    const secretCallsBefore = fixture.secretsManager.getSecretValueCalls;

    const first = await migrate(planOf(migrations), { getRemainingTimeInMillis: () => 60_000 });
    const second = await migrate(planOf(migrations), { getRemainingTimeInMillis: () => 60_000 });

    expect(first).toEqual({ applied: names, alreadyApplied: [] });
    expect(second).toEqual({ applied: [], alreadyApplied: names });
    // One fetch, cached across the warm invocation.
    expect(fixture.secretsManager.getSecretValueCalls).toBe(secretCallsBefore + 1);
    expect(logs.parsed()).toContainEqual(expect.objectContaining({ message: 'database session opened', auth: 'master-secret', secretArn: SECRET_ARN }));
    for (const password of fixture.passwords) expect(logs.text()).not.toContain(password);
    const owner = await db.connect();
    expect((await recorded(owner)).map((r) => r.name)).toEqual(names);
    await owner.query('CREATE SCHEMA other; CREATE TABLE other.secrets (id int); CREATE TABLE public.orders (id int)');

    const rolePassword = await giveFunctionRoleAPassword();
    const app = createHandler({ env: iamEnv(db.name), ca: fixture.pg.ca.certPem, logSink: () => undefined, createTokenSigner: standInSigner(rolePassword) });
    try {
      const health = await app.handler({ action: 'health' });
      const tables = await app.handler({ action: 'tables', schema: 'other' });

      expect(health).toMatchObject({ statusCode: 200, result: { auth: 'iam', currentUser: FUNCTION_ROLE, tls: true } });
      expect(tables).toEqual({ statusCode: 200, action: 'tables', result: { schema: 'other', tableCount: 0, truncated: false, tables: [] } });
    } finally {
      await app.close();
    }
    const session = await db.connect(FUNCTION_ROLE, rolePassword);
    await expect(session.query('SELECT * FROM other.secrets')).rejects.toMatchObject({ code: INSUFFICIENT_PRIVILEGE });
    await expect(session.query('DROP TABLE public.orders')).rejects.toMatchObject({ code: INSUFFICIENT_PRIVILEGE });
  });

  it("throws a MigrationError naming the failing migration and PostgreSQL's SQLSTATE, and leaves the database as it was", async () => {
    const db = await freshDatabase();
    await migrationFunction(db.name)(planOf(loadMigrations()));
    const owner = await db.connect();
    const before = await recorded(owner);
    const folder = folderWith({ '9001_broken.sql': 'CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);\n' });
    const logs = captureLogs();

    const failure = await migrationFunction(db.name, { migrationsFolder: folder, logSink: logs.sink })(planOf(loadMigrations(folder))).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({
      migration: '9001_broken',
      sqlState: '42P01',
      message: messages.migrationFailed('9001_broken', '42P01', 'relation "no_such_table" does not exist', 2),
    });
    for (const password of fixture.passwords) expect(String((failure as Error).message)).not.toContain(password);
    expect(await recorded(owner)).toEqual(before);
    expect(await exists(owner, 'half_done')).toBe(false);
    expect(logs.parsed()).toContainEqual(expect.objectContaining({ level: 'error', message: 'migration invocation failed', migration: '9001_broken', sqlState: '42P01' }));
  });

  it('cancels a statement that outlasts the time the invocation has left (57014), naming its migration, before Lambda would stop the function', async () => {
    const db = await freshDatabase();
    const folder = folderWith({ '9001_slow.sql': 'SELECT pg_sleep(10);\n' });
    const config = loadConfig(fixture.lambdaEnv());
    // Left: the secret fetch and the connect at their limits, the margin, and the shortest statement timeout.
    const remaining = config.secretsManagerConnectTimeoutMillis + config.secretsManagerRequestTimeoutMillis + config.dbConnectTimeoutMillis + MIGRATION_TIME_MARGIN_MILLIS + MIN_MIGRATION_STATEMENT_TIMEOUT_MILLIS;
    expect(migrationStatementTimeoutMillis(config, remaining)).toBe(MIN_MIGRATION_STATEMENT_TIMEOUT_MILLIS);
    const started = Date.now();

    const failure = await migrationFunction(db.name, { migrationsFolder: folder })(planOf(loadMigrations(folder)), { getRemainingTimeInMillis: () => remaining }).catch((err: unknown) => err);

    expect(failure).toMatchObject({ name: 'MigrationError', migration: '9001_slow', sqlState: '57014' });
    expect(Date.now() - started).toBeLessThan(remaining);
    const owner = await db.connect();
    expect((await recorded(owner)).map((r) => r.name)).toEqual(loadMigrations().map((m) => m.name));
  });

  it('refuses to start with less time left than a secret fetch, a connect, the margin and the shortest statement timeout, before reading the secret', async () => {
    const db = await freshDatabase();
    const config = loadConfig(fixture.lambdaEnv());
    const secretCallsBefore = fixture.secretsManager.getSecretValueCalls;
    const needed = config.secretsManagerConnectTimeoutMillis + config.secretsManagerRequestTimeoutMillis + config.dbConnectTimeoutMillis + MIGRATION_TIME_MARGIN_MILLIS + MIN_MIGRATION_STATEMENT_TIMEOUT_MILLIS;

    const failure = await migrationFunction(db.name)(planOf(loadMigrations()), { getRemainingTimeInMillis: () => needed - 1 }).catch((err: unknown) => err);

    expect(failure).toEqual(new ConfigError(messages.migrationTooLittleTime(needed - 1, needed)));
    expect(fixture.secretsManager.getSecretValueCalls).toBe(secretCallsBefore);
  });

  describe('refuses, applying nothing and reading no secret, when the bundled migrations differ from the plan in the event', () => {
    const bundled = loadMigrations();
    const first = bundled[0];
    const other = migration('9001_orders', 'CREATE TABLE orders (id int);');
    it.each<[string, MigrationEvent, string[]]>([
      ['a planned migration that is not bundled', planOf([...bundled, other]), [`planned but not bundled: ${echo('9001_orders')}`]],
      ['a bundled migration that is not planned', planOf(bundled.slice(1)), [`bundled but not planned: ${first.name}`]],
      [
        'a planned checksum that differs from the bundled file',
        planOf([{ ...first, checksum: other.checksum }, ...bundled.slice(1)]),
        [`${first.name} has checksum ${first.checksum} bundled, but ${echo(other.checksum)} planned`],
      ],
      ['a migration planned twice', planOf([...bundled, first]), [`listed twice in the plan: ${echo(first.name)}`]],
    ])('%s', async (_name, event, differences) => {
      const db = await freshDatabase();
      const secretCallsBefore = fixture.secretsManager.getSecretValueCalls;

      const failure = await migrationFunction(db.name)(event).catch((err: unknown) => err);

      expect(failure).toEqual(new MigrationError(messages.migrationPlanMismatch(differences)));
      expect(fixture.secretsManager.getSecretValueCalls).toBe(secretCallsBefore);
      expect(await exists(await db.connect(), MIGRATIONS_TABLE)).toBe(false);
    });
  });

  it.each<[string, unknown, string]>([
    ['an event that is not an object', 'migrate', messages.migrationEventMalformed('the event', echo('migrate'))],
    ['an event without a list', {}, messages.migrationEventMalformed('"migrations"', echo(undefined))],
    ['an entry without a checksum', { migrations: [{ name: '0001_app_roles' }] }, messages.migrationEventMalformed('"migrations"[0].checksum', echo(undefined))],
  ])('rejects %s with a BadRequestError naming the field', async (_name, event, message) => {
    const failure = await migrationFunction('unused')(event).catch((err: unknown) => err);

    expect(failure).toMatchObject({ name: 'BadRequestError', message });
  });

  it('refuses DB_AUTH=iam: it logs in as the RDS master user with the secret', async () => {
    const failure = await migrationFunction('unused', { env: { DB_AUTH: 'iam', DB_USER: FUNCTION_ROLE, AWS_REGION: 'us-east-1' } })(planOf(loadMigrations())).catch((err: unknown) => err);

    expect(failure).toEqual(new ConfigError(messages.migrationNeedsMasterSecret('DB_AUTH', 'iam')));
  });
});
