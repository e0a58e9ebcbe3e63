/**
 * The real Terraform AWS provider, run offline as `npm run validate` runs it (tools/offline-plan.ts),
 * for tests that plan our stacks: a baseline plan, a prior state built from it
 * (./prior-state.ts), and plans of changed configurations against that state.
 *
 * Every terraform command that loads the provider costs 4 to 7 s of CPU, and a plan of many child
 * modules about what a plan of one does, so scenarios are planned together where they can be
 * ({@link OfflinePlanner.planEach}, ./batched-plan.ts): one `terraform plan` and one
 * `terraform show -json` for a whole batch.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import pLimit from 'p-limit';
import { findProviderSource, offlineEnv, planConfiguration, planOffline, runTerraform, type ProviderSource, type StackDocument } from '../../tools/offline-plan';
import { parsePlan, type PlanJson } from '../../tools/plan-review';
import { startStsStandIn, type StsStandIn } from '../../tools/sts-stand-in';
import { batchedRoot, combinedState, moduleArgs, splitBatchPlan } from './batched-plan';
import { priorStateFromPlan, resourceSchemas, type BaselinePlan, type ResourceSchema } from './prior-state';
import { describeIfAvailable } from './requirements';
import { scratchDir } from './scratch';

/** The provider the tests plan with, or undefined, found once per test file. */
export const PROVIDER_SOURCE: ProviderSource | undefined = findProviderSource();

/**
 * What is missing when {@link PROVIDER_SOURCE} is undefined, for `describeIfAvailable`
 * (./requirements.ts); undefined when the provider was found.
 */
export const PROVIDER_MISSING: string | undefined = PROVIDER_SOURCE
  ? undefined
  : 'the hashicorp/aws provider: no filesystem mirror of registry.terraform.io/hashicorp/aws was found (TF_CLI_CONFIG_FILE, ~/.terraformrc, ~/.terraform.d/plugins, /usr/share/terraform/plugins) and the Terraform registry cannot be reached';

/**
 * `describe` for tests that plan with the provider: the block when {@link PROVIDER_SOURCE} was
 * found; without it, a failing test under `CI=true` and a skipped block with a notice elsewhere
 * (./requirements.ts).
 */
export function describeWithProvider(name: string, body: () => void): void {
  describeIfAvailable(name, PROVIDER_MISSING, body);
}

/** A plan with the parts tests read: planned values, prior state, configuration. */
export type FullPlan = PlanJson & BaselinePlan;

/** One scenario of {@link OfflinePlanner.planEach}: a stack planned as one module of a batch. */
export interface PlanScenario {
  /** The synthesized stack (cdk.tf.json). */
  readonly doc: StackDocument;
  /**
   * A state of this stack alone (addresses without a module), as {@link OfflinePlanner.appliedStates} returns.
   * @default - none: every resource of the stack is planned for creation
   */
  readonly priorState?: object;
  /**
   * `-replace=<address>` and `-target=<address>` arguments, addresses relative to the stack.
   * @default - none
   */
  readonly planArgs?: readonly string[];
}

/**
 * Plans stacks offline; one per test file: {@link start} before the first plan, {@link close}
 * in afterAll.
 */
export class OfflinePlanner {
  private sts?: StsStandIn;
  private schemaCache?: Promise<Record<string, ResourceSchema>>;

  /** Runs `work` when fewer than the constructor's `concurrency` plans are running (p-limit). */
  private readonly slot: <T>(work: () => Promise<T>) => Promise<T>;

  /**
   * @param concurrency how many terraform runs (each a whole init-plan-show sequence, or a
   *   schema read) go at once: the provider spends most of a plan starting up and loading its
   *   schema, so two overlap well even on two cores, and the change-impact file never has more
   *   than two to run at a time (the scenario batch and the plan expected to fail)
   */
  constructor(
    private readonly source: ProviderSource,
    concurrency = 2,
  ) {
    this.slot = pLimit(concurrency);
  }

  /** Starts the STS stand-in the plans use (tools/sts-stand-in.ts). */
  async start(): Promise<void> {
    this.sts = await startStsStandIn();
  }

  /** Stops the STS stand-in; nothing to do when it was never started. */
  async close(): Promise<void> {
    await this.sts?.close();
  }

  /**
   * Plans `doc` (a synthesized cdk.tf.json) against `priorState`, or an empty state.
   * @returns the plan JSON and the configuration Terraform planned (the offline copy)
   * @throws Error naming the failed step and the provider's errors
   */
  async plan(doc: StackDocument, options: { priorState?: object; planArgs?: readonly string[] } = {}): Promise<{ plan: FullPlan; planned: StackDocument; workDir: string }> {
    const workDir = scratchDir('offline-plan-');
    const result = await this.slot(() => planOffline(doc, {
      source: this.source,
      stsEndpoint: this.sts!.endpoint,
      workDir,
      priorState: options.priorState,
      planArgs: options.planArgs,
      validate: false,
    }));
    if (!result.ok) {
      throw new OfflinePlanError(result.step, result.errors.map(formatError));
    }
    const planned = JSON.parse(readFileSync(path.join(workDir, 'main.tf.json'), 'utf8')) as StackDocument;
    return { plan: parsePlan(result.planJson, `plan of ${workDir}`) as FullPlan, planned, workDir };
  }

