import type { Rule } from '../../types';
import { refersTo, resources } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

const RULE_TYPES = new Set([
  'aws_security_group',
  'aws_security_group_rule',
  'aws_vpc_security_group_ingress_rule',
  'aws_vpc_security_group_egress_rule',
]);

/** Every security group protects something. */
export const ec2SecurityGroupAttached = {
  id: 'WB-EC2-SG-ATTACHED' as const,
  title: 'Every security group is attached to a resource (not an orphan)',
  mirrors: ['CKV2_AWS_5'],
  severity: 'error',
  explanation:
    'An orphan group is dead configuration that still shows up in reviews and can be picked by mistake later. ' +
    'Fix: attach it (vpc_security_group_ids, vpc_config.security_group_ids, security_group_ids) or delete it.',
  evaluate: eachResource('aws_security_group', (sg, doc) => {
    const consumer = resources(doc).find(
      (r) => !RULE_TYPES.has(r.type) && Object.entries(r.body).some(([k, v]) => k !== '//' && refersTo(v, sg)),
    );
    return consumer ? undefined : 'no resource outside the security-group rules references this group';
  }),
} satisfies Rule;
