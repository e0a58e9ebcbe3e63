import type { Rule } from '../../types';
import { readPolicy } from '../../policy-document';
import { eachResource } from '../../rule-helpers';

/** Roles are assumable only by AWS service principals. */
export const iamTrustServicePrincipals = {
  id: 'WB-IAM-TRUST-SERVICE-PRINCIPALS' as const,
  title: 'Role trust policies allow only Service principals (no "*", account, user or federated principals)',
  mirrors: ['CKV_AWS_60', 'CKV_AWS_61'],
  severity: 'error',
  explanation:
    'Every role in this project is assumed by a service: lambda.amazonaws.com, vpc-flow-logs.amazonaws.com, ' +
    'monitoring.rds.amazonaws.com. A "*" or account principal lets people assume it. Fix: ' +
    'Principal = { Service: "<service>.amazonaws.com" }, ideally with an aws:SourceAccount condition.',
  evaluate: eachResource('aws_iam_role', (role, doc) => {
    const policy = readPolicy(doc, role.body.assume_role_policy);
    if (!policy) return 'assume_role_policy is missing or cannot be read statically';
    for (const s of policy.statements.filter((st) => st.effect === 'Allow')) {
      const types = Object.keys(s.principals);
      if (types.length === 0) return 'an Allow statement has no Principal';
      const other = types.filter((t) => t !== 'Service');
      if (other.length > 0) return `an Allow statement trusts ${other.map((t) => `${t}: ${s.principals[t].join(', ')}`).join('; ')}`;
      const bad = s.principals.Service.filter((p) => p.includes('*') || !/\.amazonaws\.com(\.cn)?$/.test(p));
      if (bad.length > 0) return `not a service principal: ${bad.join(', ')}`;
    }
    return undefined;
  }),
} satisfies Rule;
