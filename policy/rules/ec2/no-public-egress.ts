import type { Evaluation, Rule } from '../../types';
import { isAllIps } from '../../terraform-json';
import { securityGroupRules } from '../../security-groups';
import { orNotApplicable } from '../../rule-helpers';

/** No egress to anywhere, on any port. */
export const ec2NoPublicEgress = {
  id: 'WB-EC2-NO-PUBLIC-EGRESS' as const,
  title: 'No egress to 0.0.0.0/0 or ::/0 on any port',
  mirrors: ['CKV_AWS_382', 'AVD-AWS-0104'],
  severity: 'error',
  explanation:
    'Checkov misses a standalone all-protocol egress rule; Trivy flags any all-IPs egress, on any port, as ' +
    'CRITICAL; this rule follows Trivy. The Lambda only needs 5432 to the database group and 443 to the endpoint ' +
    'group. Fix: use referenced_security_group_id (or the VPC CIDR) on egress rules.',
  evaluate: (doc) =>
    orNotApplicable(
      securityGroupRules(doc)
        .filter((r) => r.direction === 'egress')
        .map((r): Evaluation => {
          const open = r.cidrs.find(isAllIps);
          return {
            address: r.owner.address,
            compliant: !open,
            message: open ? `${r.label} allows egress to ${open}` : 'compliant',
          };
        }),
      'egress rules (inline, aws_security_group_rule, aws_vpc_security_group_egress_rule)',
    ),
} satisfies Rule;
