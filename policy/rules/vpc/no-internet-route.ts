import type { Evaluation, Rule } from '../../types';
import { blocks, isAllIps, resources } from '../../terraform-json';

const TARGETS = ['gateway_id', 'nat_gateway_id', 'instance_id', 'vpc_peering_connection_id', 'egress_only_gateway_id', 'network_interface_id'];

function defaultRoute(route: Record<string, unknown>): string | undefined {
  const dest = [route.cidr_block, route.destination_cidr_block, route.ipv6_cidr_block, route.destination_ipv6_cidr_block];
  if (!dest.some(isAllIps)) return undefined;
  const target = TARGETS.find((t) => typeof route[t] === 'string' && route[t] !== '');
  return target ? `a default route (${dest.find(isAllIps)}) goes to ${target}` : undefined;
}

/** Subnets stay private: no internet gateway and no default route out of the VPC. */
export const vpcNoInternetRoute = {
  id: 'WB-VPC-NO-INTERNET-ROUTE' as const,
  title: 'No internet gateway and no 0.0.0.0/0 or ::/0 route (private subnets only)',
  mirrors: ['NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW', 'CKV2_AWS_35', 'CKV2_AWS_44'],
  severity: 'error',
  explanation:
    'The backend is private: the Lambda reaches Secrets Manager through an interface endpoint and RDS inside the ' +
    'VPC, so nothing needs a route to the internet. A subnet whose route table has a default route to a gateway is ' +
    'public or NAT-ed. Fix: remove the internet/NAT gateway and the default route; add an interface endpoint for ' +
    'any AWS service the function needs.',
  evaluate: (doc) => {
    const out: Evaluation[] = [];
    for (const igw of [...resources(doc, 'aws_internet_gateway'), ...resources(doc, 'aws_egress_only_internet_gateway')]) {
      out.push({ address: igw.address, compliant: false, message: 'an internet gateway makes subnets routable from the internet' });
    }
    for (const rt of resources(doc, 'aws_route_table')) {
      const bad = blocks(rt.body.route).map(defaultRoute).find((m) => m);
      out.push({ address: rt.address, compliant: !bad, message: bad ?? 'no default route' });
    }
    for (const r of resources(doc, 'aws_route')) {
      const bad = defaultRoute(r.body);
      out.push({ address: r.address, compliant: !bad, message: bad ?? 'not a default route' });
    }
    // Nothing routes anywhere: the compliant case itself, reported at stack level so the rule shows up.
    return out.length > 0 ? out : [{ address: 'stack', compliant: true, message: 'no internet gateway, route table or route' }];
  },
} satisfies Rule;
