/**
 * The app: the library that builds and synthesizes every stack. main.ts runs it; the tools
 * (`npm run policy`, `cost`, `validate`, `docs`) and the tests import it.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { addPolicyChecks } from '../policy';
import { ciAccounts } from '../config/ci';
import { EXAMPLE_ACCOUNT_IDS, validateEnvironmentConfigs } from '../config/schema';
import type { EnvironmentConfig } from '../config/types';
import { environments } from '../config/environments';
import { errors, UserError } from '../config/errors';
import { PLACEHOLDER_OWNERS, REPOSITORY, validateRepository, type GitHubRepository } from '../config/repository';
import { STATE_BOOTSTRAP_STACK, stateBackendOf, stateBackendSettingsFromEnv, stateBuckets } from '../config/state-backend';
import { CiAccessStack } from './ci-access-stack';
import { configureStateBackend } from './state-backend';
import { STATE_BOOTSTRAP_DEFAULT_TAGS, StateBootstrapStack } from './state-bootstrap-stack';
import { WorkshopBackendStack } from './workshop-backend-stack';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /**
   * Folder the synthesized stacks go to.
   * @default 'cdktf.out' (or what the cdktf CLI passes in CDKTF_OUTDIR)
   */
  readonly outdir?: string;
  /**
   * The process environment, read here and nowhere else.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The environments to build, one stack each.
   * @default the `environments` of config/environments.ts
   */
  readonly environments?: readonly EnvironmentConfig[];
  /**
   * The GitHub repository whose workflow jobs the CI roles trust.
   * @default the `REPOSITORY` of config/repository.ts
   */
  readonly repository?: GitHubRepository;
  /**
   * Today, `YYYY-MM-DD` (UTC), against which waivers' expiry dates are checked.
   * @default - the current date
   */
  readonly today?: string;
  /**
   * Where notices go that do not stop the synth: a stack not pinned to an account, an example
   * account id still in place. One line each.
   * @default - standard error
   */
  readonly notice?: (line: string) => void;
  /**
   * Stack names the caller asked for (`npm run synth -- dev`): each must be a stack of the app, or
   * the synth fails with a user error. Every stack is synthesized all the same.
   * @default - none asked for
   */
  readonly stacks?: readonly string[];
}

/**
 * Builds the app: one stack per environment with its state backend (its own `stateBackend`, else
 * the `TF_STATE_*` bucket, else local state); the `state-bootstrap` stack of the `TF_STATE_*`
 * bucket when one is set; one `state-bootstrap-<account>` stack per bucket the environments name;
 * one `ci-access-<account>` stack of CI roles per account an environment is pinned to; and the
 * policy check on every stack.
 *
 * @throws UserError for invalid configuration, `TF_STATE_*` variables or repository, before any stack is built.
 */
export function buildApp(options: BuildAppOptions = {}): App {
  const env = options.env ?? process.env;
  const configs = validateEnvironmentConfigs(options.environments ?? environments, { today: options.today });
  const stateBackend = stateBackendSettingsFromEnv(env);
  const accounts = ciAccounts(configs);
  const repository = options.repository ?? REPOSITORY;
  if (accounts.length > 0) validateRepository(repository);
  const notice = options.notice ?? ((line: string) => void process.stderr.write(`${line}\n`));
  for (const line of [...accountNotices(configs), ...(accounts.length > 0 ? repositoryNotices(repository) : [])]) notice(line);
  const app = new App({ outdir: options.outdir ?? env.CDKTF_OUTDIR ?? 'cdktf.out' });
  for (const config of configs) {
    const stack = new WorkshopBackendStack(app, config.environment, { config });
    configureStateBackend(stack, config.environment, stateBackendOf(config, stateBackend));
  }
  // The bucket that holds the state, only when one is configured: docs/team-setup.md.
  if (stateBackend !== undefined) {
    new StateBootstrapStack(app, STATE_BOOTSTRAP_STACK, {
      bucketName: stateBackend.bucket,
      region: stateBackend.region,
      stateBackend: stateBackend.bootstrapBackend === 's3' ? stateBackend : undefined,
    });
  }
  // The buckets environments keep their own state in, one stack each (docs/team-setup.md, "State per account").
  for (const bucket of stateBuckets(configs, stateBackend?.bucket)) {
    new StateBootstrapStack(app, bucket.stackName, {
      bucketName: bucket.settings.bucket,
      region: bucket.settings.region,
      account: bucket.account,
      stateBackend: bucket.settings.bootstrapBackend === 's3' ? bucket.settings : undefined,
      tags: { ...STATE_BOOTSTRAP_DEFAULT_TAGS, Stack: bucket.stackName },
    });
  }
  // What GitHub Actions may do in each account (docs/team-setup.md, "3. CI roles").
  for (const { account, stackName, environments: names } of accounts) {
    const members = configs.filter((c) => names.includes(c.environment));
    const ciEnvironments = members.map((c) => ({ environment: c.environment, stateBackend: stateBackendOf(c, stateBackend) }));
    new CiAccessStack(app, stackName, {
      account,
      region: members[0].region,
      repository,
      environments: ciEnvironments,
      stateBackend: ciEnvironments.find((e) => e.stateBackend !== undefined)?.stateBackend,
    });
  }
  // The policy pack runs on every synth: an unsuppressed finding fails it (docs/security.md).
  addPolicyChecks(app);
  return app;
}

