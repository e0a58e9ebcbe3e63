// Brings cdktf's jest matcher types (toHaveResourceWithProperties, ...) into the type check; jest.setup.js registers them.
import { Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { evaluateStack } from '../../policy';
import type { StateBackendSettings } from '../../config/state-backend';
import { CiAccessStack, type CiAccessStackProps } from '../../stacks/ci-access-stack';
import { POLICY_EXCEPTION_REASONS } from '../../stacks/constructs/policy-exceptions';
import { STATE_ACTIONS } from '../../stacks/constructs/ci-role';
import { resourcesOf, testApp, type TerraformDocument } from '../support/synth';

const team: StateBackendSettings = { bucket: 'acme-tfstate', region: 'eu-west-1', keyPrefix: 'workshop-backend', bootstrapBackend: 'local' };
const own: StateBackendSettings = { bucket: 'acme-prod-tfstate', region: 'ap-southeast-1', keyPrefix: 'wb', bootstrapBackend: 's3' };
const baseProps: CiAccessStackProps = {
  account: '111122223333',
  region: 'ap-southeast-1',
  repository: { owner: 'octo-org', name: 'workshop-backend', defaultBranch: 'main' },
  environments: [
    { environment: 'prod', stateBackend: own },
    { environment: 'staging', stateBackend: team },
  ],
};

function synth(props: Partial<CiAccessStackProps> = {}): { json: string; doc: TerraformDocument; stack: CiAccessStack } {
  const stack = new CiAccessStack(testApp(), 'ci-access-111122223333', { ...baseProps, ...props });
  const json = Testing.synth(stack);
  return { json, doc: JSON.parse(json) as TerraformDocument, stack };
}

/** The role named `name`, with its trust policy parsed. */
function role(doc: TerraformDocument, name: string): { address: string; trust: any } {
  const found = Object.entries(resourcesOf(doc, 'aws_iam_role')).filter(([, r]) => r.name === name);
  expect(found).toHaveLength(1);
  return { address: found[0][0], trust: JSON.parse(String(found[0][1].assume_role_policy)) };
}

/** The statements of the inline state policy of the role whose resource name is `roleAddress`, by Sid. */
function statePolicy(doc: TerraformDocument, roleAddress: string): Record<string, { Action: string[]; Resource: string[] }> {
  const policies = Object.values(resourcesOf(doc, 'aws_iam_role_policy')).filter((p) => p.role === `\${aws_iam_role.${roleAddress}.name}`);
  expect(policies).toHaveLength(1);
  return Object.fromEntries(JSON.parse(String(policies[0].policy)).Statement.map((s: any) => [s.Sid, { Action: s.Action, Resource: s.Resource }]));
}

/** The AWS managed policies attached to the role whose resource name is `roleAddress`. */
function managedPolicies(doc: TerraformDocument, roleAddress: string): string[] {
  return Object.values(resourcesOf(doc, 'aws_iam_role_policy_attachment'))
    .filter((a) => a.role === `\${aws_iam_role.${roleAddress}.name}`)
    .map((a) => String(a.policy_arn));
}

const PARTITION = /\$\{data\.aws_partition\.[\w-]+\.partition\}/;
const arn = (rest: string) => expect.stringMatching(new RegExp(`^arn:${PARTITION.source}:${rest.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));

describe('CiAccessStack', () => {
  it("creates the account's GitHub Actions OIDC provider for the audience sts.amazonaws.com", () => {
    expect(synth().json).toHaveResourceWithProperties(IamOpenidConnectProvider, {
      url: 'https://token.actions.githubusercontent.com',
      client_id_list: ['sts.amazonaws.com'],
    });
  });

  it('pins its provider to the account and tags every resource with its stack', () => {
    expect(synth().json).toHaveProviderWithProperties(AwsProvider, {
      region: 'ap-southeast-1',
      allowed_account_ids: ['111122223333'],
      default_tags: [{ tags: { Project: 'workshop-backend', Stack: 'ci-access-111122223333', ManagedBy: 'cdktf' } }],
    });
  });

  it('makes a plan role and a drift role for the account, and one apply role per environment, named by config/ci.ts', () => {
    const names = Object.values(resourcesOf(synth().doc, 'aws_iam_role')).map((r) => r.name).sort();
    expect(names).toEqual(['workshop-backend-ci-apply-prod', 'workshop-backend-ci-apply-staging', 'workshop-backend-ci-drift', 'workshop-backend-ci-plan']);
  });

  it.each([
    ['workshop-backend-ci-plan', 'repo:octo-org/workshop-backend:pull_request'],
    ['workshop-backend-ci-drift', 'repo:octo-org/workshop-backend:ref:refs/heads/main'],
    ['workshop-backend-ci-apply-prod', 'repo:octo-org/workshop-backend:environment:prod'],
    ['workshop-backend-ci-apply-staging', 'repo:octo-org/workshop-backend:environment:staging'],
  ])('lets %s be assumed only with a token of the provider for exactly %s', (name, subject) => {
    expect(role(synth().doc, name).trust).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'GitHubActionsJobs',
          Effect: 'Allow',
          Principal: { Federated: '${aws_iam_openid_connect_provider.github-oidc-provider.arn}' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
              'token.actions.githubusercontent.com:sub': [subject],
            },
          },
        },
      ],
    });
  });

  it('also admits the immutable subject when the repository has its ids', () => {
    const { doc } = synth({ repository: { ...baseProps.repository, ownerId: '42', repositoryId: '4242' } });
    expect(role(doc, 'workshop-backend-ci-apply-prod').trust.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:octo-org/workshop-backend:environment:prod',
      'repo:octo-org@42/workshop-backend@4242:environment:prod',
    ]);
  });

  it('gives plan and drift ReadOnlyAccess, and each apply role AdministratorAccess, as partition-aware ARNs', () => {
    const { doc } = synth();
    expect(managedPolicies(doc, role(doc, 'workshop-backend-ci-plan').address)).toEqual([arn('iam::aws:policy/ReadOnlyAccess')]);
    expect(managedPolicies(doc, role(doc, 'workshop-backend-ci-drift').address)).toEqual([arn('iam::aws:policy/ReadOnlyAccess')]);
    expect(managedPolicies(doc, role(doc, 'workshop-backend-ci-apply-prod').address)).toEqual([arn('iam::aws:policy/AdministratorAccess')]);
  });

  it.each(['workshop-backend-ci-plan', 'workshop-backend-ci-drift'])(
    'lets %s read the state of every environment of the account and take its lock, and write no state',
    (name) => {
      const { doc } = synth();
      expect(statePolicy(doc, role(doc, name).address)).toEqual({
        ListStateBuckets: { Action: [...STATE_ACTIONS.listBucket], Resource: [arn('s3:::acme-prod-tfstate'), arn('s3:::acme-tfstate')] },
        ReadState: { Action: ['s3:GetObject'], Resource: [arn('s3:::acme-prod-tfstate/wb/prod/terraform.tfstate'), arn('s3:::acme-tfstate/workshop-backend/staging/terraform.tfstate')] },
        LockState: {
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          Resource: [arn('s3:::acme-prod-tfstate/wb/prod/terraform.tfstate.tflock'), arn('s3:::acme-tfstate/workshop-backend/staging/terraform.tfstate.tflock')],
        },
      });
    },
  );

  it("lets an apply role read and write its own environment's state and lock, and no other environment's", () => {
    const { doc } = synth();
    expect(statePolicy(doc, role(doc, 'workshop-backend-ci-apply-prod').address)).toEqual({
      ListStateBuckets: { Action: ['s3:ListBucket'], Resource: [arn('s3:::acme-prod-tfstate')] },
      ReadState: { Action: ['s3:GetObject'], Resource: [arn('s3:::acme-prod-tfstate/wb/prod/terraform.tfstate')] },
      WriteState: { Action: ['s3:PutObject'], Resource: [arn('s3:::acme-prod-tfstate/wb/prod/terraform.tfstate')] },
      LockState: { Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [arn('s3:::acme-prod-tfstate/wb/prod/terraform.tfstate.tflock')] },
    });
  });

  it('adds no state policy for environments that keep local state', () => {
    const { doc } = synth({ environments: [{ environment: 'prod' }] });
    expect(resourcesOf(doc, 'aws_iam_role_policy')).toEqual({});
  });

  it('keeps its own state in the state bucket it is given, under its own key', () => {
    expect(JSON.parse(synth({ stateBackend: own }).json).terraform.backend.s3).toMatchObject({ bucket: 'acme-prod-tfstate', key: 'wb/ci-access-111122223333/terraform.tfstate' });
  });

  it('outputs the provider and every role ARN, one output per apply role', () => {
    const applyOutputs = baseProps.environments.map((e) => `apply_role_arn_${e.environment}`);
    expect(Object.keys(synth().doc.output).sort()).toEqual([...applyOutputs, 'drift_role_arn', 'oidc_provider_arn', 'plan_role_arn'].sort());
  });

  it('passes the policy pack, each managed policy finding suppressed on its attachment with its reason', () => {
    const report = evaluateStack(synth().stack);
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(report.problems).toEqual([]);
    const suppressed = report.results.filter((r) => r.status === 'suppressed');
    expect(suppressed.map((r) => `${r.ruleId} ${r.finding}`).sort()).toEqual(
      [
        ...['plan', 'drift'].flatMap(() => ['WB-IAM-NO-WILDCARD-ACTION', 'WB-IAM-NO-WILDCARD-RESOURCE'].map((id) => `${id} Policy::arn:aws:iam::aws:policy/ReadOnlyAccess`)),
        ...['prod', 'staging'].flatMap(() =>
          ['WB-IAM-NO-ADMIN-POLICY', 'WB-IAM-NO-WILDCARD-ACTION', 'WB-IAM-NO-WILDCARD-RESOURCE'].map((id) => `${id} Policy::arn:aws:iam::aws:policy/AdministratorAccess`),
        ),
      ].sort(),
    );
    for (const r of suppressed) {
      expect([POLICY_EXCEPTION_REASONS.ciReadOnlyAccess, POLICY_EXCEPTION_REASONS.ciApplyAdministratorAccess]).toContain(r.reason);
    }
    expect(report.results.filter((r) => r.ruleId === 'WB-IAM-TRUST-SERVICE-PRINCIPALS').map((r) => r.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it.each([
    [{ account: '1111' }, /account: received "1111"; allowed: an AWS account id of 12 digits/],
    [{ environments: [] }, /environments: received \[\]; allowed: at least one environment pinned to the account/],
    [{ environments: [{ environment: 'prod' }, { environment: 'prod' }] }, /environments: received \["prod","prod"\]; allowed: each environment once; repeated: prod/],
  ])('rejects invalid props %j with the field, the value and what is allowed', (props, message) => {
    expect(() => synth(props as Partial<CiAccessStackProps>)).toThrow(message);
  });
});
