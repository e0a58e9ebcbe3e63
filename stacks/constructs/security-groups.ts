import { Construct } from 'constructs';
import { errors, invalidField } from '../../config/errors';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';

/** Props of {@link TcpFlow}. */
export interface TcpFlowProps {
  /** The group whose members open connections; gets the egress rule. */
  readonly from: SecurityGroup;
  /** The group whose members accept them; gets the ingress rule. */
  readonly to: SecurityGroup;
  /** The destination TCP port, 1 to 65535. */
  readonly port: number;
  /** What flows, e.g. `PostgreSQL (port 5432)`: the start of both rules' descriptions. */
  readonly service: string;
  /** What `from` stands for, e.g. `the Lambda`: the ingress rule reads `<service> from <fromName>`. */
  readonly fromName: string;
  /** What `to` stands for, e.g. `the database`: the egress rule reads `<service> to <toName>`. */
  readonly toName: string;
}

/**
 * One allowed TCP flow between two security groups, as the pair of standalone rules it needs:
 * an egress rule on `from` that references `to`, and an ingress rule on `to` that references
 * `from`. No CIDR is involved, so nothing outside the two groups is admitted.
 */
export class TcpFlow extends Construct {
  readonly egress: VpcSecurityGroupEgressRule;
  readonly ingress: VpcSecurityGroupIngressRule;

  constructor(scope: Construct, id: string, props: TcpFlowProps) {
    super(scope, id);
    if (!Number.isInteger(props.port) || props.port < 1 || props.port > 65535) {
      throw errors.invalidProps(`TcpFlow "${id}"`, [invalidField('port', props.port, 'an integer from 1 to 65535')]);
    }
    this.egress = new VpcSecurityGroupEgressRule(this, 'egress', {
      securityGroupId: props.from.id,
      referencedSecurityGroupId: props.to.id,
      ipProtocol: 'tcp',
      fromPort: props.port,
      toPort: props.port,
      description: `${props.service} to ${props.toName}`,
    });
    this.ingress = new VpcSecurityGroupIngressRule(this, 'ingress', {
      securityGroupId: props.to.id,
      referencedSecurityGroupId: props.from.id,
      ipProtocol: 'tcp',
      fromPort: props.port,
      toPort: props.port,
      description: `${props.service} from ${props.fromName}`,
    });
  }
}

/**
 * A security group with a name, a constant description and no rules of its own: rules are added as
 * standalone resources ({@link TcpFlow}). Terraform removes the allow-all egress rule AWS adds
 * to a new group (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/security_group).
 */
export function emptySecurityGroup(scope: Construct, id: string, props: { name: string; description: string; vpcId: string }): SecurityGroup {
  return new SecurityGroup(scope, id, {
    name: props.name,
    description: props.description,
    vpcId: props.vpcId,
    tags: { Name: props.name },
    // AWS cannot change a group's description (the provider replaces the group, and AWS refuses to
    // delete a group in use), so a description is fixed when the group is created: keep it
    // constant, put facts that vary in rule descriptions or tags. Groups created before a
    // description was reworded keep their old text rather than being replaced.
    lifecycle: { ignoreChanges: ['description'] },
  });
}
