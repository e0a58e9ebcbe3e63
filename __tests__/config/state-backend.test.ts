/**
 * Each environment's own state backend (`stateBackend`): how a definition resolves, what validation
 * accepts across environments, and the one state-bootstrap stack per bucket. The `TF_STATE_*`
 * variables, the fallback, are tested with the synthesized backends in
 * __tests__/stacks/state-backend.test.ts.
 */
import { validateEnvironmentConfigs } from '../../config/schema';
import { resolveEnvironment, settingSources } from '../../config/profiles';
import { stateBackendOf, stateBootstrapStackName, stateBuckets, type StateBackendSettings } from '../../config/state-backend';
import type { EnvironmentDefinition } from '../../config/types';
import { DEV_DEFINITION, PROD_DEFINITION } from '../support/environments';
import { problemsOf, userErrorProblems } from '../support/config';

const PROD_BUCKET = { bucket: 'acme-prod-tfstate', region: 'ap-southeast-1' };
const prodWithBucket: EnvironmentDefinition = { ...PROD_DEFINITION, stateBackend: PROD_BUCKET };
const staging: EnvironmentDefinition = { environment: 'staging', profile: 'production', region: 'eu-west-1', account: '444455556666' };

/** The problems validation reports for these definitions, one line each; [] when it accepts them. */
const problemsOfAll = (definitions: readonly EnvironmentDefinition[]): string[] =>
  userErrorProblems(() => validateEnvironmentConfigs(definitions.map(resolveEnvironment)));

describe("an environment's stateBackend", () => {
  it('defaults to null, so the TF_STATE_* variables decide', () => {
    expect(resolveEnvironment(PROD_DEFINITION).stateBackend).toBeNull();
    expect(resolveEnvironment({ ...PROD_DEFINITION, stateBackend: null }).stateBackend).toBeNull();
  });

  it('resolves with the default key prefix and local bootstrap state', () => {
    expect(resolveEnvironment(prodWithBucket).stateBackend).toEqual({ ...PROD_BUCKET, keyPrefix: 'workshop-backend', bootstrapBackend: 'local' });
  });

  it('keeps a key prefix and a bootstrap backend it is given', () => {
    const config = resolveEnvironment({ ...PROD_DEFINITION, stateBackend: { ...PROD_BUCKET, keyPrefix: 'teams/web', bootstrapBackend: 's3' } });
    expect(config.stateBackend).toEqual({ ...PROD_BUCKET, keyPrefix: 'teams/web', bootstrapBackend: 's3' });
  });

  it('is listed by npm run environments as a field of the definition', () => {
    expect(settingSources(prodWithBucket).find((s) => s.field === 'stateBackend')).toEqual({
      field: 'stateBackend',
      value: { ...PROD_BUCKET, keyPrefix: 'workshop-backend', bootstrapBackend: 'local' },
      source: 'definition',
    });
  });

  it('is accepted with a valid bucket, Region and key prefix', () => {
    expect(problemsOf(resolveEnvironment(prodWithBucket))).toEqual([]);
  });

  it.each([
    ['a bucket name with capitals', { ...PROD_BUCKET, bucket: 'Acme_State' }, 'stateBackend.bucket: received "Acme_State"; allowed: 3 to 63 lowercase letters, digits, dots and hyphens'],
    ['a bucket name that is an IP address', { ...PROD_BUCKET, bucket: '10.0.0.1' }, 'stateBackend.bucket: received "10.0.0.1"; allowed: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no "..", not an IP address'],
    ['a Region not in the table', { ...PROD_BUCKET, region: 'xx-fake-1' }, 'stateBackend.region: received "xx-fake-1"; allowed: an AWS Region of the table in config/regions.ts'],
    ['an absolute key prefix', { ...PROD_BUCKET, keyPrefix: '/abs/' }, 'stateBackend.keyPrefix: received "/abs/"; allowed: up to 512 characters of path segments'],
    ['an unknown bootstrap backend', { ...PROD_BUCKET, bootstrapBackend: 'remote' }, 'stateBackend.bootstrapBackend: received "remote"; allowed: one of "local", "s3"'],
    ['a string instead of an object', 'acme-prod-tfstate', 'stateBackend: received "acme-prod-tfstate"; allowed: null (the TF_STATE_* variables decide), or { bucket, region, keyPrefix?, bootstrapBackend? }'],
  ])('rejects %s, naming the field, the value and what is allowed', (_name, stateBackend, message) => {
    expect(problemsOf(resolveEnvironment({ ...PROD_DEFINITION, stateBackend: stateBackend as never }))).toEqual([expect.stringContaining(message)]);
  });

  it('rejects an unknown field, naming it', () => {
    expect(problemsOf(resolveEnvironment({ ...PROD_DEFINITION, stateBackend: { ...PROD_BUCKET, dynamodbTable: 'locks' } as never }))).toEqual([
      expect.stringContaining('stateBackend: unknown field(s) "dynamodbTable"'),
    ]);
  });
});

