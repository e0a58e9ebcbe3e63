/**
 * `npm run cost`: the monthly cost of each stack in USD, from its synthesized JSON, the dated price
 * table (tools/cost/prices.ts) and the usage assumptions (config/usage.ts).
 *
 *   npm run cost                                   # synthesize, then estimate every stack in ap-southeast-1
 *   npm run cost -- prod                           # only the named stacks
 *   npm run cost -- --usage invocationsPerMonth=5000000
 *   npm run cost -- --from cdktf.out               # read an existing synth instead of synthesizing
 *   npm run cost -- --from cdktf.out --base base/cdktf.out --write 'cdktf.out/stacks/{stack}/cost.md'
 *                                                  # CI: Markdown per stack with the change from the base branch
 *   npm run cost -- --markdown                     # Markdown on stdout instead of text
 *
 * Exits 1 with a message (no stack trace) when an override is invalid or a stack uses something
 * the table has no price for.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CI_ACCESS_STACK_PREFIX } from '../config/ci';
import { errors, invalidField } from '../config/errors';
import { DEFAULT_USAGE, USAGE, USAGE_FIELDS, type UsageAssumptions } from '../config/usage';
import { buildApp, exitCodeOf } from '../stacks/app';
import type { TerraformDocument } from '../policy/types';
import { EstimateProblems, estimateStack, providerRegion, type StackEstimate } from './cost/estimate';
import { PRICE_REGION } from './cost/prices';
import { basisLine, renderMarkdown, renderText } from './cost/report';

/** The options of one run. */
export interface CostOptions {
  /** Stacks to estimate; empty for all. */
  readonly stacks: readonly string[];
  /** A cdktf output folder to read instead of synthesizing. */
  readonly from?: string;
  /** The base branch's cdktf output folder, for the change of each stack. */
  readonly base?: string;
  /** Usage overrides applied to every stack. */
  readonly usage: Partial<UsageAssumptions>;
  /** Markdown on stdout instead of text. */
  readonly markdown: boolean;
  /** Also write each stack's Markdown to this path, `{stack}` replaced by its name. */
  readonly write?: string;
}

const USAGE_TEXT = 'npm run cost -- [STACK...] [--usage NAME=VALUE]... [--from DIR] [--base DIR] [--markdown] [--write PATH_WITH_{stack}]';

/**
 * Parses the command line.
 * @throws UserError (`errors.costEstimateFailed`) naming every bad argument
 */
export function parseCostArgs(argv: readonly string[]): CostOptions {
  const problems: string[] = [];
  const stacks: string[] = [];
  const usage: Partial<Record<keyof UsageAssumptions, number>> = {};
  let from: string | undefined;
  let base: string | undefined;
  let write: string | undefined;
  let markdown = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string | undefined => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        problems.push(invalidField(arg, next, `a value after ${arg}; usage: ${USAGE_TEXT}`));
        return undefined;
      }
      i++;
      return next;
    };
    if (arg === '--from') from = value();
    else if (arg === '--base') base = value();
    else if (arg === '--write') write = value();
    else if (arg === '--markdown') markdown = true;
    else if (arg === '--usage') {
      const pair = value();
      if (pair === undefined) continue;
      const [name, text] = pair.split('=', 2);
      const number = Number(text);
      if (!(USAGE_FIELDS as readonly string[]).includes(name)) {
        problems.push(invalidField('--usage', pair, `NAME=VALUE with NAME one of ${USAGE_FIELDS.join(', ')} (config/usage.ts)`));
      } else if (text === undefined || text.trim() === '' || !Number.isFinite(number) || number < 0) {
        problems.push(invalidField(`--usage ${name}`, text, 'a non-negative number, such as 1000000'));
      } else {
        usage[name as keyof UsageAssumptions] = number;
      }
    } else if (arg.startsWith('--')) problems.push(invalidField(arg, arg, `one of --from, --base, --usage, --markdown, --write; usage: ${USAGE_TEXT}`));
    else stacks.push(arg);
  }
  if (write !== undefined && !write.includes('{stack}')) problems.push(invalidField('--write', write, 'a path containing {stack}, such as cdktf.out/stacks/{stack}/cost.md'));
  if (problems.length > 0) throw errors.costEstimateFailed(problems);
  return { stacks, from, base, usage, markdown, write };
}

/** The synthesized JSON of every stack in a cdktf output folder, by stack name. */
export function readSynthesizedStacks(outdir: string): Map<string, TerraformDocument> {
  const stacksDir = path.join(outdir, 'stacks');
  const docs = new Map<string, TerraformDocument>();
  if (!existsSync(stacksDir)) return docs;
  for (const name of readdirSync(stacksDir).sort()) {
    const file = path.join(stacksDir, name, 'cdk.tf.json');
    if (existsSync(file)) docs.set(name, JSON.parse(readFileSync(file, 'utf8')) as TerraformDocument);
  }
  return docs;
}

