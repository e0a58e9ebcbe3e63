import type { Evaluation, Rule } from '../../types';
import { identityPolicies } from '../../iam';
import { orNotApplicable } from '../../rule-helpers';

/** No Allow statement uses a wildcard action or NotAction. */
export const iamNoWildcardAction = {
  id: 'WB-IAM-NO-WILDCARD-ACTION' as const,
  title: 'Identity policies allow no "*" action, no "service:*" and no wildcard pattern, and use no NotAction',
  mirrors: ['CKV_AWS_62', 'CKV_AWS_63', 'CKV2_AWS_40', 'AVD-AWS-0345', 'AwsSolutions-IAM5'],
  severity: 'error',
  explanation:
    'Wildcard actions grant every current and future action of a service (or of AWS). cdk-nag IAM5 flags any "*" ' +
    'in an action, which this rule follows. Fix: list the actions, as named constants linked to the service ' +
    'authorization reference.',
  evaluate: (doc) =>
    orNotApplicable(
      identityPolicies(doc).map((p): Evaluation => {
        if (!p.document) {
          return { address: p.owner.address, compliant: false, finding: p.finding, message: p.managedArn ? `managed policy ${p.managedArn} is not in KNOWN_MANAGED_POLICIES` : 'policy document cannot be read statically' };
        }
        const bad = p.document.statements
          .filter((s) => s.effect === 'Allow')
          .flatMap((s) => [...s.actions.filter((a) => a.includes('*')), ...s.notActions.map((a) => `NotAction ${a}`)]);
        return {
          address: p.owner.address,
          compliant: bad.length === 0,
          finding: p.finding,
          message: bad.length === 0 ? 'compliant' : `wildcard actions: ${bad.join(', ')}`,
        };
      }),
      'identity policies (aws_iam_policy, aws_iam_role_policy, inline or attached managed policies)',
    ),
} satisfies Rule;
