/**
 * The AWS Regions an environment may use, each with its Availability Zone names: the table that
 * `region` and `network.availabilityZones` are validated against, and that an environment's default
 * AZs come from (the first two).
 *
 * Source: AWS, "AWS Availability Zones" (Regions and Zones,
 * https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html),
 * read 2026-12-06; `aws ec2 describe-availability-zones --region <code>` lists an account's. AZ
 * names map to physical zones per account, and some accounts do not see every name (new accounts
 * get no `ap-northeast-1b`, which the table leaves out). Each of these Regions offers RDS for
 * PostgreSQL, Lambda, Secrets Manager and its interface endpoint. To use another Region, add its
 * row here with its AZ names from the same page.
 */
export const REGIONS: Readonly<Record<string, { readonly name: string; readonly availabilityZones: readonly string[] }>> = {
  'us-east-1': { name: 'US East (N. Virginia)', availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'] },
  'us-east-2': { name: 'US East (Ohio)', availabilityZones: ['us-east-2a', 'us-east-2b', 'us-east-2c'] },
  'us-west-2': { name: 'US West (Oregon)', availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2d'] },
  'ca-central-1': { name: 'Canada (Central)', availabilityZones: ['ca-central-1a', 'ca-central-1b', 'ca-central-1d'] },
  'eu-west-1': { name: 'Europe (Ireland)', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
  'eu-west-2': { name: 'Europe (London)', availabilityZones: ['eu-west-2a', 'eu-west-2b', 'eu-west-2c'] },
  'eu-central-1': { name: 'Europe (Frankfurt)', availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'] },
  'ap-southeast-1': { name: 'Asia Pacific (Singapore)', availabilityZones: ['ap-southeast-1a', 'ap-southeast-1b', 'ap-southeast-1c'] },
  'ap-southeast-2': { name: 'Asia Pacific (Sydney)', availabilityZones: ['ap-southeast-2a', 'ap-southeast-2b', 'ap-southeast-2c'] },
  'ap-northeast-1': { name: 'Asia Pacific (Tokyo)', availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'] },
};

/** The Region codes of {@link REGIONS}, for messages. */
export const REGION_CODES: readonly string[] = Object.keys(REGIONS);
