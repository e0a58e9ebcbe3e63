import type { Evaluation, Rule } from '../../types';
import { OVERLY_BROAD_MANAGED_POLICIES } from '../../iam';
import { resources, strings } from '../../terraform-json';
import { orNotApplicable } from '../../rule-helpers';

/** No administrator, IAM-full or service-full-access managed policy is attached. */
export const iamNoAdminPolicy = {
  id: 'WB-IAM-NO-ADMIN-POLICY' as const,
  title: 'No AdministratorAccess, IAMFullAccess, PowerUserAccess or *FullAccess / SecretsManagerReadWrite attachment',
  mirrors: ['CKV_AWS_274', 'CKV2_AWS_56'],
  severity: 'error',
  explanation:
    'These managed policies grant far more than a function needs; SecretsManagerReadWrite (which the workshop ' +
    'suggests) lets the function read and change every secret in the account. Fix: a customer-managed policy ' +
    'that grants the named actions on the one secret (database.grantSecretRead(role)).',
  evaluate: (doc) => {
    const out: Evaluation[] = [];
    const check = (address: string, arns: string[]): void => {
      const bad = arns.filter((a) => OVERLY_BROAD_MANAGED_POLICIES.some((re) => re.test(a)));
      out.push({ address, compliant: bad.length === 0, message: bad.length ? `attaches ${bad.join(', ')}` : 'compliant' });
    };
    for (const a of [...resources(doc, 'aws_iam_role_policy_attachment'), ...resources(doc, 'aws_iam_policy_attachment')]) {
      check(a.address, strings(a.body.policy_arn));
    }
    for (const role of resources(doc, 'aws_iam_role')) check(role.address, strings(role.body.managed_policy_arns));
    return orNotApplicable(out, 'aws_iam_role, aws_iam_role_policy_attachment, aws_iam_policy_attachment');
  },
} satisfies Rule;
