/**
 * What buildApp (stacks/app.ts) makes of the environment list beyond the environments' own stacks:
 * each stack's state backend, one state-bootstrap stack per state bucket, one ci-access stack per
 * account. Tests of the environments' stacks themselves are in workshop-backend-stack.test.ts.
 */
import { TerraformStack } from 'cdktf';
import { resolveEnvironment } from '../../config/profiles';
import { UserError } from '../../config/errors';
import type { EnvironmentDefinition } from '../../config/types';
import { buildApp, repositoryNotices } from '../../stacks/app';
import { CiAccessStack } from '../../stacks/ci-access-stack';
import { StateBootstrapStack } from '../../stacks/state-bootstrap-stack';
import { DEV_DEFINITION, PROD_DEFINITION } from '../support/environments';
import { scratchDir } from '../support/scratch';

const TEAM_STATE = { TF_STATE_BUCKET: 'team-tfstate', TF_STATE_REGION: 'eu-west-1' };
const REPOSITORY = { owner: 'octo-org', name: 'workshop-backend', defaultBranch: 'main' };
const staging: EnvironmentDefinition = {
  environment: 'staging',
  profile: 'production',
  region: 'eu-west-1',
  account: '444455556666',
  stateBackend: { bucket: 'acme-staging-tfstate', region: 'eu-west-1', bootstrapBackend: 's3' },
};

/** Builds the app for these definitions and returns its stacks' synthesized JSON, by stack id. */
function build(definitions: readonly EnvironmentDefinition[], env: NodeJS.ProcessEnv = {}): Map<string, any> {
  const app = buildApp({ outdir: scratchDir('app-'), env, environments: definitions.map(resolveEnvironment), repository: REPOSITORY, notice: () => undefined });
  return new Map(
    app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c)).map((stack) => [stack.node.id, JSON.parse(JSON.stringify(stack.toTerraform()))]),
  );
}