  /**
   * Plans every scenario (keys: module names, a letter then letters, digits, `_` or `-`) with ONE
   * `terraform plan -refresh=false` and one `terraform show -json`: each scenario is the child
   * module `module.<name>` of one root configuration, against one prior state combining theirs
   * (./batched-plan.ts).
   * @returns per scenario, its plan as if planned alone (addresses relative to the stack) and the
   *   configuration Terraform planned for it (the offline copy, without the provider block), and
   *   the batch's work folder
   * @throws OfflinePlanError naming the failed step and the provider's errors (addresses with
   *   their `module.<name>.` prefix): one failing scenario fails the whole batch, so a scenario
   *   expected to fail is planned on its own with {@link plan}
   */
  async planEach<K extends string>(scenarios: Readonly<Record<K, PlanScenario>>): Promise<{ plans: Record<K, { plan: FullPlan; planned: StackDocument }>; workDir: string }> {
    const entries = Object.entries(scenarios) as [K, PlanScenario][];
    const workDir = scratchDir('offline-batch-');
    const root = batchedRoot(Object.fromEntries(entries.map(([name, s]) => [name, s.doc])), this.source.version, this.sts!.endpoint);
    const withState = entries.filter(([, s]) => s.priorState !== undefined);
    const priorState = withState.length > 0 ? combinedState(Object.fromEntries(withState.map(([name, s]) => [name, s.priorState!])), root.providerOf) : undefined;
    const planArgs = entries.flatMap(([name, s]) => moduleArgs(name, s.planArgs ?? []));
    const result = await this.slot(() =>
      planConfiguration(root.files, root.mapped, { source: this.source, stsEndpoint: this.sts!.endpoint, workDir, priorState, planArgs, validate: false }),
    );
    if (!result.ok) throw new OfflinePlanError(result.step, result.errors.map(formatError));
    const batch = JSON.parse(result.planJson);
    const plans = Object.fromEntries(
      entries.map(([name]) => [
        name,
        { plan: parsePlan(JSON.stringify(splitBatchPlan(batch, name)), `plan of module.${name} in ${workDir}`) as FullPlan, planned: root.modules[name] },
      ]),
    ) as Record<K, { plan: FullPlan; planned: StackDocument }>;
    return { plans, workDir };
  }

  /** The provider's resource schemas (versions and types), read once per planner from an initialized folder. */
  async schemas(workDir: string): Promise<Record<string, ResourceSchema>> {
    this.schemaCache ??= this.slot(async () => {
      const result = await runTerraform(workDir, ['providers', 'schema', '-json'], offlineEnv(path.join(workDir, 'offline.tfrc')));
      if (result.exitCode !== 0) throw new Error(`terraform providers schema failed: ${result.stderr}`);
      return resourceSchemas(result.stdout);
    });
    return this.schemaCache;
  }

  /**
   * The state after applying each of `docs` from nothing (keys: module names, as for
   * {@link planEach}): its baseline plan, all of them planned in one batch, with the unknowns
   * filled (./prior-state.ts). Each state and baseline is of the stack alone (no module in its
   * addresses).
   */
  async appliedStates<K extends string>(docs: Readonly<Record<K, StackDocument>>): Promise<Record<K, { state: object; baseline: FullPlan }>> {
    const { plans, workDir } = await this.planEach(Object.fromEntries((Object.entries(docs) as [K, StackDocument][]).map(([name, doc]) => [name, { doc }])) as Record<K, PlanScenario>);
    const schemas = await this.schemas(workDir);
    return Object.fromEntries(
      (Object.entries(plans) as [K, { plan: FullPlan; planned: StackDocument }][]).map(([name, { plan, planned }]) => [
        name,
        { state: priorStateFromPlan(plan, planned, schemas), baseline: plan },
      ]),
    ) as Record<K, { state: object; baseline: FullPlan }>;
  }
}

/** One provider error on one line: `<summary>: <detail> (<address>)`. */
function formatError(e: { summary: string; detail: string; address?: string }): string {
  return `${e.summary}: ${e.detail}${e.address ? ` (${e.address})` : ''}`;
}

/** A failed offline plan: the step and the provider's errors. */
export class OfflinePlanError extends Error {
  constructor(
    readonly step: string,
    readonly errors: readonly string[],
  ) {
    super(`terraform ${step} failed:\n${errors.join('\n')}`);
    this.name = 'OfflinePlanError';
  }
}

/** The resource changes of `plan` other than no-op and read, as `[actions, address]`. */
export function changesOf(plan: PlanJson): [string, string][] {
  return plan.resource_changes
    .filter((rc) => rc.mode === 'managed' && !['no-op', 'read'].includes(rc.change.actions.join(',')))
    .map((rc) => [rc.change.actions.join(','), rc.address]);
}
