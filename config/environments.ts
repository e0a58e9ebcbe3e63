import { resolveEnvironment } from './profiles';
import type { EnvironmentConfig, EnvironmentDefinition } from './types';

/**
 * Every environment, one stack each: a name, a profile (config/profiles.ts), where it deploys, and
 * only what differs from its profile. Adding an environment is one entry here; CI, the roles, the
 * cost report, the docs and the tests follow the list (docs/configuration.md, "Add an environment").
 * `npm run environments` prints each one's resolved settings and where each value came from.
 *
 * Replace before deploying: `prod`'s account, 111122223333, is the example account of AWS's
 * documentation, which synth points out until it is changed (the provider would refuse your
 * credentials anyway).
 */
export const ENVIRONMENT_DEFINITIONS: readonly EnvironmentDefinition[] = [
  {
    // The workshop as the seed builds it, in the seed's Region, with its resource names letter for
    // letter (`seedNames`, its misspelt `lamda` role included). Not pinned to an account, so a
    // workshop participant deploys it with whatever credentials they have.
    environment: 'dev',
    profile: 'workshop',
    region: 'ap-southeast-1',
    overrides: { namePrefix: 'workshop', seedNames: true },
  },
  {
    environment: 'prod',
    profile: 'production',
    region: 'ap-southeast-1',
    account: '111122223333',
  },
];

/** Every environment's configuration, resolved from {@link ENVIRONMENT_DEFINITIONS}; the app validates them. */
export const environments: readonly EnvironmentConfig[] = ENVIRONMENT_DEFINITIONS.map(resolveEnvironment);