describe('buildApp', () => {
  it('makes the environments, the TF_STATE_* bucket, a bucket per account that names one, and the CI roles of each pinned account', () => {
    const app = buildApp({
      outdir: scratchDir('app-'),
      env: TEAM_STATE,
      environments: [DEV_DEFINITION, PROD_DEFINITION, staging].map(resolveEnvironment),
      repository: REPOSITORY,
      notice: () => undefined,
    });
    const stacks = app.node.children.map((c) => [c.node.id, c.constructor.name]);
    expect(stacks).toEqual([
      ['dev', 'WorkshopBackendStack'],
      ['prod', 'WorkshopBackendStack'],
      ['staging', 'WorkshopBackendStack'],
      ['state-bootstrap', 'StateBootstrapStack'],
      ['state-bootstrap-444455556666', 'StateBootstrapStack'],
      ['ci-access-111122223333', 'CiAccessStack'],
      ['ci-access-444455556666', 'CiAccessStack'],
    ]);
    expect(app.node.findChild('state-bootstrap-444455556666')).toBeInstanceOf(StateBootstrapStack);
    expect(app.node.findChild('ci-access-444455556666')).toBeInstanceOf(CiAccessStack);
  });

  it("keeps an environment's state in its own bucket, and the others' in the TF_STATE_* bucket", () => {
    const stacks = build([DEV_DEFINITION, PROD_DEFINITION, staging], TEAM_STATE);
    expect(stacks.get('staging').terraform.backend.s3).toEqual({
      bucket: 'acme-staging-tfstate',
      key: 'workshop-backend/staging/terraform.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      use_lockfile: true,
    });
    for (const name of ['dev', 'prod']) {
      expect(stacks.get(name).terraform.backend.s3).toMatchObject({ bucket: 'team-tfstate', key: `workshop-backend/${name}/terraform.tfstate`, region: 'eu-west-1' });
    }
  });

  it("keeps an environment's state in its own bucket without any TF_STATE_* variable, the others' locally", () => {
    const stacks = build([DEV_DEFINITION, staging]);
    expect(stacks.get('staging').terraform.backend.s3).toMatchObject({ bucket: 'acme-staging-tfstate' });
    expect(stacks.get('dev').terraform.backend).toEqual({ local: { path: '../../../terraform.dev.tfstate' } });
    expect([...stacks.keys()]).not.toContain('state-bootstrap');
  });

  it("creates an account's bucket in that account, tagged with its stack, keeping its own state where bootstrapBackend says", () => {
    const bootstrap = build([staging]).get('state-bootstrap-444455556666');
    expect(bootstrap.provider.aws[0]).toMatchObject({
      region: 'eu-west-1',
      allowed_account_ids: ['444455556666'],
      default_tags: [{ tags: { Project: 'workshop-backend', Stack: 'state-bootstrap-444455556666', ManagedBy: 'cdktf' } }],
    });
    expect(Object.values(bootstrap.resource.aws_s3_bucket).map((b: any) => b.bucket)).toEqual(['acme-staging-tfstate']);
    expect(bootstrap.terraform.backend.s3).toMatchObject({ bucket: 'acme-staging-tfstate', key: 'workshop-backend/state-bootstrap-444455556666/terraform.tfstate' });
    const local = build([{ ...staging, stateBackend: { bucket: 'acme-staging-tfstate', region: 'eu-west-1' } }]).get('state-bootstrap-444455556666');
    expect(local.terraform.backend).toEqual({ local: { path: '../../../terraform.state-bootstrap-444455556666.tfstate' } });
  });

  it('names the bucket stack of an unpinned environment after the environment', () => {
    const stacks = build([{ ...DEV_DEFINITION, stateBackend: { bucket: 'workshop-dev-tfstate', region: 'ap-southeast-1' } }]);
    expect([...stacks.keys()]).toEqual(['dev', 'state-bootstrap-dev']);
    expect(stacks.get('state-bootstrap-dev').provider.aws[0]).not.toHaveProperty('allowed_account_ids');
  });

  it("gives each account's CI roles the state of that account's environments, and keeps the stack's own state in the account's bucket", () => {
    const stacks = build([DEV_DEFINITION, PROD_DEFINITION, staging], TEAM_STATE);
    const ci = stacks.get('ci-access-444455556666');
    expect(ci.terraform.backend.s3).toMatchObject({ bucket: 'acme-staging-tfstate', key: 'workshop-backend/ci-access-444455556666/terraform.tfstate' });
    const policies = Object.values(ci.resource.aws_iam_role_policy).map((p: any) => String(p.policy));
    expect(policies.every((p) => p.includes('acme-staging-tfstate/workshop-backend/staging/terraform.tfstate') && !p.includes('team-tfstate'))).toBe(true);
    const prodCi = stacks.get('ci-access-111122223333');
    expect(prodCi.terraform.backend.s3).toMatchObject({ bucket: 'team-tfstate', key: 'workshop-backend/ci-access-111122223333/terraform.tfstate' });
  });

  it('makes no CI roles for environments without an account, and then does not check the repository', () => {
    const app = buildApp({ outdir: scratchDir('app-'), env: {}, environments: [resolveEnvironment(DEV_DEFINITION)], repository: { owner: '', name: '', defaultBranch: '' }, notice: () => undefined });
    expect(app.node.children.map((c) => c.node.id)).toEqual(['dev']);
  });

  it('refuses an invalid repository as a user error before building any stack', () => {
    const build = () =>
      buildApp({ outdir: scratchDir('app-'), env: {}, environments: [resolveEnvironment(PROD_DEFINITION)], repository: { ...REPOSITORY, owner: 'octo/org' }, notice: () => undefined });
    expect(build).toThrow(UserError);
    expect(build).toThrow(/Invalid GitHub repository \(config\/repository\.ts\):\n {2}- owner: received "octo\/org"/);
  });

  it('says once when the repository owner is still the placeholder, and only when CI roles are built', () => {
    const lines: string[] = [];
    buildApp({ outdir: scratchDir('app-'), env: {}, environments: [resolveEnvironment(PROD_DEFINITION)], notice: (l) => lines.push(l) });
    expect(lines.filter((l) => l.startsWith('config/repository.ts:'))).toEqual([
      'config/repository.ts: owner "your-github-owner" is a placeholder; set your repository\'s owner and name before deploying a ci-access stack (its roles trust only that repository\'s workflow jobs).',
    ]);
    expect(repositoryNotices(REPOSITORY)).toEqual([]);
  });
});
