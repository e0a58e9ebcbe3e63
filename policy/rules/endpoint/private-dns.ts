import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const endpointPrivateDns = {
  id: 'WB-ENDPOINT-PRIVATE-DNS' as const,
  title: 'Interface endpoints enable private DNS',
  mirrors: [],
  severity: 'error',
  explanation:
    'With private DNS the SDK\'s default hostname (secretsmanager.<region>.amazonaws.com) resolves to the endpoint, ' +
    'so the function needs no custom endpoint URL and no route out. It needs enable_dns_support and ' +
    'enable_dns_hostnames on the VPC. Fix: vpc_endpoint_type = "Interface", private_dns_enabled = true.',
  evaluate: eachResource('aws_vpc_endpoint', (e) => {
    if (e.body.vpc_endpoint_type !== 'Interface') return undefined;
    return isTrue(e.body.private_dns_enabled) ? undefined : 'private_dns_enabled is not true';
  }),
} satisfies Rule;
