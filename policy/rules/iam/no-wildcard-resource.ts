import type { Evaluation, Rule } from '../../types';
import { identityPolicies } from '../../iam';
import { isWildcardOnly } from '../../wildcard-only-actions';
import { orNotApplicable } from '../../rule-helpers';

/** `Resource: "*"` only for actions that cannot be scoped. */
export const iamNoWildcardResource = {
  id: 'WB-IAM-NO-WILDCARD-RESOURCE' as const,
  title: 'Identity policies use a wildcard resource only for actions that support no resource scoping',
  mirrors: ['CKV_AWS_355', 'CKV_AWS_286', 'CKV_AWS_287', 'CKV_AWS_288', 'CKV_AWS_289', 'CKV_AWS_290', 'AwsSolutions-IAM5'],
  severity: 'error',
  explanation:
    'A restrictable action on "*" (e.g. secretsmanager:GetSecretValue, ec2:CreateNetworkInterface) reaches every ' +
    'resource of its kind in the account. A Condition does not exempt a statement (as in cloudsplaining). ' +
    'Wildcards inside an ARN (log-group:NAME:*) are not "*" and pass, as in Checkov. Attached AWS managed policies ' +
    'are read from their published documents. Fix: scope the resource to the ARN, or move wildcard-only actions ' +
    '(ec2:Describe*, xray:Put*) into their own statement.',
  evaluate: (doc) =>
    orNotApplicable(
      identityPolicies(doc).map((p): Evaluation => {
        if (!p.document) {
          return {
            address: p.owner.address,
            compliant: false,
            finding: p.finding,
            message: p.managedArn ? `managed policy ${p.managedArn} is not in KNOWN_MANAGED_POLICIES` : 'policy document cannot be read statically',
          };
        }
        const bad = p.document.statements
          .filter((s) => s.effect === 'Allow' && (s.resources.some((r) => r === '*' || r === 'arn:aws:*:*:*:*') || s.notResources.length > 0))
          .flatMap((s) => s.actions.filter((a) => !isWildcardOnly(a)));
        const all = bad.map((a) => `${a} on "*"`);
        return {
          address: p.owner.address,
          compliant: all.length === 0,
          finding: p.finding,
          message: all.length === 0 ? 'compliant' : all.join(', '),
        };
      }),
      'identity policies (aws_iam_policy, aws_iam_role_policy, inline or attached managed policies)',
    ),
} satisfies Rule;
