/**
 * The one price table of `npm run cost`: on-demand list prices in USD for ap-southeast-1 (Asia
 * Pacific, Singapore), read on {@link PRICES_AS_OF}, each with the page or offer file it comes from.
 * No free tier is applied: it is per account, shared by every stack, and runs out.
 *
 * `verified` says whether the value was checked against AWS's price list for this region when the
 * table was dated. An unverified price is shown with a `*` in every report; check it against its
 * source (or `aws pricing get-products --region us-east-1 --service-code <code> --filters
 * Type=TERM_MATCH,Field=regionCode,Value=ap-southeast-1`) and set `verified` when it holds.
 */

/** The day these prices were read, ISO 8601. Reports print it; re-read prices older than 90 days. */
export const PRICES_AS_OF = '2026-11-30';

/** The region every price is for. */
export const PRICE_REGION = 'ap-southeast-1';

/** Hours in a billing month, as AWS's calculators count them (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/** One list price. */
export interface Price {
  /** USD per {@link Price.unit}. */
  readonly usd: number;
  /** What one unit is, e.g. `hour`, `GB-month`, `10,000 requests`. */
  readonly unit: string;
  /** Where the price is published. */
  readonly source: string;
  /**
   * True when the value was checked against the AWS price list for ap-southeast-1 (its usage type is
   * in `usageType`); false when it is carried from another region or an older reading.
   */
  readonly verified: boolean;
  /** The AWS price list usage type, when known, e.g. `APS1-VpcEndpoint-Hours`. */
  readonly usageType?: string;
  /** Anything a reader needs to apply the price correctly. */
  readonly note?: string;
}

const RDS_POSTGRES = 'https://aws.amazon.com/rds/postgresql/pricing/';
const PRIVATELINK = 'https://aws.amazon.com/privatelink/pricing/';
const SECRETS_MANAGER = 'https://aws.amazon.com/secrets-manager/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const SNS = 'https://aws.amazon.com/sns/pricing/';

const UNVERIFIED_RDS =
  'Not checked against the ap-southeast-1 price list when this table was dated (no price list access); ap-northeast-1 lists db.t4g.micro at $0.025/hour and gp3 at $0.138/GB-month.';

/**
 * RDS for PostgreSQL, Single-AZ, per instance-hour, by instance class. A Multi-AZ instance (one
 * standby) costs {@link MULTI_AZ_FACTOR} times as much, for hours and storage alike.
 */
export const RDS_POSTGRES_INSTANCE_HOUR: Readonly<Record<string, Price>> = {
  'db.t4g.micro': { usd: 0.025, unit: 'hour', source: RDS_POSTGRES, verified: false, usageType: 'APS1-InstanceUsage:db.t4g.micro', note: UNVERIFIED_RDS },
  'db.t4g.small': { usd: 0.05, unit: 'hour', source: RDS_POSTGRES, verified: false, usageType: 'APS1-InstanceUsage:db.t4g.small', note: UNVERIFIED_RDS },
  'db.t4g.medium': { usd: 0.102, unit: 'hour', source: RDS_POSTGRES, verified: false, usageType: 'APS1-InstanceUsage:db.t4g.medium', note: UNVERIFIED_RDS },
};

/**
 * A Multi-AZ DB instance deployment bills the primary and the standby: instance hours and storage
 * twice. Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_OnDemandDBInstances.html
 */
export const MULTI_AZ_FACTOR = 2;

