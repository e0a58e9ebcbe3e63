import type { Evaluation, Rule } from '../../types';
import { isMeaningfulDescription } from '../../terraform-json';
import { securityGroupRules } from '../../security-groups';
import { orNotApplicable } from '../../rule-helpers';

/** Every ingress/egress rule, inline or standalone, has a description. */
export const ec2SecurityGroupRuleDescription = {
  id: 'WB-EC2-SG-RULE-DESCRIPTION' as const,
  title: 'Every security group rule (inline or standalone) has a description',
  mirrors: ['CKV_AWS_23', 'AVD-AWS-0124'],
  severity: 'error',
  explanation:
    'Rule descriptions are the only place a port opening explains itself. Fix: set description on every ' +
    'aws_vpc_security_group_ingress_rule / _egress_rule (and inline block), e.g. "PostgreSQL from the Lambda".',
  evaluate: (doc) => {
    const byOwner = new Map<string, string[]>();
    for (const r of securityGroupRules(doc)) {
      const list = byOwner.get(r.owner.address) ?? [];
      if (!isMeaningfulDescription(r.description)) list.push(r.label);
      byOwner.set(r.owner.address, list);
    }
    return orNotApplicable(
      [...byOwner].map(([address, missing]): Evaluation => ({
        address,
        compliant: missing.length === 0,
        message: missing.length === 0 ? 'compliant' : `no description on ${missing.join(', ')}`,
      })),
      'security group rules (inline or standalone)',
    );
  },
} satisfies Rule;
