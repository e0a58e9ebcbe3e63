/**
 * Helpers that run the real `terraform` binary in temporary folders, isolated from the machine's
 * Terraform and AWS configuration. Terraform runs asynchronously, so servers that the test runs in
 * this process (s3rver) keep answering while it waits.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const cliConfig = path.join(tmpdir(), 'workshop-backend-empty.tfrc');
  writeFileSync(cliConfig, '');
  return {
    ...base,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    TF_INPUT: '0',
    TF_CLI_CONFIG_FILE: cliConfig,
    AWS_CONFIG_FILE: path.join(tmpdir(), 'workshop-backend-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmpdir(), 'workshop-backend-no-aws-credentials'),
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
