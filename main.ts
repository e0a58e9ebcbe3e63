import { App } from 'cdktf';
import { addPolicyChecks } from './policy';
import { validateEnvironmentConfigs, type EnvironmentConfig } from './config/schema';
import { environments } from './config/environments';
import { ConfigurationError, ConfigurationErrors } from './config/errors';
import { StateBackendConfigError, configureStateBackend, stateBackendSettingsFromEnv } from './stacks/state-backend';
import { StateBootstrapStack } from './stacks/state-bootstrap-stack';
import { WorkshopBackendStack } from './stacks/workshop-backend-stack';

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
}

/**
 * Builds the app: one stack per environment, the state backend of each, the state-bootstrap stack
 * when a state bucket is configured, and the policy check on every stack.
 *
 * @throws ConfigurationErrors or StateBackendConfigError, before any stack is built.
 */
export function buildApp(options: BuildAppOptions = {}): App {
  const env = options.env ?? process.env;
  const configs = validateEnvironmentConfigs(options.environments ?? environments);
  const stateBackend = stateBackendSettingsFromEnv(env);
  const app = new App({ outdir: options.outdir ?? env.CDKTF_OUTDIR ?? 'cdktf.out' });
  for (const config of configs) {
    const stack = new WorkshopBackendStack(app, config.environment, { config });
    configureStateBackend(stack, config.environment, stateBackend);
  }
  // The bucket that holds the state, only when one is configured: README, "Team setup".
  if (stateBackend !== undefined) {
    new StateBootstrapStack(app, 'state-bootstrap', {
      bucketName: stateBackend.bucket,
      region: stateBackend.region,
      stateBackend: stateBackend.bootstrapBackend === 's3' ? stateBackend : undefined,
    });
  }
  // The policy pack runs on every synth: an unsuppressed finding fails it (README, "Security").
  addPolicyChecks(app);
  return app;
}

/**
 * Builds and synthesizes the app. Invalid configuration is printed as its message alone (field,
 * value, what is allowed), without a stack trace, and gives exit code 1; other errors propagate.
 *
 * @returns the process exit code: 0, or 1 for invalid configuration
 */
export function synthApp(options: BuildAppOptions = {}, stderr: (text: string) => void = (t) => process.stderr.write(t)): number {
  try {
    buildApp(options).synth();
    return 0;
  } catch (error) {
    if (error instanceof ConfigurationErrors || error instanceof ConfigurationError || error instanceof StateBackendConfigError) {
      stderr(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = synthApp() || process.exitCode;
}
