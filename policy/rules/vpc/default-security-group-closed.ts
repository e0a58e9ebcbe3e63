import type { Rule } from '../../types';
import { blocks, refersTo, resources } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

const RULE_TYPES = ['aws_security_group_rule', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'];

/** Every VPC adopts its default security group and leaves it without rules. */
export const vpcDefaultSecurityGroupClosed = {
  id: 'WB-VPC-DEFAULT-SG-CLOSED' as const,
  title: "Every VPC's default security group is managed and has no rules",
  mirrors: ['CKV2_AWS_12', 'AVD-AWS-0173', 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed'],
  severity: 'error',
  explanation:
    'AWS creates a default security group that admits all traffic between its members and all egress; anything ' +
    'launched without an explicit group lands in it. Fix: declare an aws_default_security_group with ' +
    'vpc_id = vpc.id and no ingress/egress blocks, which makes Terraform remove its rules, and attach no rule ' +
    'resources to it.',
  evaluate: eachResource('aws_vpc', (vpc, doc) => {
    const groups = resources(doc, 'aws_default_security_group').filter((g) => refersTo(g.body.vpc_id, vpc));
    if (groups.length === 0) return 'no aws_default_security_group references this VPC, so its default rules stay';
    for (const g of groups) {
      if (blocks(g.body.ingress).length > 0 || blocks(g.body.egress).length > 0) {
        return `${g.address} declares ingress or egress rules`;
      }
      const attached = RULE_TYPES.flatMap((t) => resources(doc, t)).find((r) => refersTo(r.body.security_group_id, g));
      if (attached) return `${attached.address} adds a rule to the default security group`;
    }
    return undefined;
  }),
} satisfies Rule;