/** Every other price, by what it prices. */
export const PRICES = {
  /** RDS gp3 storage, Single-AZ (3,000 IOPS and 125 MiB/s included below 400 GiB). */
  rdsGp3GbMonth: { usd: 0.138, unit: 'GB-month', source: RDS_POSTGRES, verified: false, usageType: 'APS1-RDS:GP3-Storage', note: UNVERIFIED_RDS },
  /** RDS backup storage beyond the free allowance (100% of the provisioned storage). */
  rdsBackupGbMonth: {
    usd: 0.095,
    unit: 'GB-month',
    source: RDS_POSTGRES,
    verified: false,
    usageType: 'APS1-RDS:ChargedBackupUsage',
    note: 'Free up to 100% of the provisioned storage of the region; $0.095 is the rate of most regions, not checked for ap-southeast-1.',
  },
  /** Interface VPC endpoint, per endpoint per AZ (the seed's "$0.013/hour"). */
  endpointAzHour: { usd: 0.013, unit: 'AZ-hour', source: PRIVATELINK, verified: true, usageType: 'APS1-VpcEndpoint-Hours' },
  /** Interface VPC endpoint, data processed, first PB. */
  endpointGb: { usd: 0.01, unit: 'GB', source: PRIVATELINK, verified: true, usageType: 'APS1-VpcEndpoint-Bytes' },
  /** One secret stored for a month, RDS-managed secrets included (the seed's "$0.40 per secret per month"). */
  secretMonth: { usd: 0.4, unit: 'secret-month', source: SECRETS_MANAGER, verified: true, usageType: 'APS1-AWSSecretsManager-Secret' },
  /** Secrets Manager API calls (the seed's "$0.05 per 10,000 API calls"). */
  secretsApi10k: { usd: 0.05, unit: '10,000 requests', source: SECRETS_MANAGER, verified: true, usageType: 'APS1-AWSSecretsManagerAPIRequest' },
  /** Lambda requests, Arm and x86 alike. */
  lambdaRequestsMillion: { usd: 0.2, unit: '1M requests', source: LAMBDA, verified: true, usageType: 'APS1-Request-ARM' },
  /** Lambda compute on arm64 (Graviton), first tier (up to 7.5 billion GB-seconds a month). */
  lambdaArmGbSecond: { usd: 0.0000133334, unit: 'GB-second', source: LAMBDA, verified: true, usageType: 'APS1-Lambda-GB-Second-ARM' },
  /** Lambda compute on x86_64, first tier (up to 6 billion GB-seconds a month). */
  lambdaX86GbSecond: { usd: 0.0000166667, unit: 'GB-second', source: LAMBDA, verified: true, usageType: 'APS1-Lambda-GB-Second' },
  /**
   * CloudWatch Logs ingestion, Standard class. Lambda logs and VPC flow logs are vended logs whose
   * price falls after the first 10 TB a month; below that it is this price.
   */
  logsIngestGb: { usd: 0.7, unit: 'GB', source: CLOUDWATCH, verified: true, usageType: 'APS1-DataProcessing-Bytes' },
  /** CloudWatch Logs storage (archived, billed on the compressed size). */
  logsStorageGbMonth: { usd: 0.03, unit: 'GB-month', source: CLOUDWATCH, verified: true, usageType: 'APS1-TimedStorage-ByteHrs' },
  /** A standard-resolution metric alarm (percentile statistics included). */
  alarmMonth: { usd: 0.1, unit: 'alarm-month', source: CLOUDWATCH, verified: true, usageType: 'APS1-CW:AlarmMonitorUsage' },
  /** A customer-managed KMS key, per month. */
  kmsKeyMonth: {
    usd: 1,
    unit: 'key-month',
    source: KMS,
    verified: true,
    usageType: 'ap-southeast-1-KMS-Keys',
    note: 'Automatic rotation adds $1/month for each of the first two rotations (later rotations are free), so a yearly-rotated key costs $2/month in its second year and $3/month from its third.',
  },
  /** KMS symmetric requests. */
  kmsRequests10k: { usd: 0.03, unit: '10,000 requests', source: KMS, verified: true, usageType: 'ap-southeast-1-KMS-Requests' },
  /** SNS publishes, after the first million a month. */
  snsRequestsMillion: { usd: 0.5, unit: '1M requests', source: SNS, verified: false, note: 'The first million requests a month are free; the rate is the published standard-topic rate, not checked per region.' },
  /** SNS email deliveries, after the first 1,000 a month. */
  snsEmail100k: { usd: 2, unit: '100,000 emails', source: SNS, verified: false, note: 'The first 1,000 emails a month are free; not checked per region.' },
} as const satisfies Record<string, Price>;

export type PriceKey = keyof typeof PRICES;
