/**
 * The two example environments most tests synthesize: `dev` (the workshop profile with the seed's
 * names) and `prod` (the production profile), resolved from definitions of their own, as
 * config/environments.ts ships them. Tests that use them check constructs and profiles, so they
 * keep passing whatever a team does to its own list; __tests__/config/environments.test.ts checks
 * the shipped list itself.
 */
import { resolveEnvironment } from '../../config/profiles';
import type { EnvironmentConfig, EnvironmentDefinition } from '../../config/types';

/** dev's definition as shipped. */
export const DEV_DEFINITION: EnvironmentDefinition = {
  environment: 'dev',
  profile: 'workshop',
  region: 'ap-southeast-1',
  overrides: { namePrefix: 'workshop', seedNames: true },
};

/** prod's definition as shipped, with AWS's documentation example account. */
export const PROD_DEFINITION: EnvironmentDefinition = {
  environment: 'prod',
  profile: 'production',
  region: 'ap-southeast-1',
  account: '111122223333',
};

/** The workshop profile's example: the seed's environment. */
export const dev: EnvironmentConfig = resolveEnvironment(DEV_DEFINITION);

/** The production profile's example. */
export const prod: EnvironmentConfig = resolveEnvironment(PROD_DEFINITION);
