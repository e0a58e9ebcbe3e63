/**
 * The price tables of `npm run cost`: on-demand list prices in USD, one table per AWS Region, each
 * price with the page it comes from, the day it was read and whether it was checked. A stack is
 * priced with the table of its AWS provider's Region; a Region without a table cannot be priced
 * (tools/cost/estimate.ts says so, naming the Regions below). No free tier is applied: it is per
 * account, shared by every stack, and runs out.
 *
 * `verified` says whether the value was checked against AWS's price list for that Region on the day
 * it was read. An unverified price is shown with a `*` in every report and has a note saying where
 * its figure comes from; check it against its source (or `aws pricing get-products --region
 * us-east-1 --service-code <code> --filters Type=TERM_MATCH,Field=regionCode,Value=<region>`), then
 * set `verified` and move its date. Re-read prices older than 90 days.
 *
 * To price another Region, add its readings to {@link READINGS} (the Region must be in
 * config/regions.ts); what each price is (unit, page, usage type) is stated once, in {@link ITEMS}.
 */

/** Hours in a billing month, as AWS's calculators count them (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/**
 * A Multi-AZ DB instance deployment bills the primary and the standby: instance hours and storage
 * twice. Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_OnDemandDBInstances.html
 */
export const MULTI_AZ_FACTOR = 2;

/** One list price in one Region. */
export interface Price {
  /** The Region the price is for, e.g. `eu-west-1`. */
  readonly region: string;
  /** USD per {@link Price.unit}. */
  readonly usd: number;
  /** What one unit is, e.g. `hour`, `GB-month`, `10,000 requests`. */
  readonly unit: string;
  /** The AWS pricing page the price is published on. */
  readonly source: string;
  /**
   * The day the value was read, ISO 8601: from {@link Price.source} when verified, otherwise from
   * where {@link Price.note} says the figure comes from.
   */
  readonly readOn: string;
  /**
   * True when the value was checked against the AWS price list for {@link Price.region} on
   * {@link Price.readOn}; false when it is carried from elsewhere (its note says where).
   */
  readonly verified: boolean;
  /**
   * The AWS price list usage type, when known: the Region's prefix (`APS1-` for ap-southeast-1,
   * `EU-` for eu-west-1, none for us-east-1) and the service's name, e.g. `APS1-VpcEndpoint-Hours`.
   */
  readonly usageType?: string;
  /** Anything a reader needs to apply the price correctly, and where an unverified figure comes from. */
  readonly note?: string;
}

/** What a price is, the same in every Region. */
interface Item {
  readonly unit: string;
  readonly source: string;
  /**
   * The usage type with placeholders: `{prefix}` for the Region's price list prefix (with its dash),
   * `{region}` for the Region's code (KMS names its usage types after the Region code).
   */
  readonly usageType?: string;
  /** A note that holds in every Region. */
  readonly note?: string;
}

const RDS_POSTGRES = 'https://aws.amazon.com/rds/postgresql/pricing/';
const PRIVATELINK = 'https://aws.amazon.com/privatelink/pricing/';
const SECRETS_MANAGER = 'https://aws.amazon.com/secrets-manager/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const SNS = 'https://aws.amazon.com/sns/pricing/';

/** RDS for PostgreSQL, Single-AZ, per instance-hour; the instance class replaces `{class}`. */
const RDS_INSTANCE_HOUR: Item = { unit: 'hour', source: RDS_POSTGRES, usageType: '{prefix}InstanceUsage:{class}' };

