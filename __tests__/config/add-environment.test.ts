/**
 * Adding an environment is one edit: a `staging` entry (production profile, eu-west-1, another
 * account) added to config/environments.ts in a scratch copy of the project, and nothing else
 * changed, is followed by synth, the policy gate, the cost report, `npm run environments` (the CI
 * workflows' matrix), the account's CI roles and the generated docs.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { projectCopy, runScript, withEnvironmentDefinition } from '../support/project-copy';

const STAGING_ACCOUNT = '444455556666';
const STAGING = `  {\n    environment: 'staging',\n    profile: 'production',\n    region: 'eu-west-1',\n    account: '${STAGING_ACCOUNT}',\n  },\n`;

/** A copy of the project's tracked files, sharing its node_modules, with `staging` added to the list. */
function projectWithStaging(): string {
  return projectCopy('staging-', { 'config/environments.ts': (source) => withEnvironmentDefinition(source, STAGING) });
}

describe('adding a staging environment in eu-west-1, in another account, with one edit', () => {
  let root: string;
  beforeAll(() => {
    root = projectWithStaging();
  });

  it('synthesizes its stack in its region, pinned to its account, through the policy gate', () => {
    const synth = runScript(root, 'synth', [], { CDKTF_OUTDIR: path.join(root, 'cdktf.out') });
    expect(synth.stderr).not.toContain('Policy check failed');
    expect(synth.status).toBe(0);
    const doc = JSON.parse(readFileSync(path.join(root, 'cdktf.out', 'stacks', 'staging', 'cdk.tf.json'), 'utf8'));
    expect(doc.provider.aws[0]).toMatchObject({ region: 'eu-west-1', allowed_account_ids: [STAGING_ACCOUNT] });
    const subnets = Object.values(doc.resource.aws_subnet as Record<string, { availability_zone: string }>).map((s) => s.availability_zone);
    expect([...new Set(subnets)].sort()).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  it('passes npm run policy, which reports it like every other stack', () => {
    const policy = runScript(root, 'policy', ['staging']);
    expect(policy.stdout).toMatch(/^staging: \d+ pass, \d+ not applicable, 4 suppressed, 0 fail, 0 bad suppressions: clean$/m);
    expect(policy.status).toBe(0);
  });

  it('is priced by npm run cost with its Region\'s prices and its profile\'s usage', () => {
    const cost = runScript(root, 'cost', ['staging']);
    expect(cost.stderr).not.toContain('Cannot estimate');
    expect(cost.status).toBe(0);
    expect(cost.stdout).toMatch(/^staging: \$[\d,.]+ a month, .*\(eu-west-1 prices, production usage\)$/m);
  });

  it('is in the list the CI workflows take their matrix from, with its own roles', () => {
    const list = runScript(root, 'environments', ['--json', '--ci']);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          environment: 'staging',
          profile: 'production',
          region: 'eu-west-1',
          account: STAGING_ACCOUNT,
          applyRoleArn: `arn:aws:iam::${STAGING_ACCOUNT}:role/workshop-backend-ci-apply-staging`,
          githubEnvironment: 'staging',
        }),
      ]),
    );
  });

  it("gets its account's CI roles: an apply role that trusts only its own GitHub environment", () => {
    const doc = JSON.parse(readFileSync(path.join(root, 'cdktf.out', 'stacks', `ci-access-${STAGING_ACCOUNT}`, 'cdk.tf.json'), 'utf8'));
    const roles = Object.values(doc.resource.aws_iam_role as Record<string, { name: string; assume_role_policy: string }>);
    const apply = roles.find((r) => r.name === 'workshop-backend-ci-apply-staging');
    expect(apply).toBeDefined();
    const subjects = JSON.parse(apply!.assume_role_policy).Statement.flatMap((st: { Condition: { StringEquals: Record<string, string | string[]> } }) =>
      [st.Condition.StringEquals['token.actions.githubusercontent.com:sub']].flat(),
    );
    expect(subjects.length).toBeGreaterThan(0);
    for (const subject of subjects) expect(subject).toMatch(/:environment:staging$/);
  });

  it('gets its column in the generated configuration table', () => {
    const docs = runScript(root, 'docs');
    expect(docs.status).toBe(0);
    expect(docs.stdout).toContain('docs/configuration.md: regenerated');
    expect(readFileSync(path.join(root, 'docs', 'configuration.md'), 'utf8')).toMatch(/\| Field \| Type \| Unit \| Description \| `dev` \| `prod` \| `staging` \|/);
  });
});
