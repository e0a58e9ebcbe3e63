import type { Rule } from '../../types';
import { readPolicy, type Statement } from '../../policy-document';
import { eachResource } from '../../rule-helpers';

/** An OIDC provider: its ARN, or a reference to an `aws_iam_openid_connect_provider`'s. */
const OIDC_PROVIDER = /^(arn:[^:]+:iam::\d{12}:oidc-provider\/.+|\$\{aws_iam_openid_connect_provider\.[A-Za-z0-9_-]+\.arn\})$/;

/**
 * Why an Allow statement that trusts a federated principal does not pin it to exact tokens, or
 * undefined when it does: an OIDC provider, `sts:AssumeRoleWithWebIdentity` only, and `StringEquals`
 * on the provider's `:aud` and `:sub` claims with literal values, no other test on them (as
 * `StringLike`, whose wildcards admit other repositories, branches or environments).
 */
function federatedProblem(s: Statement): string | undefined {
  const providers = s.principals.Federated;
  const notProvider = providers.filter((p) => !OIDC_PROVIDER.test(p));
  if (notProvider.length > 0) return `not an OIDC provider: ${notProvider.join(', ')}`;
  const otherActions = s.actions.filter((a) => a !== 'sts:AssumeRoleWithWebIdentity');
  if (otherActions.length > 0 || s.notActions.length > 0 || s.actions.length === 0) {
    return `a federated principal may only use sts:AssumeRoleWithWebIdentity, not ${[...otherActions, ...s.notActions.map((a) => `NotAction ${a}`)].join(', ') || 'no Action'}`;
  }
  const claimTests = (claim: string): [string, string[]][] =>
    Object.entries(s.conditions).flatMap(([operator, keys]) =>
      Object.entries(keys)
        .filter(([key]) => key.toLowerCase().endsWith(`:${claim}`))
        .map(([, values]): [string, string[]] => [operator, values]),
    );
  for (const claim of ['aud', 'sub']) {
    const tests = claimTests(claim);
    if (tests.length === 0) return `the OIDC "${claim}" claim is not tested: anyone with a token of the provider could assume it`;
    const loose = tests.filter(([operator]) => operator !== 'StringEquals').map(([operator]) => operator);
    if (loose.length > 0) return `the OIDC "${claim}" claim is tested with ${loose.join(', ')}: only StringEquals admits exact values`;
    const wild = tests.flatMap(([, values]) => values).filter((v) => /[*?]/.test(v) || v === '');
    if (wild.length > 0) return `the OIDC "${claim}" claim admits ${wild.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return undefined;
}

/** Roles are assumable only by AWS service principals, or by exact tokens of an OIDC provider. */
export const iamTrustServicePrincipals = {
  id: 'WB-IAM-TRUST-SERVICE-PRINCIPALS' as const,
  title:
    'Role trust policies allow only Service principals, or an OIDC provider with StringEquals on its aud and sub claims (no "*", account or user principals)',
  mirrors: ['CKV_AWS_60', 'CKV_AWS_61', 'CKV_AWS_358'],
  severity: 'error',
  explanation:
    'The backend\'s roles are assumed by a service: lambda.amazonaws.com, vpc-flow-logs.amazonaws.com, ' +
    'monitoring.rds.amazonaws.com; the CI roles by GitHub Actions jobs through the account\'s OIDC provider. A "*" ' +
    'or account principal lets people assume it, and an OIDC trust without exact aud and sub values (a missing ' +
    'condition, StringLike, a wildcard) lets other repositories\' or branches\' workflows assume it. Fix: ' +
    'Principal = { Service: "<service>.amazonaws.com" }, ideally with an aws:SourceAccount condition; for OIDC, ' +
    'sts:AssumeRoleWithWebIdentity with StringEquals on <provider>:aud and on <provider>:sub listing each job\'s subject.',
  evaluate: eachResource('aws_iam_role', (role, doc) => {
    const policy = readPolicy(doc, role.body.assume_role_policy);
    if (!policy) return 'assume_role_policy is missing or cannot be read statically';
    for (const s of policy.statements.filter((st) => st.effect === 'Allow')) {
      const types = Object.keys(s.principals);
      if (types.length === 0) return 'an Allow statement has no Principal';
      const other = types.filter((t) => t !== 'Service' && t !== 'Federated');
      if (other.length > 0) return `an Allow statement trusts ${other.map((t) => `${t}: ${s.principals[t].join(', ')}`).join('; ')}`;
      if (types.includes('Federated')) {
        if (types.includes('Service')) return 'an Allow statement trusts a service and a federated principal at once; give each its own statement';
        const problem = federatedProblem(s);
        if (problem !== undefined) return problem;
        continue;
      }
      const bad = s.principals.Service.filter((p) => p.includes('*') || !/\.amazonaws\.com(\.cn)?$/.test(p));
      if (bad.length > 0) return `not a service principal: ${bad.join(', ')}`;
    }
    return undefined;
  }),
} satisfies Rule;