/** Every price other than the instance hour, by what it prices. */
const ITEMS = {
  /** RDS gp3 storage, Single-AZ (3,000 IOPS and 125 MiB/s included below 400 GiB). */
  rdsGp3GbMonth: { unit: 'GB-month', source: RDS_POSTGRES, usageType: '{prefix}RDS:GP3-Storage' },
  /** RDS backup storage beyond the free allowance (100% of the provisioned storage). */
  rdsBackupGbMonth: {
    unit: 'GB-month',
    source: RDS_POSTGRES,
    usageType: '{prefix}RDS:ChargedBackupUsage',
    note: 'Free up to 100% of the provisioned storage of the Region.',
  },
  /** Interface VPC endpoint, per endpoint per AZ. */
  endpointAzHour: { unit: 'AZ-hour', source: PRIVATELINK, usageType: '{prefix}VpcEndpoint-Hours' },
  /** Interface VPC endpoint, data processed, first PB. */
  endpointGb: { unit: 'GB', source: PRIVATELINK, usageType: '{prefix}VpcEndpoint-Bytes' },
  /** One secret stored for a month, RDS-managed secrets included. */
  secretMonth: { unit: 'secret-month', source: SECRETS_MANAGER, usageType: '{prefix}AWSSecretsManager-Secret' },
  /** Secrets Manager API calls. */
  secretsApi10k: { unit: '10,000 requests', source: SECRETS_MANAGER, usageType: '{prefix}AWSSecretsManagerAPIRequest' },
  /** Lambda requests, Arm and x86 alike. */
  lambdaRequestsMillion: { unit: '1M requests', source: LAMBDA, usageType: '{prefix}Request-ARM' },
  /** Lambda compute on arm64 (Graviton), first tier (up to 7.5 billion GB-seconds a month). */
  lambdaArmGbSecond: { unit: 'GB-second', source: LAMBDA, usageType: '{prefix}Lambda-GB-Second-ARM' },
  /** Lambda compute on x86_64, first tier (up to 6 billion GB-seconds a month). */
  lambdaX86GbSecond: { unit: 'GB-second', source: LAMBDA, usageType: '{prefix}Lambda-GB-Second' },
  /**
   * CloudWatch Logs ingestion, Standard class. Lambda logs and VPC flow logs are vended logs whose
   * price falls after the first 10 TB a month; below that it is this price.
   */
  logsIngestGb: { unit: 'GB', source: CLOUDWATCH, usageType: '{prefix}DataProcessing-Bytes' },
  /** CloudWatch Logs storage (archived, billed on the compressed size). */
  logsStorageGbMonth: { unit: 'GB-month', source: CLOUDWATCH, usageType: '{prefix}TimedStorage-ByteHrs' },
  /** A standard-resolution metric alarm (percentile statistics included). */
  alarmMonth: { unit: 'alarm-month', source: CLOUDWATCH, usageType: '{prefix}CW:AlarmMonitorUsage' },
  /** A customer-managed KMS key, per month. */
  kmsKeyMonth: {
    unit: 'key-month',
    source: KMS,
    usageType: '{region}-KMS-Keys',
    note: 'Automatic rotation adds $1/month for each of the first two rotations (later rotations are free), so a yearly-rotated key costs $2/month in its second year and $3/month from its third.',
  },
  /** KMS symmetric requests. */
  kmsRequests10k: { unit: '10,000 requests', source: KMS, usageType: '{region}-KMS-Requests' },
  /** SNS publishes, after the first million a month. */
  snsRequestsMillion: { unit: '1M requests', source: SNS, note: 'The first million requests a month are free.' },
  /** SNS email deliveries, after the first 1,000 a month. */
  snsEmail100k: { unit: '100,000 emails', source: SNS, note: 'The first 1,000 emails a month are free.' },
} as const satisfies Record<string, Item>;

/** The name of a price other than the instance hour, e.g. `endpointAzHour`. */
export type PriceKey = keyof typeof ITEMS;

/** One Region's value of one price, as read. */
interface Reading {
  readonly usd: number;
  readonly verified: boolean;
  readonly readOn: string;
  /** Where an unverified figure comes from, or what holds only in this Region. */
  readonly note?: string;
}

/** One Region's readings. */
interface RegionReadings {
  /** The Region's usage-type prefix in the AWS price list, without its dash; empty for none. */
  readonly usageTypePrefix: string;
  /** RDS for PostgreSQL instance hours, Single-AZ, by instance class. */
  readonly rdsPostgresInstanceHour: Readonly<Record<string, Reading>>;
  readonly prices: Readonly<Record<PriceKey, Reading>>;
}

/** A value checked against the Region's price list on `readOn`. */
const checked =
  (readOn: string) =>
  (usd: number, note?: string): Reading => ({ usd, verified: true, readOn, ...(note === undefined ? {} : { note }) });

/** A value not checked against the Region's price list: `note` says where the figure comes from. */
const carried =
  (readOn: string) =>
  (usd: number, note: string): Reading => ({ usd, verified: false, readOn, note });

