import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { AccountContext } from './account-context';
import { resourceNames } from '../../config/names';
import { SECRET_READ_ACTIONS } from './database';
import type { Network } from './network';
import { TcpFlow, emptySecurityGroup } from './security-groups';

/** Props of {@link SecretsManagerEndpoint}. */
export interface SecretsManagerEndpointProps {
  /** Prefix of resource names: the endpoint is `<namePrefix>-lambda-secretsmng-endpoint`. */
  readonly namePrefix: string;
  /** The VPC; the endpoint's ENIs go into its Lambda subnets. */
  readonly network: Network;
  /** ARN of the one secret the endpoint policy lets this account read. */
  readonly secretArn: string;
}

/** HTTPS, the only port Secrets Manager's API listens on. */
const HTTPS_PORT = 443;

/**
 * An interface VPC endpoint for Secrets Manager with private DNS, so that the SDK's default host
 * name `secretsmanager.<region>.amazonaws.com` resolves to the endpoint's private addresses in
 * the Lambda subnets, with no NAT gateway or internet access (the seed's step 3).
 *
 * Its policy replaces the seed's "full access": principals of this account may call only
 * `GetSecretValue` and `DescribeSecret`, and only on the database secret. About $0.013/hour per
 * AZ plus $0.01/GB (AWS PrivateLink pricing), hence one AZ in `dev`.
 */
export class SecretsManagerEndpoint extends Construct {
  readonly endpoint: VpcEndpoint;
  /** Security group of the endpoint's ENIs; admits only what {@link allowHttpsFrom} opens. */
  readonly securityGroup: SecurityGroup;
  /** The endpoint's id (`vpce-...`). */
  readonly endpointId: string;
  /** The endpoint's DNS names, regional first then zonal (`dns_entry[*].dns_name`). */
  readonly dnsNames: string[];

  constructor(scope: Construct, id: string, props: SecretsManagerEndpointProps) {
    super(scope, id);
    const { namePrefix, network } = props;
    const account = AccountContext.of(this);
    this.securityGroup = emptySecurityGroup(this, 'security-group', {
      name: resourceNames.endpointSecurityGroup(namePrefix),
      description: 'Secrets Manager endpoint: admits 443 only from the Lambda security group',
      vpcId: network.vpcId,
    });
    this.endpoint = new VpcEndpoint(this, 'endpoint', {
      vpcId: network.vpcId,
      serviceName: SecretsManagerEndpoint.serviceName(account.region),
      vpcEndpointType: 'Interface',
      privateDnsEnabled: true,
      subnetIds: network.lambdaSubnets.map((s) => s.subnet.id),
      securityGroupIds: [this.securityGroup.id],
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ReadOnlyTheDatabaseSecretFromThisAccount',
            Effect: 'Allow',
            Principal: '*',
            Action: [...SECRET_READ_ACTIONS],
            Resource: props.secretArn,
            Condition: { StringEquals: { 'aws:PrincipalAccount': account.accountId } },
          },
        ],
      }),
      tags: { Name: resourceNames.endpoint(namePrefix) },
    });
    this.endpointId = this.endpoint.id;
    this.dnsNames = Token.asList(`\${${this.endpoint.fqn}.dns_entry[*].dns_name}`);
  }

  /**
   * The endpoint service name of Secrets Manager in `region`: `com.amazonaws.<region>.secretsmanager`
   * (the same form in the China and GovCloud partitions).
   * Source: https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html
   */
  static serviceName(region: string): string {
    return `com.amazonaws.${region}.secretsmanager`;
  }

  /**
   * Opens 443 on the endpoint to `peer`: an ingress rule here ("HTTPS (port 443) from <peerName>")
   * and an egress rule on `peer` ("... to the Secrets Manager endpoint"). Call it once per peer,
   * each with its own `id`.
   * @param id the rules' construct id, part of their Terraform addresses (`allow-from-<peer>`)
   * @param peerName what `peer` stands for in the rules' descriptions, e.g. `the Lambda`
   */
  allowHttpsFrom(peer: SecurityGroup, id: string, peerName: string): TcpFlow {
    return new TcpFlow(this, id, {
      from: peer,
      to: this.securityGroup,
      port: HTTPS_PORT,
      service: `HTTPS (port ${HTTPS_PORT})`,
      fromName: peerName,
      toName: 'the Secrets Manager endpoint',
    });
  }
}
