/**
 * The shipped environment list: each entry a profile plus its own overrides, resolved without
 * sharing anything with another, and each production-profile stack pinned to its account.
 */
import { ENVIRONMENT_DEFINITIONS, environments } from '../../config/environments';
import { resolveEnvironment, settingSources } from '../../config/profiles';
import { validateEnvironmentConfigs } from '../../config/schema';
import { DEV_DEFINITION, PROD_DEFINITION } from '../support/environments';
import { synthStack } from '../support/synth';

/** Every object reachable from `value`, itself included. */
function objectsIn(value: unknown, seen = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null && !seen.has(value)) {
    seen.add(value);
    for (const child of Object.values(value)) objectsIn(child, seen);
  }
  return seen;
}

describe('config/environments.ts', () => {
  it('resolves and validates every environment', () => {
    expect(validateEnvironmentConfigs(environments).map((e) => e.environment)).toEqual(ENVIRONMENT_DEFINITIONS.map((d) => d.environment));
  });

  it('shares no object between two environments: no environment reads or aliases another\'s values', () => {
    const fresh = ENVIRONMENT_DEFINITIONS.map(resolveEnvironment);
    for (const [i, a] of fresh.entries()) {
      for (const b of fresh.slice(i + 1)) {
        const shared = [...objectsIn(a)].filter((o) => objectsIn(b).has(o));
        expect({ pair: [a.environment, b.environment], shared }).toEqual({ pair: [a.environment, b.environment], shared: [] });
      }
    }
  });

  it('gives a change to one profile default to every environment of that profile, and to no environment that overrides it', () => {
    const base = resolveEnvironment({ environment: 'one', profile: 'workshop', region: 'eu-west-1' });
    const overridden = resolveEnvironment({ environment: 'two', profile: 'workshop', region: 'eu-west-1', overrides: { database: { allocatedStorageGiB: 50 } } });
    expect([base.database.allocatedStorageGiB, overridden.database.allocatedStorageGiB]).toEqual([20, 50]);
    expect(overridden.database.instanceClass).toBe(base.database.instanceClass);
    expect(base.network.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  it('says where each resolved value came from: the profile, the region, or an override', () => {
    const sources = new Map(settingSources(DEV_DEFINITION).map((s) => [s.field, s.source]));
    expect(sources.get('namePrefix')).toBe('override');
    expect(sources.get('database.instanceClass')).toBe('profile workshop');
    expect(sources.get('network.availabilityZones')).toBe('profile workshop, from the region (config/regions.ts)');
    expect(sources.get('region')).toBe('definition');
  });

  it('lists the functions field by field, completed from the lambda defaults, and an override item by item', () => {
    const definition = {
      ...DEV_DEFINITION,
      overrides: { ...DEV_DEFINITION.overrides, lambda: { timeoutSeconds: 20 }, functions: [{ name: 'db-health', actions: ['health'], memorySizeMiB: 512 }] },
    };
    const resolved = resolveEnvironment(definition);
    expect(resolved.functions).toEqual([
      { name: 'db-health', actions: ['health'], entry: 'lambda-src/handler.ts', databaseAuth: 'master-secret', databaseRole: null, memorySizeMiB: 512, timeoutSeconds: 20, reservedConcurrentExecutions: null },
    ]);
    // The defaults leave lambda: each function carries its own.
    expect(resolved.lambda).not.toHaveProperty('timeoutSeconds');
    const sources = new Map(settingSources(definition).map((s) => [s.field, s.source]));
    expect(sources.get('functions.0.memorySizeMiB')).toBe('override');
    expect(sources.get('functions.0.actions')).toBe('override');
    expect(sources.get('functions.0.entry')).toBe('profile workshop');
  });

  it.each(environments.filter((e) => e.profile === 'production').map((e) => [e.environment, e]))(
    'pins every AWS provider of the production-profile %s to its account (allowed_account_ids)',
    (_name, config) => {
      const providers = (synthStack(config).doc as unknown as { provider: { aws: Array<Record<string, unknown>> } }).provider.aws;
      expect(providers.length).toBeGreaterThan(0);
      for (const provider of providers) expect(provider.allowed_account_ids).toEqual([config.account]);
    },
  );

  it('ships dev as the seed workshop and prod as the production example (dev- and prod-specific)', () => {
    expect(ENVIRONMENT_DEFINITIONS).toEqual(expect.arrayContaining([DEV_DEFINITION, PROD_DEFINITION]));
  });
});
