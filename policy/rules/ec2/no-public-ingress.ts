import type { Evaluation, Rule } from '../../types';
import { isAllIps } from '../../terraform-json';
import { securityGroupRules } from '../../security-groups';
import { orNotApplicable } from '../../rule-helpers';

/** No ingress from anywhere, on any port. */
export const ec2NoPublicIngress = {
  id: 'WB-EC2-NO-PUBLIC-INGRESS' as const,
  title: 'No ingress from 0.0.0.0/0 or ::/0 on any port, and every ingress names a peer',
  mirrors: ['CKV_AWS_24', 'CKV_AWS_25', 'CKV_AWS_260', 'CKV_AWS_277', 'AVD-AWS-0107', 'AwsSolutions-EC23'],
  severity: 'error',
  explanation:
    'Checkov and Trivy only look at ports 22/80/3389 or all ports; cdk-nag EC23 flags an all-IPs ingress on any ' +
    'port, and this rule takes that stricter reading. An ingress rule without any CIDR or security-group peer is ' +
    'flagged too (Checkov treats it as open). Fix: admit a security group (referenced_security_group_id) or the ' +
    'VPC CIDR on the one port the service listens on.',
  evaluate: (doc) =>
    orNotApplicable(
      securityGroupRules(doc)
        .filter((r) => r.direction === 'ingress')
        .map((r): Evaluation => {
          const open = r.cidrs.find(isAllIps) ?? (r.cidrs.includes('*') ? '*' : undefined);
          const failure = open
            ? `${r.label} admits ${open}`
            : r.cidrs.length === 0 && !r.hasNonCidrPeer
              ? `${r.label} names no CIDR and no security group`
              : undefined;
          return { address: r.owner.address, compliant: !failure, message: failure ?? 'compliant' };
        }),
      'ingress rules (inline, aws_security_group_rule, aws_vpc_security_group_ingress_rule)',
    ),
} satisfies Rule;