// ap-southeast-1: read 2026-11-30. The RDS prices could not be checked (no price list access).
const apse1Checked = checked('2026-11-30');
const apse1Carried = carried('2026-11-30');
const APSE1_RDS =
  'Not checked against the ap-southeast-1 price list when this table was dated (no price list access); ap-northeast-1 lists db.t4g.micro at $0.025/hour and gp3 at $0.138/GB-month.';

// eu-west-1 and us-east-1: entered 2026-12-06 without access to AWS (no price list, no pricing
// pages), from what AWS's public pricing pages list for these Regions as the author recalls them;
// every one is unverified until someone reads it from its source.
const euw1 = carried('2026-12-06');
const EUW1 =
  "Not checked against the eu-west-1 price list (no access to AWS when entered): recalled from AWS's public pricing page for Europe (Ireland), not read from it.";
const use1 = carried('2026-12-06');
const USE1 =
  "Not checked against the us-east-1 price list (no access to AWS when entered): recalled from AWS's public pricing page for US East (N. Virginia), not read from it.";
const USE1_RDS = `${USE1} Third-party summaries of 2026 quote the same (infratally.com, "AWS RDS pricing explained 2026"; usage.ai, RDS pricing calculator, June 2026).`;

/** The readings of every priced Region; {@link PRICE_TABLES} is what the estimate reads. */
const READINGS: Readonly<Record<string, RegionReadings>> = {
  'ap-southeast-1': {
    usageTypePrefix: 'APS1',
    rdsPostgresInstanceHour: {
      'db.t4g.micro': apse1Carried(0.025, APSE1_RDS),
      'db.t4g.small': apse1Carried(0.05, APSE1_RDS),
      'db.t4g.medium': apse1Carried(0.102, APSE1_RDS),
    },
    prices: {
      rdsGp3GbMonth: apse1Carried(0.138, APSE1_RDS),
      rdsBackupGbMonth: apse1Carried(0.095, '$0.095 is the rate of most Regions, not checked for ap-southeast-1.'),
      // The seed's "$0.013/hour".
      endpointAzHour: apse1Checked(0.013),
      endpointGb: apse1Checked(0.01),
      // The seed's "$0.40 per secret per month" and "$0.05 per 10,000 API calls".
      secretMonth: apse1Checked(0.4),
      secretsApi10k: apse1Checked(0.05),
      lambdaRequestsMillion: apse1Checked(0.2),
      lambdaArmGbSecond: apse1Checked(0.0000133334),
      lambdaX86GbSecond: apse1Checked(0.0000166667),
      logsIngestGb: apse1Checked(0.7),
      logsStorageGbMonth: apse1Checked(0.03),
      alarmMonth: apse1Checked(0.1),
      kmsKeyMonth: apse1Checked(1),
      kmsRequests10k: apse1Checked(0.03),
      snsRequestsMillion: apse1Carried(0.5, 'The published standard-topic rate, not checked for ap-southeast-1.'),
      snsEmail100k: apse1Carried(2, 'The published email rate, not checked for ap-southeast-1.'),
    },
  },
  'eu-west-1': {
    usageTypePrefix: 'EU',
    rdsPostgresInstanceHour: {
      'db.t4g.micro': euw1(0.018, EUW1),
      'db.t4g.small': euw1(0.036, EUW1),
      'db.t4g.medium': euw1(0.072, EUW1),
    },
    prices: {
      rdsGp3GbMonth: euw1(0.127, EUW1),
      rdsBackupGbMonth: euw1(0.095, EUW1),
      endpointAzHour: euw1(0.011, EUW1),
      endpointGb: euw1(0.01, EUW1),
      secretMonth: euw1(0.4, EUW1),
      secretsApi10k: euw1(0.05, EUW1),
      lambdaRequestsMillion: euw1(0.2, EUW1),
      lambdaArmGbSecond: euw1(0.0000133334, EUW1),
      lambdaX86GbSecond: euw1(0.0000166667, EUW1),
      logsIngestGb: euw1(0.57, EUW1),
      logsStorageGbMonth: euw1(0.03, EUW1),
      alarmMonth: euw1(0.1, EUW1),
      kmsKeyMonth: euw1(1, EUW1),
      kmsRequests10k: euw1(0.03, EUW1),
      snsRequestsMillion: euw1(0.5, EUW1),
      snsEmail100k: euw1(2, EUW1),
    },
  },
  'us-east-1': {
    // Most services' us-east-1 usage types carry no prefix (some newer ones use USE1-).
    usageTypePrefix: '',
    rdsPostgresInstanceHour: {
      'db.t4g.micro': use1(0.016, USE1_RDS),
      'db.t4g.small': use1(0.032, USE1_RDS),
      'db.t4g.medium': use1(0.065, USE1_RDS),
    },
    prices: {
      rdsGp3GbMonth: use1(0.115, USE1_RDS),
      rdsBackupGbMonth: use1(0.095, USE1_RDS),
      endpointAzHour: use1(0.01, USE1),
      endpointGb: use1(0.01, USE1),
      secretMonth: use1(0.4, USE1),
      secretsApi10k: use1(0.05, USE1),
      lambdaRequestsMillion: use1(0.2, USE1),
      lambdaArmGbSecond: use1(0.0000133334, USE1),
      lambdaX86GbSecond: use1(0.0000166667, USE1),
      logsIngestGb: use1(0.5, USE1),
      logsStorageGbMonth: use1(0.03, USE1),
      alarmMonth: use1(0.1, USE1),
      kmsKeyMonth: use1(1, USE1),
      kmsRequests10k: use1(0.03, USE1),
      snsRequestsMillion: use1(0.5, USE1),
      snsEmail100k: use1(2, USE1),
    },
  },
};

