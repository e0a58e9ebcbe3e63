import type { Rule } from '../../types';
import { conditionKeys, hasWildcard, principalIds, readPolicy } from '../../policy-document';
import { eachResource } from '../../rule-helpers';

/** The read actions the function uses; https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
/** Conditions that pin the caller to this account or to one role. */
const ACCOUNT_KEYS = ['aws:principalaccount', 'aws:principalarn'];

export const endpointSecretsPolicy = {
  id: 'WB-ENDPOINT-SECRETS-POLICY' as const,
  title: 'The Secrets Manager endpoint has an explicit policy: read the database secret, from this account only',
  mirrors: ['CKV_AWS_283'],
  severity: 'error',
  explanation:
    'The default endpoint policy allows every action on every secret of every account through the endpoint. ' +
    'No scanner checks endpoint policies, so this rule does: every Allow statement grants only ' +
    `${SECRET_READ_ACTIONS.join(' / ')}, on exactly one secret ARN without wildcards, and carries an ` +
    'aws:PrincipalAccount or aws:PrincipalArn condition (a "*" principal without a condition is CKV_AWS_283). ' +
    'Fix: policy = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: [...], Resource: ' +
    'secretArn, Condition: { StringEquals: { "aws:PrincipalAccount": accountId } } }] }).',
  evaluate: eachResource('aws_vpc_endpoint', (e, doc) => {
    const service = String(e.body.service_name ?? '');
    if (!/secretsmanager$/.test(service)) return undefined;
    if (e.body.policy === undefined) return 'no policy: the default allows full access';
    const policy = readPolicy(doc, e.body.policy);
    if (!policy) return 'policy cannot be read statically';
    const allows = policy.statements.filter((s) => s.effect === 'Allow');
    if (allows.length === 0) return 'the policy allows nothing';
    const secrets = new Set<string>();
    for (const s of allows) {
      const extra = [...s.actions.filter((a) => !SECRET_READ_ACTIONS.includes(a)), ...s.notActions.map((a) => `NotAction ${a}`)];
      if (extra.length > 0) return `allows more than reading: ${extra.join(', ')}`;
      if (s.notResources.length > 0 || s.resources.length === 0) return 'a statement has no Resource or uses NotResource';
      for (const r of s.resources) {
        if (hasWildcard(r)) return `wildcard resource ${r}`;
        secrets.add(r);
      }
      const keys = conditionKeys(s);
      if (!keys.some((k) => ACCOUNT_KEYS.includes(k))) {
        return `the statement for ${principalIds(s).join(', ') || 'no principal'} has no aws:PrincipalAccount or aws:PrincipalArn condition`;
      }
    }
    return secrets.size === 1 ? undefined : `${secrets.size} secrets are named; expected the database secret only`;
  }),
} satisfies Rule;