describe('state buckets across environments', () => {
  it('accepts environments sharing one bucket with the same settings in one account', () => {
    const stagingSameAccount = { ...staging, account: PROD_DEFINITION.account, stateBackend: PROD_BUCKET };
    expect(problemsOfAll([DEV_DEFINITION, prodWithBucket, stagingSameAccount])).toEqual([]);
  });

  it('accepts a bucket per account', () => {
    expect(problemsOfAll([prodWithBucket, { ...staging, stateBackend: { bucket: 'acme-staging-tfstate', region: 'eu-west-1' } }])).toEqual([]);
  });

  it('rejects one bucket named with two Regions or key prefixes, naming the environment that gave it first', () => {
    const other = { ...staging, account: PROD_DEFINITION.account, stateBackend: { ...PROD_BUCKET, region: 'eu-west-1', keyPrefix: 'other' } };
    expect(problemsOfAll([prodWithBucket, other])).toEqual([
      'stateBackend.region: received "eu-west-1"; allowed: "ap-southeast-1", as environment "prod" gives it for the same bucket "acme-prod-tfstate": every environment that names a bucket gives it the same settings',
      'stateBackend.keyPrefix: received "other"; allowed: "workshop-backend", as environment "prod" gives it for the same bucket "acme-prod-tfstate": every environment that names a bucket gives it the same settings',
    ]);
  });

  it('rejects one bucket in two accounts', () => {
    expect(problemsOfAll([prodWithBucket, { ...staging, stateBackend: PROD_BUCKET }])).toEqual([
      'account: received "444455556666"; allowed: "111122223333", the account of environment "prod", which keeps its state in the same bucket "acme-prod-tfstate": a bucket belongs to one account',
    ]);
  });

  it('rejects a second bucket in one account, whose bootstrap stack would take the same name', () => {
    const second = { ...staging, account: PROD_DEFINITION.account, stateBackend: { bucket: 'acme-staging-tfstate', region: 'eu-west-1' } };
    expect(problemsOfAll([prodWithBucket, second])).toEqual([
      'stateBackend.bucket: received "acme-staging-tfstate"; allowed: "acme-prod-tfstate", the bucket environment "prod" keeps its state in: account 111122223333 has one state bucket, created by its one state-bootstrap-111122223333 stack',
    ]);
  });

  it.each(['state-bootstrap', 'state-bootstrap-dev', 'ci-access-prod'])('rejects an environment named %s, the name of a stack the app makes', (name) => {
    expect(problemsOf(resolveEnvironment({ ...DEV_DEFINITION, environment: name }))).toEqual([
      expect.stringContaining(`environment: received "${name}"; allowed: a stack name other than those the app gives its own stacks: "state-bootstrap", "state-bootstrap-*", "ci-access-*"`),
    ]);
  });
});

describe('stateBuckets', () => {
  const shared: StateBackendSettings = { bucket: 'team-tfstate', region: 'eu-west-1', keyPrefix: 'workshop-backend', bootstrapBackend: 'local' };

  it('gives each bucket one stack, named after its account, or its first environment when unpinned', () => {
    const configs = [
      resolveEnvironment({ ...DEV_DEFINITION, stateBackend: { bucket: 'dev-tfstate', region: 'ap-southeast-1' } }),
      resolveEnvironment(prodWithBucket),
      resolveEnvironment({ ...staging, account: PROD_DEFINITION.account, stateBackend: PROD_BUCKET }),
    ];
    expect(stateBuckets(configs).map(({ stackName, account, environments }) => ({ stackName, account, environments }))).toEqual([
      { stackName: 'state-bootstrap-dev', account: null, environments: ['dev'] },
      { stackName: 'state-bootstrap-111122223333', account: '111122223333', environments: ['prod', 'staging'] },
    ]);
  });

  it('leaves out environments without a bucket of their own, and the TF_STATE_BUCKET bucket, which state-bootstrap creates', () => {
    const configs = [resolveEnvironment(DEV_DEFINITION), resolveEnvironment({ ...PROD_DEFINITION, stateBackend: { bucket: 'team-tfstate', region: 'eu-west-1' } })];
    expect(stateBuckets(configs, shared.bucket)).toEqual([]);
  });

  it('names stacks deterministically', () => {
    expect(stateBootstrapStackName({ account: '111122223333', environment: 'prod' })).toBe('state-bootstrap-111122223333');
    expect(stateBootstrapStackName({ account: null, environment: 'dev' })).toBe('state-bootstrap-dev');
  });

  it("uses an environment's own backend before the TF_STATE_* one, and local state without either", () => {
    const own = resolveEnvironment(prodWithBucket);
    expect(stateBackendOf(own, shared)).toBe(own.stateBackend);
    expect(stateBackendOf(resolveEnvironment(DEV_DEFINITION), shared)).toBe(shared);
    expect(stateBackendOf(resolveEnvironment(DEV_DEFINITION), undefined)).toBeUndefined();
  });
});