/** One line when the repository's owner is still a placeholder, which no workflow of yours runs in. */
export function repositoryNotices(repository: GitHubRepository): string[] {
  if (!PLACEHOLDER_OWNERS.includes(repository.owner)) return [];
  return [
    `config/repository.ts: owner "${repository.owner}" is a placeholder; set your repository's owner and name before deploying a ci-access stack (its roles trust only that repository's workflow jobs).`,
  ];
}

/**
 * One line per environment whose account a deployer should look at: not pinned (a workshop
 * environment without `account`), or pinned to an example id of AWS's documentation.
 */
export function accountNotices(configs: readonly EnvironmentConfig[]): string[] {
  return configs.flatMap((config) => {
    if (config.account === null) {
      return [
        `${config.environment}: not pinned to an AWS account; it deploys into whichever account your credentials belong to. Set "account" in config/environments.ts to pin it.`,
      ];
    }
    if (EXAMPLE_ACCOUNT_IDS.includes(config.account)) {
      return [
        `${config.environment}: account ${config.account} is an example id from AWS's documentation; replace it in config/environments.ts with your account's before deploying (the provider refuses credentials of any other account).`,
      ];
    }
    return [];
  });
}

/**
 * Builds and synthesizes the app, all or nothing: every stack is written to a scratch folder first,
 * and only when all of them passed (validation, the policy gate) does the output folder receive
 * them, so a failing synth leaves the output folder as it was. A {@link UserError} (configuration,
 * `TF_STATE_*` variables, stack props, the policy gate) is printed as its message alone (what is
 * wrong, each field with the value received and what is allowed, and the fix), without a stack
 * trace, and gives exit code 1. Any other error is a bug and propagates with its trace.
 *
 * @returns the process exit code: 0, or 1 for a user error
 */
export function synthApp(options: BuildAppOptions = {}, stderr: (text: string) => void = (t) => process.stderr.write(t)): number {
  const env = options.env ?? process.env;
  const outdir = path.resolve(options.outdir ?? env.CDKTF_OUTDIR ?? 'cdktf.out');
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'workshop-backend-synth-'));
  try {
    return exitCodeOf(() => {
      const app = buildApp({ ...options, outdir: scratch });
      requireKnownStacks('synth', options.stacks ?? [], app.node.children.map((c) => c.node.id));
      app.synth();
      publishSynth(scratch, outdir);
    }, stderr);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Moves a complete synth from `from` into `outdir`: the manifest, and for each stack its
 * `cdk.tf.json` and its `assets` (old asset folders removed, so none is orphaned). Everything else
 * in a stack's folder, such as terraform's `.terraform` and lock file, stays.
 */
function publishSynth(from: string, outdir: string): void {
  const stacksDir = path.join(from, 'stacks');
  for (const stack of existsSync(stacksDir) ? readdirSync(stacksDir) : []) {
    const target = path.join(outdir, 'stacks', stack);
    rmSync(path.join(target, 'assets'), { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    cpSync(path.join(stacksDir, stack), target, { recursive: true });
  }
  for (const entry of readdirSync(from)) {
    if (entry !== 'stacks') cpSync(path.join(from, entry), path.join(outdir, entry), { recursive: true });
  }
}

/**
 * Refuses stack names a command was given that are not among `known`, the stacks it can act on.
 * @throws UserError (`errors.unknownStacks`) naming each unknown name and the known stacks
 */
export function requireKnownStacks(command: string, requested: readonly string[], known: readonly string[]): void {
  const unknown = requested.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw errors.unknownStacks(command, unknown, known);
}

/**
 * Runs `work` and maps a {@link UserError} to its message on `stderr` and exit code 1.
 * @returns 0 when `work` returns, 1 after a user error; any other error propagates with its trace
 */
export function exitCodeOf(work: () => void, stderr: (text: string) => void = (t) => process.stderr.write(t)): number {
  try {
    work();
    return 0;
  } catch (error) {
    if (!UserError.is(error)) throw error;
    stderr(`${error.message}\n`);
    return 1;
  }
}
