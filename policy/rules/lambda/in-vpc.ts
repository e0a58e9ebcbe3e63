import type { Rule } from '../../types';
import { blocks, isSet } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const lambdaInVpc = {
  id: 'WB-LAMBDA-IN-VPC' as const,
  title: 'Lambda functions run in the VPC (vpc_config with subnets and security groups)',
  mirrors: ['CKV_AWS_117', 'NIST.800.53.R5-LambdaInsideVPC'],
  severity: 'error',
  explanation:
    'The database is reachable only inside the VPC, and the security groups are the function\'s network policy. ' +
    'Fix: vpc_config { subnet_ids = private subnets, security_group_ids = [lambda sg] }.',
  evaluate: eachResource('aws_lambda_function', (fn) => {
    const vpc = blocks(fn.body.vpc_config)[0];
    if (!vpc) return 'vpc_config is missing';
    return isSet(vpc.subnet_ids) && isSet(vpc.security_group_ids) ? undefined : 'vpc_config lacks subnet_ids or security_group_ids';
  }),
} satisfies Rule;
