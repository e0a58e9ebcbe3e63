/**
 * `npm run rehearse [-- STACK...] [--keep] [--concurrency N]`: a deploy rehearsal without an AWS
 * account. Every synthesized stack (`cdktf.out/stacks/<stack>/cdk.tf.json`; synthesized first when
 * missing) is applied with the real terraform and the real hashicorp/aws provider against a local
 * moto server of its own, re-planned (no changes, then the strict re-plan that shows only the known
 * moto gaps), its functions run (tools/rehearse/function-check.ts), torn down and destroyed, and checked for leftovers; a stack with a
 * final snapshot lives twice. Before the stacks, the state path: state-bootstrap applied with local
 * state, its state moved into the bucket it made, and every stack's state kept there with S3
 * locking, whose lock is shown to refuse a second writer. One line per step, with its time.
 * docs/rehearsal.md says what this proves and what it cannot.
 *
 * Stacks are rehearsed in scratch copies under the system's temporary folder, never in cdktf.out.
 * Exit codes: see {@link REHEARSE_EXIT_CODES}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pLimit from 'p-limit';
import { synthApp } from '../stacks/app';
import { AWS_PROVIDER_VERSION } from '../stacks/provider';
import { describeProviderSource, findProviderSource, type ProviderSource, type StackDocument } from './offline-plan';
import { MOTO_VERSION } from './rehearse/moto-gaps';
import { installedMotoVersion, motoInstallHint, type MotoServer } from './rehearse/moto-server';
import { rehearseStack, type StackRehearsal } from './rehearse/stack';
import { finishStatePath, prepareStatePath, STATE_BOOTSTRAP_STACK, type StatePath } from './rehearse/state-path';
import { formatDuration, RehearsalFailure } from './rehearse/terraform-steps';
import type { Io } from './plan-review';

/** Every exit code of the command. */
export const REHEARSE_EXIT_CODES = {
  /** Every stack and the state path passed. */
  ok: 0,
  /** A stack or the state path failed: the line says at which step, on which resource, with which AWS error. */
  failed: 1,
  /** The command line is wrong, synth failed, or a named stack was not synthesized. */
  usage: 2,
  /** terraform, the hashicorp/aws provider or moto is missing (also under CI=true: never a skip). */
  missing: 3,
} as const;

const USAGE = 'Usage: npm run rehearse [-- STACK...] [--keep] [--concurrency N]';


/** Options of {@link rehearse}. */
export interface RehearseOptions {
  /** The stacks to rehearse. @default - every stack in `<outdir>/stacks` but state-bootstrap, which the state path rehearses */
  readonly stacks?: readonly string[];
  /** The synth output folder. @default CDKTF_OUTDIR, else 'cdktf.out' */
  readonly outdir?: string;
  /** The process environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Keep the scratch folder after a rehearsal that passed (one that failed is always kept). @default false */
  readonly keep?: boolean;
  /**
   * How many stacks run at once, each with its own moto server and terraform (about 0.5 GiB each).
   * @default every stack at once: moto answers in milliseconds and the provider's fixed RDS waits
   *   dominate, so stacks overlap almost entirely
   */
  readonly concurrency?: number;
}

/** What is missing to rehearse, each with how to get it; empty when nothing is. */
export function missingPrerequisites(env: NodeJS.ProcessEnv, found: { terraform?: string; source?: ProviderSource; moto?: string }): string[] {
  return [
    ...(found.terraform ? [] : ['terraform (1.10 or newer) on PATH: https://developer.hashicorp.com/terraform/install']),
    ...(found.source ? [] : ['the hashicorp/aws provider: no filesystem mirror was found (set TF_PROVIDER_MIRROR to one) and the Terraform registry cannot be reached']),
    ...(found.moto ? [] : [`moto with its server extras (${motoInstallHint(MOTO_VERSION)}), for ${env.MOTO_PYTHON ?? 'python3'}`]),
  ];
}

