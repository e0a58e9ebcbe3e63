import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { dev, prod } from '../../support/environments';
import { nameWhere, onlyResource, ref, resourcesOf, synthStack } from '../../support/synth';

describe('Network', () => {
  const devStack = synthStack(dev);
  const prodStack = synthStack(prod);

  it('creates the VPC with DNS support and DNS hostnames on, named as in the seed', () => {
    expect(devStack.json).toHaveResourceWithProperties(Vpc, {
      cidr_block: '10.0.0.0/16',
      enable_dns_support: true,
      enable_dns_hostnames: true,
      tags: { Name: 'workshop-backend-vpc' },
    });
  });

  it('lays out private1..private4 over two AZs as the VPC console does, none mapping public IPs', () => {
    const subnets = Object.values(resourcesOf(devStack.doc, 'aws_subnet'));
    expect(subnets.map((s) => [(s.tags as Record<string, string>).Name, s.cidr_block, s.availability_zone]).sort()).toEqual([
      ['workshop-backend-subnet-private1-ap-southeast-1a', '10.0.128.0/20', 'ap-southeast-1a'],
      ['workshop-backend-subnet-private2-ap-southeast-1b', '10.0.144.0/20', 'ap-southeast-1b'],
      ['workshop-backend-subnet-private3-ap-southeast-1a', '10.0.160.0/20', 'ap-southeast-1a'],
      ['workshop-backend-subnet-private4-ap-southeast-1b', '10.0.176.0/20', 'ap-southeast-1b'],
    ]);
    for (const subnet of subnets) expect(subnet.map_public_ip_on_launch).toBe(false);
    expect(devStack.json).toHaveResourceWithProperties(Subnet, { vpc_id: ref('aws_vpc', onlyResource(devStack.doc, 'aws_vpc').name, 'id') });
  });

  it('has no internet gateway, NAT gateway, public route or elastic IP', () => {
    for (const { doc } of [devStack, prodStack]) {
      for (const type of ['aws_internet_gateway', 'aws_nat_gateway', 'aws_egress_only_internet_gateway', 'aws_eip', 'aws_route']) {
        expect(doc.resource[type]).toBeUndefined();
      }
    }
  });

  it('manages the default security group with no rules at all', () => {
    const { body } = onlyResource(devStack.doc, 'aws_default_security_group');
    expect(body.ingress).toEqual([]);
    expect(body.egress).toEqual([]);
    expect(devStack.json).toHaveResourceWithProperties(DefaultSecurityGroup, {
      vpc_id: ref('aws_vpc', onlyResource(devStack.doc, 'aws_vpc').name, 'id'),
    });
  });

  it('sends a flow log of the VPC to a declared log group with retention, through a role only VPC Flow Logs can assume', () => {
    const vpc = onlyResource(devStack.doc, 'aws_vpc').name;
    const logGroup = nameWhere(devStack.doc, 'aws_cloudwatch_log_group', 'name', '/aws/vpc/workshop-backend-vpc/flow-logs');
    expect(devStack.json).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/vpc/workshop-backend-vpc/flow-logs', retention_in_days: 7 });
    expect(devStack.json).toHaveResourceWithProperties(FlowLog, {
      vpc_id: ref('aws_vpc', vpc, 'id'),
      log_destination: ref('aws_cloudwatch_log_group', logGroup, 'arn'),
      log_destination_type: 'cloud-watch-logs',
      traffic_type: 'REJECT',
    });
    const role = Object.values(resourcesOf(devStack.doc, 'aws_iam_role')).find((r) => r.name === 'workshop-vpc-flow-log-role')!;
    const trust = JSON.parse(role.assume_role_policy as string);
    expect(trust.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    ]);
    const policy = JSON.parse(onlyResource(devStack.doc, 'aws_iam_role_policy').body.policy);
    expect(policy.Statement[0].Resource).toEqual([
      ref('aws_cloudwatch_log_group', logGroup, 'arn'),
      `${ref('aws_cloudwatch_log_group', logGroup, 'arn')}:*`,
    ]);
  });

  it('keeps a year of ALL-traffic flow logs encrypted with the customer-managed key in prod', () => {
    const key = onlyResource(prodStack.doc, 'aws_kms_key').name;
    expect(prodStack.json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/aws/vpc/workshop-prod-backend-vpc/flow-logs',
      retention_in_days: 365,
      kms_key_id: ref('aws_kms_key', key, 'arn'),
    });
    expect(prodStack.json).toHaveResourceWithProperties(FlowLog, { traffic_type: 'ALL' });
  });

});
