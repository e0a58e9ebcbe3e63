import { App } from 'cdktf';
import { addPolicyChecks } from './policy';
import { environments } from './stacks/environments';
import { WorkshopBackendStack } from './stacks/workshop-backend-stack';
import { configureStateBackend, stateBackendSettingsFromEnv } from './stacks/state-backend';
import { StateBootstrapStack } from './stacks/state-bootstrap-stack';

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
}

/** Builds the app: one stack per environment in stacks/environments.ts. */
export function buildApp(options: BuildAppOptions = {}): App {
  const env = options.env ?? process.env;
  const app = new App({ outdir: options.outdir ?? env.CDKTF_OUTDIR ?? 'cdktf.out' });
  const stateBackend = stateBackendSettingsFromEnv(env);
  for (const config of environments) {
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
  // The policy pack runs on every synth: an unsuppressed finding fails it (docs/security.md).
  addPolicyChecks(app);
  return app;
}

if (require.main === module) {
  buildApp().synth();
}
