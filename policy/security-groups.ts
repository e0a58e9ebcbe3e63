/** Every security-group rule of the document, inline or standalone, in one shape. */
import { blocks, isSet, resources, strings } from './terraform-json';
import type { TerraformDocument, TfResource } from './types';

export interface SgRule {
  /** The resource that declares the rule (the group for inline blocks). */
  readonly owner: TfResource;
  readonly direction: 'ingress' | 'egress';
  readonly description: unknown;
  /** Every CIDR the rule admits, IPv4 and IPv6. */
  readonly cidrs: string[];
  /** True when the peer is a security group, prefix list or `self` instead of (or besides) CIDRs. */
  readonly hasNonCidrPeer: boolean;
  /** `inline ingress #0` or the standalone rule's address, for messages. */
  readonly label: string;
}

export function securityGroupRules(doc: TerraformDocument): SgRule[] {
  const out: SgRule[] = [];
  for (const sg of resources(doc, 'aws_security_group')) {
    for (const direction of ['ingress', 'egress'] as const) {
      blocks(sg.body[direction]).forEach((b, i) =>
        out.push({
          owner: sg,
          direction,
          description: b.description,
          cidrs: [...strings(b.cidr_blocks), ...strings(b.ipv6_cidr_blocks)],
          hasNonCidrPeer: isSet(b.security_groups) || isSet(b.prefix_list_ids) || b.self === true,
          label: `inline ${direction} #${i}`,
        }),
      );
    }
  }
  for (const r of resources(doc, 'aws_security_group_rule')) {
    out.push({
      owner: r,
      direction: r.body.type === 'egress' ? 'egress' : 'ingress',
      description: r.body.description,
      cidrs: [...strings(r.body.cidr_blocks), ...strings(r.body.ipv6_cidr_blocks)],
      hasNonCidrPeer: isSet(r.body.source_security_group_id) || isSet(r.body.prefix_list_ids) || r.body.self === true,
      label: r.address,
    });
  }
  for (const [type, direction] of [
    ['aws_vpc_security_group_ingress_rule', 'ingress'],
    ['aws_vpc_security_group_egress_rule', 'egress'],
  ] as const) {
    for (const r of resources(doc, type)) {
      out.push({
        owner: r,
        direction,
        description: r.body.description,
        cidrs: [...strings(r.body.cidr_ipv4), ...strings(r.body.cidr_ipv6)],
        hasNonCidrPeer: isSet(r.body.referenced_security_group_id) || isSet(r.body.prefix_list_id),
        label: r.address,
      });
    }
  }
  return out;
}
