import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

/** Subnets do not hand out public IPv4 addresses. */
export const vpcSubnetNoPublicIp = {
  id: 'WB-VPC-SUBNET-NO-PUBLIC-IP' as const,
  title: 'Subnets do not map public IPs on launch',
  mirrors: ['CKV_AWS_130', 'AVD-AWS-0164', 'NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled'],
  severity: 'error',
  explanation:
    'map_public_ip_on_launch = true makes a subnet public for every ENI placed in it. Fix: leave it unset or false.',
  evaluate: eachResource('aws_subnet', (s) =>
    isTrue(s.body.map_public_ip_on_launch) ? 'map_public_ip_on_launch is true' : undefined,
  ),
} satisfies Rule;
