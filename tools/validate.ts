/**
 * `npm run validate [-- STACK...] [--skip-synth]`: the real Terraform AWS provider reads every
 * synthesized stack, without an AWS account. For each stack: `terraform init` (a local provider
 * mirror when one is found, the registry otherwise), `terraform validate`, then
 * `terraform plan -refresh=false` against a loopback STS stand-in; the plan JSON is written next to
 * the stack (`<outdir>/stacks/<stack>/validate-plan.json`) and the plan guard (tools/plan-review.ts)
 * reviews it. One line per stack; docs/day-2.md explains each step.
 *
 * Exit codes: see {@link VALIDATE_EXIT_CODES}.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import pLimit from 'p-limit';
import { synthApp } from '../stacks/app';
import {
  describeProviderSource,
  findProviderSource,
  formatDiagnostic,
  planOffline,
  type Diagnostic,
  type ProviderSource,
  type StackDocument,
} from './offline-plan';
import { parsePlan, reviewPlan, type Io } from './plan-review';
import { startStsStandIn } from './sts-stand-in';

/** Every exit code of the command. */
export const VALIDATE_EXIT_CODES = {
  /** Every stack validated and planned, and the plan guard passed each plan. */
  ok: 0,
  /** A stack failed: the provider rejected it, or the plan guard blocked its plan. */
  failed: 1,
  /** The command line is wrong, synth failed, or a named stack was not synthesized. */
  usage: 2,
  /** Neither a provider mirror nor the Terraform registry can be reached. */
  noProvider: 3,
} as const;

/** The file the plan JSON of a stack is written to, inside the stack's folder. */
export const VALIDATE_PLAN_FILE = 'validate-plan.json';

const USAGE = 'Usage: npm run validate [-- STACK...] [--skip-synth]';


/** Options of {@link validate}. */
export interface ValidateOptions {
  /** The stacks to validate. @default - every stack in `<outdir>/stacks` */
  readonly stacks?: readonly string[];
  /** Use the stacks already synthesized. @default false */
  readonly skipSynth?: boolean;
  /** The synth output folder. @default CDKTF_OUTDIR, else 'cdktf.out' */
  readonly outdir?: string;
  /** The process environment (synth reads TF_STATE_* from it). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The provider to use. @default - {@link findProviderSource} */
  readonly source?: ProviderSource;
  /**
   * How many stacks are validated at once. Each stack's terraform commands still run one after
   * the other, and the lines are still printed in stack order, each as soon as it and the lines
   * before it are known.
   * @default 2: a provider process spends part of its start-up waiting for its 700 MB binary to
   *   be read, so two stacks overlap even on two cores
   */
  readonly concurrency?: number;
}

/** The result line of one stack. */
export interface StackOutcome {
  readonly stack: string;
  readonly ok: boolean;
  readonly line: string;
}

/** Validates and plans the stacks; returns the exit code. */
export async function validate(options: ValidateOptions, io: Io): Promise<number> {
  const env = options.env ?? process.env;
  const outdir = options.outdir ?? env.CDKTF_OUTDIR ?? 'cdktf.out';
  if (!options.skipSynth) {
    const code = synthApp({ outdir, env }, io.stderr);
    if (code !== 0) return VALIDATE_EXIT_CODES.usage;
  }
  const stacksDir = path.join(outdir, 'stacks');
  const synthesized = existsSync(stacksDir)
    ? readdirSync(stacksDir).filter((s) => existsSync(path.join(stacksDir, s, 'cdk.tf.json'))).sort()
    : [];
  const stacks = options.stacks && options.stacks.length > 0 ? [...options.stacks] : synthesized;
  const missing = stacks.filter((s) => !synthesized.includes(s));
  if (stacks.length === 0 || missing.length > 0) {
    io.stderr(
      `validate: ${missing.length > 0 ? `no synthesized stack ${missing.map((s) => `"${s}"`).join(', ')}` : 'no synthesized stack'} in ${stacksDir}; ` +
        `synthesized: ${synthesized.length > 0 ? synthesized.join(', ') : 'none'}. ` +
        'state-bootstrap is synthesized only when TF_STATE_BUCKET and TF_STATE_REGION are set.\n',
    );
    return VALIDATE_EXIT_CODES.usage;
  }

  const source = options.source ?? findProviderSource(env);
  if (source === undefined) {
    io.stderr(
      'validate: no hashicorp/aws provider: no filesystem mirror was found (set TF_PROVIDER_MIRROR to one) and the Terraform registry cannot be reached.\n',
    );
    return VALIDATE_EXIT_CODES.noProvider;
  }
  io.stdout(`validate: ${describeProviderSource(source)}\n`);
  if (options.stacks === undefined && !synthesized.includes('state-bootstrap')) {
    io.stdout('state-bootstrap: not synthesized (TF_STATE_BUCKET is unset); set TF_STATE_BUCKET and TF_STATE_REGION to validate it too\n');
  }

  const sts = await startStsStandIn();
  let failed = 0;
  try {
    const timed = async (stack: string) => {
      const started = performance.now();
      const outcome = await validateStack(stack, path.join(stacksDir, stack), source, sts.endpoint);
      return { outcome, seconds: ((performance.now() - started) / 1000).toFixed(0) };
    };
    const results = inPool(stacks, Math.max(1, options.concurrency ?? 2), timed);
    // Awaited in order below; a later stack's error is not left unhandled meanwhile.
    for (const result of results) result.catch(() => undefined);
    for (const result of results) {
      const { outcome, seconds } = await result;
      if (!outcome.ok) failed++;
      (outcome.ok ? io.stdout : io.stderr)(`${outcome.line} (${seconds} s)\n`);
    }
  } finally {
    await sts.close();
  }
  return failed > 0 ? VALIDATE_EXIT_CODES.failed : VALIDATE_EXIT_CODES.ok;
}

