/**
 * `npm run cost`: the monthly cost of each stack in USD, from its synthesized JSON, the price table
 * of its AWS provider's Region (tools/cost/prices.ts, each price dated and sourced) and the usage
 * assumptions of its environment's profile (config/usage.ts; the profile comes from
 * config/environments.ts).
 *
 *   npm run cost                                   # synthesize, then estimate every stack
 *   npm run cost -- prod                           # only the named stacks
 *   npm run cost -- --usage invocationsPerMonth=5000000
 *   npm run cost -- --from cdktf.out               # read an existing synth instead of synthesizing
 *   npm run cost -- --from cdktf.out --base base/cdktf.out --write 'cdktf.out/stacks/{stack}/cost.md'
 *                                                  # CI: Markdown per stack with the change from the base branch
 *   npm run cost -- --markdown                     # Markdown on stdout instead of text
 *
 * Exits 1 with a message (no stack trace) when an override is invalid, a stack's Region has no price
 * table, or a stack uses something its table has no price for. A stack that is not an environment
 * (the state-bootstrap stack) is estimated with no usage when its Region is priced, and otherwise,
 * unless named, skipped with a note on standard error.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CI_ACCESS_STACK_PREFIX } from '../config/ci';
import { errors, invalidField } from '../config/errors';
import { environments as configuredEnvironments } from '../config/environments';
import type { EnvironmentConfig, EnvironmentDefinition, ProfileName } from '../config/types';
import { NO_USAGE, USAGE_BY_PROFILE, USAGE_FIELDS, type UsageAssumptions } from '../config/usage';
import { buildApp, exitCodeOf } from '../stacks/app';
import type { TerraformDocument } from '../policy/types';
import { EstimateProblems, estimateStack, providerRegion, type StackEstimate } from './cost/estimate';
import { PRICED_REGIONS, pricesFor } from './cost/prices';
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
function synthesizeStacks(env: NodeJS.ProcessEnv, environmentList: readonly EnvironmentConfig[]): Map<string, TerraformDocument> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cost-'));
  try {
    buildApp({ outdir, env, environments: environmentList }).synth();
    return readSynthesizedStacks(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** What the cost report needs of an environment: its stack's name and its profile. */
export type StackProfile = Pick<EnvironmentDefinition, 'environment' | 'profile'>;

/** A stack's usage assumptions, and the profile they are from (null for a stack that is no environment). */
export interface StackUsage {
  readonly profile: ProfileName | null;
  readonly usage: UsageAssumptions;
}

/**
 * The usage of a stack: the assumptions of its environment's profile (config/usage.ts), or none for
 * a stack that is no environment, with the overrides applied.
 * @param environmentList the environments, whose names are the stacks' names
 */
export function usageFor(stack: string, overrides: Partial<UsageAssumptions>, environmentList: readonly StackProfile[] = configuredEnvironments): StackUsage {
  const profile = environmentList.find((e) => e.environment === stack)?.profile ?? null;
  return { profile, usage: { ...(profile === null ? NO_USAGE : USAGE_BY_PROFILE[profile]), ...overrides } };
}

/** The options of {@link estimateAll}. */
export interface EstimateAllOptions extends Pick<CostOptions, 'stacks' | 'usage'> {
  /**
   * The environments: which stacks are environments, and the profile of each.
   * @default the environments of config/environments.ts
   */
  readonly environments?: readonly StackProfile[];
}

/**
 * Estimates the stacks of `docs`, and of `baseDocs` when given, each with the prices of its own
 * Region. Without stack names, every environment's stack is estimated, and a stack that is no
 * environment (the state bucket, which may live in another Region) is skipped when its Region has
 * no prices; a named stack is always estimated.
 * @throws UserError listing every stack that cannot be priced (its Region without a table, or a
 *   resource without a price), or every unknown stack name
 */
