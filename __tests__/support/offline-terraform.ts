/**
 * The real Terraform AWS provider, run offline as `npm run validate` runs it (tools/offline-plan.ts),
 * for tests that plan our stacks: a baseline plan, a prior state built from it
 * (./prior-state.ts), and plans of changed configurations against that state.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findProviderSource, offlineEnv, planOffline, runTerraform, type ProviderSource, type StackDocument } from '../../tools/offline-plan';
import { parsePlan, type PlanJson } from '../../tools/plan-review';
import { startStsStandIn, type StsStandIn } from '../../tools/sts-stand-in';
import { priorStateFromPlan, resourceSchemas, type BaselinePlan, type ResourceSchema } from './prior-state';
import { scratchDir } from './scratch';

/** The provider the tests plan with, or undefined, found once per test file. */
export const PROVIDER_SOURCE: ProviderSource | undefined = findProviderSource();

/** Why planning tests are skipped, for the skipped describe's name. */
export const SKIP_REASON = 'skipped: no hashicorp/aws filesystem mirror was found and the Terraform registry cannot be reached';

/** A plan with the parts tests read: planned values, prior state, configuration. */
export type FullPlan = PlanJson & BaselinePlan;

/** Plans stacks offline; one per test file, started in beforeAll and closed in afterAll. */
export class OfflinePlanner {
  private sts?: StsStandIn;
  private schemaCache?: Promise<Record<string, ResourceSchema>>;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /**
   * @param concurrency how many plans run at once: the provider spends most of a plan starting up
   *   and loading its schema, so two overlap well even on two cores
   */
  constructor(
    private readonly source: ProviderSource,
    private readonly concurrency = 2,
  ) {}

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  async start(): Promise<void> {
    this.sts = await startStsStandIn();
  }

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
      throw new OfflinePlanError(result.step, result.errors.map((e) => `${e.summary}: ${e.detail}${e.address ? ` (${e.address})` : ''}`));
    }
    const planned = JSON.parse(readFileSync(path.join(workDir, 'main.tf.json'), 'utf8')) as StackDocument;
    return { plan: parsePlan(result.planJson, `plan of ${workDir}`) as FullPlan, planned, workDir };
  }

  /** The provider's resource schemas (versions and types), read once from an initialized folder. */
  async schemas(workDir: string): Promise<Record<string, ResourceSchema>> {
    this.schemaCache ??= this.slot(async () => {
      const result = await runTerraform(workDir, ['providers', 'schema', '-json'], offlineEnv(path.join(workDir, 'offline.tfrc')));
      if (result.exitCode !== 0) throw new Error(`terraform providers schema failed: ${result.stderr}`);
      return resourceSchemas(result.stdout);
    });
    return this.schemaCache;
  }

  /** The state after applying `doc` from nothing: its baseline plan with the unknowns filled. */
  async appliedState(doc: StackDocument): Promise<{ state: object; baseline: FullPlan }> {
    const { plan, planned, workDir } = await this.plan(doc);
    return { state: priorStateFromPlan(plan, planned, await this.schemas(workDir)), baseline: plan };
  }
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