/** Synthesizes the app into a temporary folder and reads every stack's JSON. */
function synthesizeStacks(env: NodeJS.ProcessEnv): Map<string, TerraformDocument> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cost-'));
  try {
    buildApp({ outdir, env }).synth();
    return readSynthesizedStacks(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The usage of a stack: its assumptions from config/usage.ts with the overrides applied. */
export function usageFor(stack: string, overrides: Partial<UsageAssumptions>): UsageAssumptions {
  return { ...(USAGE[stack] ?? DEFAULT_USAGE), ...overrides };
}

/**
 * Estimates the stacks of `docs`, and of `baseDocs` when given.
 * @throws UserError listing every stack that cannot be priced, or every unknown stack name
 */
export function estimateAll(
  docs: ReadonlyMap<string, TerraformDocument>,
  options: Pick<CostOptions, 'stacks' | 'usage'>,
  baseDocs?: ReadonlyMap<string, TerraformDocument>,
): { estimates: StackEstimate[]; base?: Map<string, StackEstimate | null>; skipped: string[] } {
  const unknown = options.stacks.filter((s) => !docs.has(s));
  if (unknown.length > 0) {
    throw errors.costEstimateFailed(unknown.map((s) => invalidField('STACK', s, `one of the synthesized stacks: ${[...docs.keys()].join(', ')}`)));
  }
  // Unnamed stacks that hold nothing the table prices are skipped, not failed: a state bucket in a
  // region without prices, and an account's CI roles (IAM is offered at no additional charge,
  // https://aws.amazon.com/iam/).
  const skipReason = (name: string, doc: TerraformDocument): string | undefined =>
    providerRegion(doc) !== PRICE_REGION ? `region ${providerRegion(doc)}` : name.startsWith(`${CI_ACCESS_STACK_PREFIX}-`) ? 'CI roles, IAM only' : undefined;
  const skipped =
    options.stacks.length > 0 ? [] : [...docs].flatMap(([name, doc]) => (skipReason(name, doc) === undefined ? [] : [`${name} (${skipReason(name, doc)})`]));
  const names = options.stacks.length > 0 ? options.stacks : [...docs.keys()].filter((n) => skipReason(n, docs.get(n)!) === undefined);
  const problems: string[] = [];
  const attempt = (stack: string, doc: TerraformDocument): StackEstimate | undefined => {
    try {
      return estimateStack(stack, doc, usageFor(stack, options.usage));
    } catch (error) {
      if (!(error instanceof EstimateProblems)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const estimates = names.map((name) => attempt(name, docs.get(name)!)).filter((e): e is StackEstimate => e !== undefined);
  let base: Map<string, StackEstimate | null> | undefined;
  if (baseDocs !== undefined) {
    base = new Map();
    for (const name of names) {
      const doc = baseDocs.get(name);
      // A base the head's table cannot price is reported as unknown, not as a failure of this run.
      let estimate: StackEstimate | null | undefined = null;
      if (doc) {
        try {
          estimate = estimateStack(name, doc, usageFor(name, options.usage));
        } catch (error) {
          if (!(error instanceof EstimateProblems)) throw error;
          estimate = undefined;
        }
      }
      if (estimate !== undefined) base.set(name, estimate);
    }
  }
  if (problems.length > 0) throw errors.costEstimateFailed(problems);
  return { estimates, base, skipped };
}

/** Runs the command; returns the process exit code. */
export function runCost(argv: readonly string[], io: { stdout: (text: string) => void; stderr: (text: string) => void }, env: NodeJS.ProcessEnv = process.env): number {
  return exitCodeOf(() => {
    const options = parseCostArgs(argv);
    const docs = options.from !== undefined ? readSynthesizedStacks(options.from) : synthesizeStacks(env);
    if (docs.size === 0) throw errors.costEstimateFailed([invalidField('--from', options.from, 'a cdktf output folder with stacks/<stack>/cdk.tf.json (run npm run synth first)')]);
    const baseDocs = options.base !== undefined ? readSynthesizedStacks(options.base) : undefined;
    const { estimates, base, skipped } = estimateAll(docs, options, baseDocs);
    const markdownOf = (e: StackEstimate) => renderMarkdown(e, base === undefined ? undefined : base.has(e.stack) ? base.get(e.stack) : undefined);
    if (options.markdown) io.stdout(estimates.map(markdownOf).join('\n'));
    else io.stdout(`${basisLine()}\n\n${estimates.map(renderText).join('\n')}`);
    if (skipped.length > 0) io.stderr(`Not estimated, nothing with a ${PRICE_REGION} price: ${skipped.join(', ')}\n`);
    if (options.write !== undefined) {
      for (const e of estimates) writeFileSync(options.write.replace(/\{stack\}/g, e.stack), markdownOf(e));
    }
  }, io.stderr);
}

if (require.main === module) {
  process.exitCode = runCost(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }) || process.exitCode;
}