export function estimateAll(
  docs: ReadonlyMap<string, TerraformDocument>,
  options: EstimateAllOptions,
  baseDocs?: ReadonlyMap<string, TerraformDocument>,
): { estimates: StackEstimate[]; base?: Map<string, StackEstimate | null>; skipped: string[] } {
  const environmentList = options.environments ?? configuredEnvironments;
  const unknown = options.stacks.filter((s) => !docs.has(s));
  if (unknown.length > 0) {
    throw errors.costEstimateFailed(unknown.map((s) => invalidField('STACK', s, `one of the synthesized stacks: ${[...docs.keys()].join(', ')}`)));
  }
  const isEnvironment = (name: string) => environmentList.some((e) => e.environment === name);
  // Unnamed stacks that are no environment and hold nothing the tables price are skipped, not
  // failed: a state bucket in a Region without prices, and an account's CI roles (IAM is offered at
  // no additional charge, https://aws.amazon.com/iam/).
  const skipReason = (name: string): string | undefined => {
    if (options.stacks.length > 0 || isEnvironment(name)) return undefined;
    if (name.startsWith(`${CI_ACCESS_STACK_PREFIX}-`)) return 'CI roles, IAM only';
    const region = providerRegion(docs.get(name)!);
    return pricesFor(region) === undefined ? `region ${region ?? 'unknown'}` : undefined;
  };
  const all = options.stacks.length > 0 ? options.stacks : [...docs.keys()];
  const names = all.filter((n) => skipReason(n) === undefined);
  const skipped = all.filter((n) => skipReason(n) !== undefined).map((n) => `${n} (${skipReason(n)})`);
  const problems: string[] = [];
  const estimate = (name: string, doc: TerraformDocument): StackEstimate => {
    const { profile, usage } = usageFor(name, options.usage, environmentList);
    return estimateStack(name, doc, usage, profile);
  };
  const attempt = (stack: string, doc: TerraformDocument): StackEstimate | undefined => {
    try {
      return estimate(stack, doc);
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
      // A base the head's tables cannot price is reported as unknown, not as a failure of this run.
      let result: StackEstimate | null | undefined = null;
      if (doc) {
        try {
          result = estimate(name, doc);
        } catch (error) {
          if (!(error instanceof EstimateProblems)) throw error;
          result = undefined;
        }
      }
      if (result !== undefined) base.set(name, result);
    }
  }
  if (problems.length > 0) throw errors.costEstimateFailed(problems);
  return { estimates, base, skipped };
}

/** Runs the command; returns the process exit code. */
export function runCost(
  argv: readonly string[],
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
  env: NodeJS.ProcessEnv = process.env,
  environmentList: readonly EnvironmentConfig[] = configuredEnvironments,
): number {
  return exitCodeOf(() => {
    const options = parseCostArgs(argv);
    const docs = options.from !== undefined ? readSynthesizedStacks(options.from) : synthesizeStacks(env, environmentList);
    if (docs.size === 0) throw errors.costEstimateFailed([invalidField('--from', options.from, 'a cdktf output folder with stacks/<stack>/cdk.tf.json (run npm run synth first)')]);
    const baseDocs = options.base !== undefined ? readSynthesizedStacks(options.base) : undefined;
    const { estimates, base, skipped } = estimateAll(docs, { ...options, environments: environmentList }, baseDocs);
    const markdownOf = (e: StackEstimate) => renderMarkdown(e, base === undefined ? undefined : base.has(e.stack) ? base.get(e.stack) : undefined);
    if (options.markdown) io.stdout(estimates.map(markdownOf).join('\n'));
    else io.stdout(`${basisLine()}\n\n${estimates.map(renderText).join('\n')}`);
    if (skipped.length > 0) io.stderr(`Not estimated (no environment; tools/cost/prices.ts prices only ${PRICED_REGIONS.join(', ')}, and IAM is free): ${skipped.join(', ')}\n`);
    if (options.write !== undefined) {
      for (const e of estimates) writeFileSync(options.write.replace(/\{stack\}/g, e.stack), markdownOf(e));
    }
  }, io.stderr);
}

if (require.main === module) {
  process.exitCode = runCost(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }) || process.exitCode;
}
