import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { AccountContext } from './account-context';
import { resourceNames } from '../../config/names';
import type { NetworkConfig } from '../../config/types';
import type { EncryptionKey } from './encryption-key';
import { serviceTrustPolicy } from './iam';
import { suppressWhen } from './policy-exceptions';

/** Props of {@link Network}. */
export interface NetworkProps {
  /** Prefix of resource names: the VPC is `<namePrefix>-backend-vpc`. */
  readonly namePrefix: string;
  /** CIDRs, AZs and flow log settings (validated by `validateEnvironmentConfig`). */
  readonly config: NetworkConfig;
  /**
   * Key that encrypts the flow log group.
   * @default - CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: EncryptionKey;
}

/** A private subnet and the AZ it is in. */
export interface PrivateSubnet {
  readonly subnet: Subnet;
  readonly availabilityZone: string;
}

/**
 * Actions the VPC Flow Logs service needs on its log group.
 * Source: https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
 */
const FLOW_LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'];

/**
 * The workshop's VPC: DNS support and hostnames on (private DNS of interface endpoints needs
 * both), only private subnets, laid out as the VPC console does (`private1`, `private2`, ... for
 * the Lambda and the endpoint, then the data subnets for the DB subnet group), no internet or
 * NAT gateway (the Secrets Manager endpoint replaces NAT), the default security group stripped
 * of all rules, and a flow log to CloudWatch Logs.
 *
 * Subnets use the VPC's main route table, which holds only the local route.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  /** The VPC's id. */
  readonly vpcId: string;
  /** Private subnets for the Lambda and the endpoint, one per AZ, in AZ order. */
  readonly privateSubnets: readonly PrivateSubnet[];
  /** Data subnets for the DB subnet group, one per AZ, in AZ order. */
  readonly dataSubnets: readonly PrivateSubnet[];
  /** The subnets the Lambda and the endpoint use: the first `lambdaAzCount` private subnets. */
  readonly lambdaSubnets: readonly PrivateSubnet[];
  /** The VPC's default security group, managed so that it has no rules. */
  readonly defaultSecurityGroup: DefaultSecurityGroup;
  /** The flow log group, `/aws/vpc/<namePrefix>-backend-vpc/flow-logs`. */
  readonly flowLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    const vpcName = resourceNames.vpc(namePrefix);

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: config.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: vpcName },
    });
    this.vpcId = this.vpc.id;

    const azs = config.availabilityZones;
    const subnet = (kind: 'private' | 'data', index: number, cidrBlock: string): PrivateSubnet => {
      // The console numbers private subnets across both lists: private1..N, then N+1..2N.
      const number = kind === 'private' ? index + 1 : azs.length + index + 1;
      const az = azs[index];
      return {
        availabilityZone: az,
        subnet: new Subnet(this, `${kind}-subnet-${index + 1}`, {
          vpcId: this.vpc.id,
          cidrBlock,
          availabilityZone: az,
          mapPublicIpOnLaunch: false,
          tags: { Name: resourceNames.subnet(namePrefix, number, az), Tier: kind === 'private' ? 'app' : 'data' },
        }),
      };
    };
    this.privateSubnets = config.privateSubnetCidrs.map((c, i) => subnet('private', i, c));
    this.dataSubnets = config.dataSubnetCidrs.map((c, i) => subnet('data', i, c));
    this.lambdaSubnets = this.privateSubnets.slice(0, config.lambdaAzCount);

    // Managing the default group with no ingress/egress blocks removes all its rules
    // (CKV2_AWS_12): nothing in this VPC should use it.
    this.defaultSecurityGroup = new DefaultSecurityGroup(this, 'default-security-group', {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${namePrefix}-backend-default-sg-closed` },
    });

    this.flowLogGroup = new CloudwatchLogGroup(this, 'flow-log-group', {
      name: Network.flowLogGroupName(namePrefix),
      retentionInDays: config.flowLogRetentionDays,
      kmsKeyId: props.encryptionKey?.keyArn,
    });
    const role = new IamRole(this, 'flow-log-role', {
      name: `${namePrefix}-vpc-flow-log-role`,
      description: 'Lets VPC Flow Logs deliver to the VPC flow log group.',
      assumeRolePolicy: serviceTrustPolicy('vpc-flow-logs.amazonaws.com', AccountContext.of(this)),
    });
    new IamRolePolicy(this, 'flow-log-role-policy', {
      name: 'deliver-to-flow-log-group',
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: FLOW_LOG_ACTIONS,
            Resource: [this.flowLogGroup.arn, `${this.flowLogGroup.arn}:*`],
          },
        ],
      }),
    });
    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: config.flowLogTrafficType,
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 600,
      tags: { Name: `${vpcName}-flow-log` },
    });
    suppressWhen(config.flowLogTrafficType !== 'ALL', this.vpc, 'WB-VPC-FLOW-LOGS', 'flowLogTrafficType');
    suppressWhen(!props.encryptionKey, this.flowLogGroup, 'WB-LOGS-CMK', 'customerManagedKey');
    suppressWhen(config.flowLogRetentionDays < 365, this.flowLogGroup, 'WB-LOGS-RETENTION-1Y', 'logRetentionOneYear');
  }

  /** The flow log group's name for a name prefix. */
  static flowLogGroupName(namePrefix: string): string {
    return `/aws/vpc/${namePrefix}-backend-vpc/flow-logs`;
  }
}
