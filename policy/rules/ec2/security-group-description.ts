import type { Rule } from '../../types';
import { isMeaningfulDescription } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

/** Security groups say what they are for. */
export const ec2SecurityGroupDescription = {
  id: 'WB-EC2-SG-DESCRIPTION' as const,
  title: 'Every security group has a description (not the "Managed by Terraform" default)',
  mirrors: ['CKV_AWS_23', 'AVD-AWS-0099', 'AwsSolutions-EC27'],
  severity: 'error',
  explanation:
    'A reviewer reading the console or a plan must see why a group exists. The provider fills in ' +
    '"Managed by Terraform" when description is missing, which Trivy flags. Fix: set description to what the ' +
    'group admits, e.g. "Database: PostgreSQL from the Lambda only".',
  evaluate: eachResource('aws_security_group', (sg) =>
    isMeaningfulDescription(sg.body.description) ? undefined : 'description is missing, too short or the provider default',
  ),
} satisfies Rule;