/**
 * Runs `work` on each of `items`, at most `limit` at once (p-limit), starting them in order; returns
 * one promise per item, in the order of `items`. A rejected `work` rejects only its own promise.
 */
export function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R>[] {
  const run = pLimit(limit);
  return items.map((item) => run(() => work(item)));
}

/** Validates and plans one stack folder and reviews its plan. */
export async function validateStack(stack: string, stackDir: string, source: ProviderSource, stsEndpoint: string): Promise<StackOutcome> {
  const doc = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as StackDocument;
  const result = await planOffline(doc, { source, stsEndpoint, workDir: path.join(stackDir, '.validate') });
  const mapped = result.mapped.length > 0 ? `; mapped for ${source.version}: ${result.mapped.join(', ')}` : '';
  if (!result.ok) {
    const errors = result.errors.map(formatDiagnostic).join(' | ');
    return { stack, ok: false, line: `${stack}: FAILED at terraform ${result.step}: ${errors}${hint(result.errors)}${mapped}` };
  }
  const planFile = path.join(stackDir, VALIDATE_PLAN_FILE);
  writeFileSync(planFile, result.planJson);
  const review = reviewPlan(parsePlan(result.planJson, planFile));
  const counts = ['create', 'update', 'replace', 'delete']
    .map((kind) => [kind, review.changes.filter((c) => c.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} to ${kind}`);
  const summary = counts.length > 0 ? counts.join(', ') : 'no changes';
  if (review.blocking.length > 0) {
    return {
      stack,
      ok: false,
      line: `${stack}: BLOCKED by plan:review (${review.blocking.map((c) => c.address).join(', ')}); plan ${planFile}${mapped}`,
    };
  }
  const attention = review.attention.length > 0 ? `, ${review.attention.length} need attention` : '';
  return { stack, ok: true, line: `${stack}: ok, ${summary}; plan:review passed${attention}; plan ${planFile}${mapped}` };
}

/** A pointer to the docs for provider errors whose fix is a known procedure. */
export function hint(errors: readonly Diagnostic[]): string {
  if (errors.some((e) => e.summary === 'Invalid index' && /master_user_secret/.test(e.code ?? ''))) {
    return ' (switching an existing instance to the managed password takes two steps: docs/day-2.md, "Switching an existing instance to the managed password: two steps")';
  }
  return '';
}

/** Parses the command line (without node and the script). */
export function parseArgs(argv: readonly string[]): { stacks: string[]; skipSynth: boolean } | { error: string } {
  const stacks: string[] = [];
  let skipSynth = false;
  for (const arg of argv) {
    if (arg === '--skip-synth') skipSynth = true;
    else if (arg.startsWith('-')) return { error: `Unknown option ${arg}.` };
    else stacks.push(arg);
  }
  return { stacks, skipSynth };
}

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  if ('error' in args) {
    io.stderr(`validate: ${args.error}\n${USAGE}\n`);
    process.exitCode = VALIDATE_EXIT_CODES.usage;
  } else {
    validate({ stacks: args.stacks.length > 0 ? args.stacks : undefined, skipSynth: args.skipSynth }, io).then(
      (code) => (process.exitCode = code),
      (error) => {
        process.stderr.write(`${(error as Error).stack ?? error}\n`);
        process.exitCode = 1;
      },
    );
  }
}