/** The installed terraform's version, or undefined when there is no `terraform` on PATH. */
export function terraformVersion(): string | undefined {
  const probe = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  if (probe.status !== 0) return undefined;
  return (JSON.parse(probe.stdout) as { terraform_version?: string }).terraform_version;
}

/** Rehearses the stacks; returns the exit code. */
export async function rehearse(options: RehearseOptions, io: Io): Promise<number> {
  const started = Date.now();
  const env = options.env ?? process.env;
  const outdir = options.outdir ?? env.CDKTF_OUTDIR ?? 'cdktf.out';
  const found = { terraform: terraformVersion(), source: findProviderSource(env), moto: installedMotoVersion(env) };
  const missing = missingPrerequisites(env, found);
  if (missing.length > 0) {
    io.stderr(`rehearse: cannot run: missing ${missing.join('; ')}\n`);
    return REHEARSE_EXIT_CODES.missing;
  }
  const source = found.source!;
  io.stdout(`rehearse: terraform ${found.terraform}; ${describeProviderSource(source)}\n`);
  io.stdout(
    `rehearse: moto ${found.moto}${found.moto === MOTO_VERSION ? '' : ` (the moto gaps in tools/rehearse/moto-gaps.ts were seen with ${MOTO_VERSION}; expect the strict re-plan or a probe to tell what changed)`}\n`,
  );

  const stacksDir = path.join(outdir, 'stacks');
  const synthesized = () => (existsSync(stacksDir) ? readdirSync(stacksDir).filter((s) => existsSync(path.join(stacksDir, s, 'cdk.tf.json'))).sort() : []);
  const named = options.stacks ?? [];
  if (synthesized().length === 0 || named.some((s) => !synthesized().includes(s) && s !== STATE_BOOTSTRAP_STACK)) {
    io.stdout(`rehearse: synthesizing into ${outdir} (as npm run synth)\n`);
    if (synthApp({ outdir, env }, io.stderr) !== 0) return REHEARSE_EXIT_CODES.usage;
  }
  const available = synthesized().filter((s) => s !== STATE_BOOTSTRAP_STACK);
  const stacks = named.length > 0 ? named.filter((s) => s !== STATE_BOOTSTRAP_STACK) : available;
  const unknown = stacks.filter((s) => !available.includes(s));
  if (unknown.length > 0 || stacks.length === 0) {
    io.stderr(`rehearse: ${unknown.length > 0 ? `no synthesized stack ${unknown.map((s) => `"${s}"`).join(', ')}` : 'no stack to rehearse'} in ${stacksDir}; synthesized: ${available.join(', ') || 'none'}\n`);
    return REHEARSE_EXIT_CODES.usage;
  }
  const docs = new Map(stacks.map((s) => [s, JSON.parse(readFileSync(path.join(stacksDir, s, 'cdk.tf.json'), 'utf8')) as StackDocument]));
  const region = String([docs.get(stacks[0])!.provider?.aws ?? [{}]].flat()[0]?.region ?? 'us-east-1');

  const scratch = mkdtempSync(path.join(os.tmpdir(), 'workshop-backend-rehearse-'));
  const pluginCacheDir = path.join(os.homedir(), '.terraform.d', 'plugin-cache');
  io.stdout(`rehearse: stacks ${stacks.join(', ')} from ${stacksDir}, in parallel, each with its own moto server; ${STATE_BOOTSTRAP_STACK} first, for the state bucket; scratch ${scratch}\n`);

  const outcomes: { name: string; ok: boolean; line: string }[] = [];
  const fail = (name: string, error: unknown): void => {
    const line = error instanceof RehearsalFailure ? `${name}: ${error.message}` : `${name}: FAILED: ${(error as Error)?.stack ?? error}`;
    io.stderr(`${line}\n`);
    outcomes.push({ name, ok: false, line });
  };
  const stateHandle: { server?: MotoServer } = {};
  let state: StatePath | undefined;
  try {
    const stateStarted = Date.now();
    try {
      state = await prepareStatePath({ scratch, source, pluginCacheDir, region, env, report: (t) => io.stdout(`state: ${t}\n`) }, stateHandle);
      outcomes.push({ name: 'state', ok: true, line: `state: passed (${formatDuration(Date.now() - stateStarted)})` });
    } catch (error) {
      fail('state', error);
    }
    if (state !== undefined) {
      const statePath = state;
      const run = pLimit(Math.max(1, options.concurrency ?? stacks.length));
      await Promise.all(
        stacks.map((name, index) =>
          run(async () => {
            const stackStarted = Date.now();
            const handle: StackRehearsal = {};
            try {
              const backend = statePath.backendOf(name);
              await rehearseStack(
                {
                  name,
                  doc: docs.get(name)!,
                  sourceDir: path.join(stacksDir, name),
                  dir: path.join(scratch, name),
                  source,
                  pluginCacheDir,
                  backend,
                  report: (t) => io.stdout(`${name}: ${t}\n`),
                  lockDemo: index === 0 && backend.kind === 's3' ? { target: statePath.target, bucket: statePath.bucket, key: String(backend.block.key) } : undefined,
                },
                handle,
              );
              outcomes.push({ name, ok: true, line: `${name}: passed (${formatDuration(Date.now() - stackStarted)})` });
            } catch (error) {
              fail(name, error);
            } finally {
              await handle.server?.stop();
            }
          }),
        ),
      );
      try {
        await finishStatePath(statePath, (t) => io.stdout(`state: ${t}\n`));
      } catch (error) {
        fail('state', error);
      }
    }
  } finally {
    await stateHandle.server?.stop();
  }

  const ok = outcomes.every((o) => o.ok) && outcomes.length === stacks.length + 1;
  for (const outcome of outcomes.filter((o) => o.ok)) io.stdout(`rehearse: ${outcome.line}\n`);
  const age = source.version === AWS_PROVIDER_VERSION ? '' : `, with hashicorp/aws ${source.version}, older than the pin ${AWS_PROVIDER_VERSION}`;
  io.stdout(`rehearse: ${ok ? 'passed' : 'FAILED'} in ${formatDuration(Date.now() - started)}${age}\n`);
  if (ok && !options.keep) rmSync(scratch, { recursive: true, force: true });
  else io.stdout(`rehearse: scratch folder kept: ${scratch}\n`);
  return ok ? REHEARSE_EXIT_CODES.ok : REHEARSE_EXIT_CODES.failed;
}

/** Parses the command line (without node and the script). */
export function parseArgs(argv: readonly string[]): { stacks: string[]; keep: boolean; concurrency?: number } | { error: string } {
  const stacks: string[] = [];
  let keep = false;
  let concurrency: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--keep') keep = true;
    else if (arg === '--concurrency') {
      concurrency = Number(argv[++i]);
      if (!Number.isInteger(concurrency) || concurrency < 1) return { error: `--concurrency needs a whole number of at least 1, not "${argv[i] ?? ''}".` };
    } else if (arg.startsWith('-')) return { error: `Unknown option ${arg}.` };
    else stacks.push(arg);
  }
  return { stacks, keep, ...(concurrency === undefined ? {} : { concurrency }) };
}

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  if ('error' in args) {
    io.stderr(`rehearse: ${args.error}\n${USAGE}\n`);
    process.exitCode = REHEARSE_EXIT_CODES.usage;
  } else {
    rehearse({ stacks: args.stacks.length > 0 ? args.stacks : undefined, keep: args.keep, concurrency: args.concurrency }, io).then(
      (code) => (process.exitCode = code),
      (error) => {
        process.stderr.write(`${(error as Error).stack ?? error}\n`);
        process.exitCode = 1;
      },
    );
  }
}
