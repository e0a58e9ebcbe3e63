import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { dev, prod } from '../../support/environments';
import { SecretsManagerEndpoint } from '../../../stacks/constructs/secrets-endpoint';
import { nameWhere, onlyResource, ref, resourcesOf, synthStack } from '../../support/synth';

describe('SecretsManagerEndpoint', () => {
  const devStack = synthStack(dev);
  const prodStack = synthStack(prod);
  const subnetNames = (doc: typeof devStack.doc, ids: string[]) => {
    const subnets = resourcesOf(doc, 'aws_subnet');
    return ids.map((id) => (subnets[id.replace(/^\$\{aws_subnet\.(.+)\.id\}$/, '$1')].tags as Record<string, string>).Name);
  };

  it('resolves the service name for the region', () => {
    expect(SecretsManagerEndpoint.serviceName('eu-west-1')).toBe('com.amazonaws.eu-west-1.secretsmanager');
  });

  it('is an interface endpoint with private DNS, named as in the seed, with the endpoint security group', () => {
    const endpointSg = nameWhere(devStack.doc, 'aws_security_group', 'name', 'workshop-endpoint-sm-sg');
    expect(devStack.json).toHaveResourceWithProperties(VpcEndpoint, {
      service_name: 'com.amazonaws.ap-southeast-1.secretsmanager',
      vpc_endpoint_type: 'Interface',
      private_dns_enabled: true,
      security_group_ids: [ref('aws_security_group', endpointSg, 'id')],
      tags: { Name: 'workshop-lambda-secretsmng-endpoint' },
    });
  });

  it('sits in the Lambda subnets: private1 in dev, private1 and private2 in prod', () => {
    const devEndpoint = onlyResource(devStack.doc, 'aws_vpc_endpoint').body;
    const devFunction = onlyResource(devStack.doc, 'aws_lambda_function').body;
    expect(subnetNames(devStack.doc, devEndpoint.subnet_ids)).toEqual(['workshop-backend-subnet-private1-ap-southeast-1a']);
    expect(devEndpoint.subnet_ids).toEqual(devFunction.vpc_config.subnet_ids);
    expect(subnetNames(prodStack.doc, onlyResource(prodStack.doc, 'aws_vpc_endpoint').body.subnet_ids)).toEqual([
      'workshop-prod-backend-subnet-private1-ap-southeast-1a',
      'workshop-prod-backend-subnet-private2-ap-southeast-1b',
    ]);
  });

  it('has a policy that lets only this account read only the database secret', () => {
    const db = onlyResource(devStack.doc, 'aws_db_instance').name;
    const policy = JSON.parse(onlyResource(devStack.doc, 'aws_vpc_endpoint').body.policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'ReadOnlyTheDatabaseSecretFromThisAccount',
        Effect: 'Allow',
        Principal: '*',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: `\${aws_db_instance.${db}.master_user_secret[0].secret_arn}`,
        Condition: { StringEquals: { 'aws:PrincipalAccount': expect.stringMatching(/^\$\{data\.aws_caller_identity\..+\.account_id\}$/) } },
      },
    ]);
  });

  it('admits 443 only from the Lambda security group', () => {
    const endpointSg = ref('aws_security_group', nameWhere(devStack.doc, 'aws_security_group', 'name', 'workshop-endpoint-sm-sg'), 'id');
    const lambdaSg = ref('aws_security_group', nameWhere(devStack.doc, 'aws_security_group', 'name', 'workshop-lambda-sg'), 'id');
    const ingress = Object.values(resourcesOf(devStack.doc, 'aws_vpc_security_group_ingress_rule')).filter((r) => r.security_group_id === endpointSg);
    expect(ingress).toEqual([
      expect.objectContaining({ referenced_security_group_id: lambdaSg, ip_protocol: 'tcp', from_port: 443, to_port: 443, description: expect.any(String) }),
    ]);
    const egress = Object.values(resourcesOf(devStack.doc, 'aws_vpc_security_group_egress_rule')).filter((r) => r.referenced_security_group_id === endpointSg);
    expect(egress).toEqual([expect.objectContaining({ security_group_id: lambdaSg, from_port: 443, to_port: 443 })]);
  });

  it('opens no CIDR anywhere: every rule references a security group', () => {
    for (const { doc } of [devStack, prodStack]) {
      for (const type of ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule']) {
        for (const rule of Object.values(resourcesOf(doc, type))) {
          expect(rule.cidr_ipv4).toBeUndefined();
          expect(rule.cidr_ipv6).toBeUndefined();
          expect(rule.referenced_security_group_id).toMatch(/^\$\{aws_security_group\./);
          expect(rule.description).toEqual(expect.any(String));
        }
      }
      expect(doc.resource.aws_security_group_rule).toBeUndefined();
      for (const group of Object.values(resourcesOf(doc, 'aws_security_group'))) {
        expect(group.ingress).toBeUndefined();
        expect(group.egress).toBeUndefined();
      }
    }
  });
});