/** The prices of one Region, as the estimate reads them. */
export interface RegionPrices {
  /** The Region's code, e.g. `eu-west-1`. */
  readonly region: string;
  /** RDS for PostgreSQL, Single-AZ, per instance-hour, by instance class ({@link MULTI_AZ_FACTOR} for Multi-AZ). */
  readonly rdsPostgresInstanceHour: Readonly<Record<string, Price>>;
  /** Every other price. */
  readonly prices: Readonly<Record<PriceKey, Price>>;
}

function price(region: string, readings: RegionReadings, item: Item, reading: Reading, instanceClass = ''): Price {
  const prefix = readings.usageTypePrefix === '' ? '' : `${readings.usageTypePrefix}-`;
  const notes = [reading.note, item.note].filter((n): n is string => n !== undefined);
  return {
    region,
    usd: reading.usd,
    unit: item.unit,
    source: item.source,
    readOn: reading.readOn,
    verified: reading.verified,
    ...(item.usageType === undefined
      ? {}
      : { usageType: item.usageType.replace('{prefix}', prefix).replace('{region}', region).replace('{class}', instanceClass) }),
    ...(notes.length === 0 ? {} : { note: notes.join(' ') }),
  };
}

function resolve(region: string, readings: RegionReadings): RegionPrices {
  const instanceHours = Object.entries(readings.rdsPostgresInstanceHour).map(([cls, r]) => [cls, price(region, readings, RDS_INSTANCE_HOUR, r, cls)]);
  const prices = (Object.keys(ITEMS) as PriceKey[]).map((key) => [key, price(region, readings, ITEMS[key], readings.prices[key])]);
  return { region, rdsPostgresInstanceHour: Object.fromEntries(instanceHours), prices: Object.fromEntries(prices) as Record<PriceKey, Price> };
}

/** Every priced Region's prices, by Region code. */
export const PRICE_TABLES: Readonly<Record<string, RegionPrices>> = Object.fromEntries(
  Object.entries(READINGS).map(([region, readings]) => [region, resolve(region, readings)]),
);

/** The Regions {@link PRICE_TABLES} prices, for messages and docs. */
export const PRICED_REGIONS: readonly string[] = Object.keys(PRICE_TABLES);

/** The prices of `region`, or undefined when no table holds it. */
export function pricesFor(region: string | undefined): RegionPrices | undefined {
  return region !== undefined && Object.prototype.hasOwnProperty.call(PRICE_TABLES, region) ? PRICE_TABLES[region] : undefined;
}

/** Every price of a Region's table. */
export function allPrices(table: RegionPrices): Price[] {
  return [...Object.values(table.rdsPostgresInstanceHour), ...Object.values(table.prices)];
}

/** When `prices` were read: one day, or the first and last (`2026-11-30 to 2026-12-06`). */
export function readOnRange(prices: readonly Price[]): string {
  const days = [...new Set(prices.map((p) => p.readOn))].sort();
  return days.length <= 1 ? (days[0] ?? '') : `${days[0]} to ${days[days.length - 1]}`;
}
