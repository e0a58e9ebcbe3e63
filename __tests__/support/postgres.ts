import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
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
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/** Milliseconds to wait for initdb and the first start. */
const START_TIMEOUT_MILLIS = 90_000;

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/**
 * Starts PostgreSQL (initdb, TLS with a certificate from a new test CA, `hostssl` only) on a free
 * port of 127.0.0.1, in a child process (see postgres-process.ts).
 */
export async function startTlsPostgres(): Promise<TlsPostgres> {
  // mkdtemp makes a 0700 folder; the server's user (postgres, when running as root) must enter it.
  const baseDir = await mkdtemp(path.join(tmpdir(), 'lambda-pg-'));
  await chmod(baseDir, 0o755);
  let child: ChildProcess | undefined;
  let admin: Client | undefined;
  const stop = async (): Promise<void> => {
    await admin?.end().catch(() => undefined);
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
      serverCertPem: server.certPem,
      serverKeyPem: server.keyPem,
    };
    child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(__dirname, 'postgres-process.ts')], {
      env: { ...process.env, PG_FIXTURE_CONFIG: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await waitForReady(child);

    admin = new Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password: superPassword,
      database: 'postgres',
      ssl: { rejectUnauthorized: true, ca: ca.certPem },
    });
    await admin.connect();
    const adminClient = admin;
    return {
      host: '127.0.0.1',
      port,
      ca,
      caFile,
      admin: adminClient,
      async createAppDatabase(username, password, database) {
        await adminClient.query(`CREATE ROLE ${adminClient.escapeIdentifier(username)} LOGIN PASSWORD ${adminClient.escapeLiteral(password)}`);
        await adminClient.query(`CREATE DATABASE ${adminClient.escapeIdentifier(database)} OWNER ${adminClient.escapeIdentifier(username)}`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
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
