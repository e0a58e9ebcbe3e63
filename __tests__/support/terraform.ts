/**
 * Helpers that run the real `terraform` binary in temporary folders, isolated from the machine's
 * Terraform and AWS configuration. Terraform runs asynchronously, so servers that the test runs in
 * this process (s3rver) keep answering while it waits.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** What one `terraform` run returned. */
export interface TerraformResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Temporary folders made by {@link makeTempDir}, removed by {@link removeTempDirs}. */
const tempDirs: string[] = [];

/** Makes a temporary folder that {@link removeTempDirs} removes; call that in `afterAll`. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder made by {@link makeTempDir} so far, even those of a failed test. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

let home: string | undefined;

/** A temporary folder with an empty Terraform CLI configuration, made again after {@link removeTempDirs}. */
function isolatedHome(): string {
  if (home === undefined || !existsSync(home)) {
    home = makeTempDir('terraform-home');
    writeFileSync(path.join(home, 'empty.tfrc'), '');
  }
  return home;
}

/**
 * The environment Terraform runs with: automation mode, no update check, no input prompts, an
 * empty CLI configuration (no plugin cache or credentials of the machine), and AWS settings that
 * can never reach real credentials or the instance metadata service.
 */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    if (process.env[name] !== undefined) base[name] = process.env[name];
  }
  const home = isolatedHome();
  return {
    ...base,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    TF_INPUT: '0',
    TF_CLI_CONFIG_FILE: path.join(home, 'empty.tfrc'),
    AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/**
 * Runs `terraform <args>` in `cwd` and resolves with its exit code and output; never rejects on
 * a non-zero exit, so tests can assert on failures. `-no-color` is added to every command.
 */
export function terraform(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = terraformEnv()): Promise<TerraformResult> {
  const [command, ...rest] = args;
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', [command, ...(command === 'version' ? [] : ['-no-color']), ...rest], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout, stderr }));
  });
}

/** Like {@link terraform}, but rejects with the full output when the exit code is not `expected`. */
export async function terraformOk(
  cwd: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
  expected = 0,
): Promise<TerraformResult> {
  const result = await terraform(cwd, args, env);
  if (result.exitCode !== expected) {
    throw new Error(
      `terraform ${args.join(' ')} in ${cwd} exited ${result.exitCode} (expected ${expected}):\n` +
        `${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** Writes `config` as `main.tf.json` in a new temporary folder and returns the folder. */
export function writeConfig(prefix: string, config: object): string {
  const dir = makeTempDir(prefix);
  writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));
  return dir;
}

/** One object event reported by the local S3 server. */
export interface S3ObjectEvent {
  /** `ObjectCreated:Put`, `ObjectRemoved:Delete`, ... */
  readonly eventName: string;
  readonly bucket: string;
  readonly key: string;
}

/** A local S3-compatible server (s3rver) on 127.0.0.1, started by {@link startS3Server}. */
export interface LocalS3Server {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Every object event since the server started, in order. */
  readonly events: S3ObjectEvent[];
  /** Lists the keys in `bucket` (ListObjectsV2, unsigned), sorted. */
  listKeys(bucket: string): Promise<string[]>;
  /** Reads one object's body as text (unsigned GET). */
  getText(bucket: string, key: string): Promise<string>;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: { Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string } } }[] }) => void): void;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

/**
 * Starts s3rver on 127.0.0.1 on a free port, storing its data under a temporary folder, with
 * `buckets` already created. s3rver checks request signatures against the `S3RVER`/`S3RVER`
 * key pair, which {@link S3RVER_CREDENTIALS} holds.
 */
export async function startS3Server(buckets: readonly string[]): Promise<LocalS3Server> {
  // s3rver ships no type declarations.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverConstructor;
  const instance = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: makeTempDir('s3rver'),
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const events: S3ObjectEvent[] = [];
  instance.on('event', (event) => {
    for (const record of event.Records) {
      events.push({ eventName: record.eventName, bucket: record.s3.bucket.name, key: record.s3.object.key });
    }
  });
  const { port } = await instance.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    events,
    async listKeys(bucket) {
      const response = await fetch(`${endpoint}/${bucket}?list-type=2`);
      const xml = await response.text();
      if (!response.ok) throw new Error(`ListObjectsV2 on ${bucket} failed: ${response.status} ${xml}`);
      return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]).sort();
    },
    async getText(bucket, key) {
      const response = await fetch(`${endpoint}/${bucket}/${key}`);
      const body = await response.text();
      if (!response.ok) throw new Error(`GetObject ${bucket}/${key} failed: ${response.status} ${body}`);
      return body;
    },
    close: () => instance.close(),
  };
}

/** The key pair s3rver accepts signatures from. Fake: it opens nothing outside this machine. */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;

/**
 * A partial backend configuration (`terraform init -backend-config=<file>`) with only what a
 * local S3 server needs on top of a synthesized `backend "s3"` block: its endpoint, path-style
 * addressing, and no calls to STS, IAM or the instance metadata service.
 */
export function localS3BackendOverrides(endpoint: string, options: { skipRegionValidation?: boolean } = {}): string {
  return [
    `endpoints = { s3 = "${endpoint}" }`,
    'use_path_style = true',
    'skip_credentials_validation = true',
    'skip_requesting_account_id = true',
    'skip_metadata_api_check = true',
    ...(options.skipRegionValidation === false ? [] : ['skip_region_validation = true']),
    '',
  ].join('\n');
}
