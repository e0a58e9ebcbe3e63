import type { Evaluation, Rule } from '../../types';
import { managedPolicyArn, OVERLY_BROAD_MANAGED_POLICIES, policyFinding } from '../../iam';
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
    // One verdict per attached ARN, keyed `Policy::<arn>` for an AWS managed policy, so a suppression's
    // appliesTo accepts that one policy and no other.
    const check = (address: string, arn: string): void => {
      const managed = managedPolicyArn(arn);
      const bad = OVERLY_BROAD_MANAGED_POLICIES.some((re) => re.test(arn));
      out.push({ address, compliant: !bad, finding: managed && policyFinding(managed), message: bad ? `attaches ${arn}` : 'compliant' });
    };
    for (const a of [...resources(doc, 'aws_iam_role_policy_attachment'), ...resources(doc, 'aws_iam_policy_attachment')]) {
      strings(a.body.policy_arn).forEach((arn) => check(a.address, arn));
    }
    for (const role of resources(doc, 'aws_iam_role')) {
      const arns = strings(role.body.managed_policy_arns);
      if (arns.length === 0) out.push({ address: role.address, compliant: true, message: 'compliant' });
      arns.forEach((arn) => check(role.address, arn));
    }
    return orNotApplicable(out, 'aws_iam_role, aws_iam_role_policy_attachment, aws_iam_policy_attachment');
  },
} satisfies Rule;
