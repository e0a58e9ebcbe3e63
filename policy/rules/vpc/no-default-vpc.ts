import type { Rule } from '../../types';
import { resources } from '../../terraform-json';

/** The stack does not adopt the account's default VPC. */
export const vpcNoDefaultVpc = {
  id: 'WB-VPC-NO-DEFAULT-VPC' as const,
  title: 'No aws_default_vpc is declared',
  mirrors: ['CKV_AWS_148', 'AVD-AWS-0101'],
  severity: 'error',
  explanation:
    'The default VPC has public subnets and an internet gateway. Fix: build a dedicated VPC (stacks/constructs/network.ts) ' +
    'and do not manage the default one from this project.',
  evaluate: (doc) => {
    const found = resources(doc, 'aws_default_vpc');
    if (found.length === 0) return [{ address: 'stack', compliant: true, message: 'no aws_default_vpc' }];
    return found.map((r) => ({ address: r.address, compliant: false, message: 'the default VPC is managed by this stack' }));
  },
} satisfies Rule;
