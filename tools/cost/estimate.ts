/**
 * The monthly cost of one synthesized stack (its cdk.tf.json), from the price table of its AWS
 * provider's Region and the usage assumptions. Pure: the document, the usage and the prices in,
 * line items out.
 */
import { invalidField } from '../../config/errors';
import type { ProfileName } from '../../config/types';
import type { UsageAssumptions } from '../../config/usage';
import { blocks, isTrue, literalNumber, refersTo, resources, strings } from '../../policy/terraform-json';
import type { TerraformDocument, TfResource } from '../../policy/types';
import { HOURS_PER_MONTH, MULTI_AZ_FACTOR, PRICED_REGIONS, pricesFor, type Price, type RegionPrices } from './prices';

/** Bytes in a GB as AWS bills data (2^30). */
const BYTES_PER_GB = 1024 ** 3;

/** Days in an average month, to turn a retention in days into months of stored logs. */
const DAYS_PER_MONTH = 365 / 12;

/** Months of logs a group without retention is assumed to hold (it grows without bound). */
const UNBOUNDED_RETENTION_MONTHS = 12;

/** Resource types that cost nothing by themselves (their cost, if any, is priced on another line). */
export const FREE_RESOURCE_TYPES: readonly string[] = [
  'aws_vpc',
  'aws_subnet',
  'aws_route_table',
  'aws_default_security_group',
  'aws_security_group',
  'aws_vpc_security_group_ingress_rule',
  'aws_vpc_security_group_egress_rule',
  'aws_iam_role',
  'aws_iam_policy',
  'aws_iam_role_policy',
  'aws_iam_role_policy_attachment',
  'aws_db_subnet_group',
  'aws_db_parameter_group',
  'aws_kms_alias',
  'aws_sns_topic_policy',
  // A rotation schedule costs nothing; the rotation's API calls are in the Secrets Manager calls line.
  'aws_secretsmanager_secret_rotation',
  // Rules on the default bus matching AWS service events are free; the target's SNS publish is priced.
  'aws_cloudwatch_event_rule',
  'aws_cloudwatch_event_target',
  // Priced as the ingestion and storage of its log group.
  'aws_flow_log',
  // Runs the function it names once per apply that replaces it (the migration function, when the
  // migrations change): a few requests a month, under a cent, so neither is priced.
  'aws_lambda_invocation',
];

/** Resource types this module prices. */
export const PRICED_RESOURCE_TYPES: readonly string[] = [
  'aws_db_instance',
  'aws_secretsmanager_secret',
  'aws_vpc_endpoint',
  'aws_lambda_function',
  'aws_cloudwatch_log_group',
  'aws_cloudwatch_metric_alarm',
  'aws_kms_key',
  'aws_sns_topic',
  'aws_sns_topic_subscription',
];

/** One line of an estimate: a quantity of something at a list price. */
export interface CostLine {
  /** What is billed, e.g. `RDS db.t4g.micro, Single-AZ`. */
  readonly item: string;
  /** How much of it a month, in {@link CostLine.quantityUnit}. */
  readonly quantity: number;
  /** The unit of the quantity, e.g. `instance-hours`, `requests`. */
  readonly quantityUnit: string;
  /** How many quantity units one price unit is (10,000 for a price per 10,000 requests). */
  readonly unitsPerPrice: number;
  /** The list price applied. */
  readonly price: Price;
  /** quantity / unitsPerPrice × price, in USD. */
  readonly monthlyUsd: number;
}

/** The estimate of one stack. */
export interface StackEstimate {
  readonly stack: string;
  /** The Region of the stack's AWS provider, whose prices every line uses. */
  readonly region: string;
  /** The profile whose usage assumptions were applied (config/usage.ts); null for a stack that is no environment. */
  readonly profile: ProfileName | null;
  readonly lines: readonly CostLine[];
  /** Resource types neither priced nor free, with how many of each: the estimate leaves them out. */
  readonly unpriced: readonly { readonly type: string; readonly count: number }[];
  /** Sum of the lines, in USD a month. */
  readonly monthlyUsd: number;
  /** {@link StackEstimate.monthlyUsd} over {@link HOURS_PER_MONTH}: what an hour deployed costs. */
  readonly hourlyUsd: number;
}

/** Why a stack could not be estimated, one line per problem. */
export class EstimateProblems extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'EstimateProblems';
  }
}

function line(item: string, quantity: number, quantityUnit: string, price: Price, unitsPerPrice = 1): CostLine {
  return { item, quantity, quantityUnit, unitsPerPrice, price, monthlyUsd: (quantity / unitsPerPrice) * price.usd };
}

function nameOf(r: TfResource, attribute: string): string {
  const value = r.body[attribute];
  return typeof value === 'string' && !value.includes('${') ? value : r.name;
}

/** The region of the stack's AWS provider, when it is a literal. */
export function providerRegion(doc: TerraformDocument): string | undefined {
  const providers = (doc.provider as { aws?: unknown } | undefined)?.aws;
  const first = blocks(providers)[0];
  return typeof first?.region === 'string' ? first.region : undefined;
}

function databaseLines(doc: TerraformDocument, table: RegionPrices, usage: UsageAssumptions, problems: string[]): CostLine[] {
  const lines: CostLine[] = [];
  for (const db of resources(doc, 'aws_db_instance')) {
    const id = nameOf(db, 'identifier');
    const instanceClass = String(db.body.instance_class);
    const multiAz = isTrue(db.body.multi_az);
    const factor = multiAz ? MULTI_AZ_FACTOR : 1;
    const deployment = multiAz ? 'Multi-AZ (primary and standby)' : 'Single-AZ';
    const hourly = Object.hasOwn(table.rdsPostgresInstanceHour, instanceClass) ? table.rdsPostgresInstanceHour[instanceClass] : undefined;
    if (db.body.engine !== 'postgres') {
      problems.push(`${id}: engine ${JSON.stringify(db.body.engine)} has no price; tools/cost/prices.ts prices RDS for PostgreSQL`);
    } else if (hourly === undefined) {
      problems.push(
        `${id}: instance class ${JSON.stringify(instanceClass)} has no ${table.region} price in tools/cost/prices.ts; priced: ${Object.keys(table.rdsPostgresInstanceHour).join(', ')}`,
      );
    } else {
      lines.push(line(`RDS ${instanceClass}, ${deployment}`, HOURS_PER_MONTH * factor, 'instance-hours', hourly));
    }
    const storageType = db.body.storage_type ?? 'gp2';
    const storage = literalNumber(db.body.allocated_storage) ?? 0;
    if (storageType !== 'gp3') {
      problems.push(`${id}: storage type ${JSON.stringify(storageType)} has no price in tools/cost/prices.ts; priced: "gp3"`);
    } else {
      lines.push(line(`RDS gp3 storage, ${deployment}`, storage * factor, 'GB-months', table.prices.rdsGp3GbMonth));
    }
    lines.push(line('RDS backup storage beyond the free allowance', usage.backupGbBeyondFree, 'GB-months', table.prices.rdsBackupGbMonth));
  }
  return lines;
}

function secretLines(doc: TerraformDocument, table: RegionPrices, usage: UsageAssumptions): CostLine[] {
  const managed = resources(doc, 'aws_db_instance').filter((db) => isTrue(db.body.manage_master_user_password)).length;
  const secrets = managed + resources(doc, 'aws_secretsmanager_secret').length;
  if (secrets === 0) return [];
  return [
    line('Secrets Manager secrets (the RDS-managed master user secret included)', secrets, 'secrets', table.prices.secretMonth),
    line('Secrets Manager API calls', usage.secretsApiCallsPerMonth, 'requests', table.prices.secretsApi10k, 10_000),
  ];
}

function endpointLines(doc: TerraformDocument, table: RegionPrices, usage: UsageAssumptions): CostLine[] {
  const endpoints = resources(doc, 'aws_vpc_endpoint').filter((e) => e.body.vpc_endpoint_type === 'Interface');
  if (endpoints.length === 0) return [];
  const lines = endpoints.map((e) => {
    const azs = strings(e.body.subnet_ids).length;
    const service = String(e.body.service_name ?? e.name).split('.').pop();
    return line(`Interface endpoint ${service}, ${azs} AZ(s)`, HOURS_PER_MONTH * azs, 'AZ-hours', table.prices.endpointAzHour);
  });
  lines.push(line('Interface endpoint data processed', usage.endpointGbPerMonth, 'GB', table.prices.endpointGb));
  return lines;
}

/** Each function's requests and compute at the usage's invocations, except a function only Terraform invokes (`aws_lambda_invocation`). */
function lambdaLines(doc: TerraformDocument, table: RegionPrices, usage: UsageAssumptions): CostLine[] {
  const invoked = resources(doc, 'aws_lambda_invocation');
  const callable = resources(doc, 'aws_lambda_function').filter((fn) => !invoked.some((i) => refersTo(i.body.function_name, fn, 'function_name')));
  return callable.flatMap((fn) => {
    const name = nameOf(fn, 'function_name');
    const memoryGb = (literalNumber(fn.body.memory_size) ?? 128) / 1024;
    const arm = strings(fn.body.architectures).includes('arm64');
    const gbSeconds = usage.invocationsPerMonth * (usage.averageDurationMillis / 1000) * memoryGb;
    return [
      line(`Lambda ${name} requests`, usage.invocationsPerMonth, 'requests', table.prices.lambdaRequestsMillion, 1_000_000),
      line(`Lambda ${name} compute, ${arm ? 'arm64' : 'x86_64'}, ${memoryGb * 1024} MiB`, gbSeconds, 'GB-seconds', arm ? table.prices.lambdaArmGbSecond : table.prices.lambdaX86GbSecond),
    ];
  });
}

type LogKind = 'Lambda' | 'database' | 'VPC flow' | 'other';

function logKind(doc: TerraformDocument, group: TfResource): LogKind {
  if (resources(doc, 'aws_flow_log').some((f) => refersTo(f.body.log_destination ?? f.body.log_group_name, group))) return 'VPC flow';
  const name = String(group.body.name ?? '');
  if (name.startsWith('/aws/lambda/')) return 'Lambda';
  if (name.startsWith('/aws/rds/')) return 'database';
  return 'other';
}

function logLines(doc: TerraformDocument, table: RegionPrices, usage: UsageAssumptions): CostLine[] {
  const groups = resources(doc, 'aws_cloudwatch_log_group').map((g) => ({ group: g, kind: logKind(doc, g) }));
  if (groups.length === 0) return [];
  const count = (kind: LogKind) => groups.filter((g) => g.kind === kind).length;
  const ingestOf = (kind: LogKind): number => {
    switch (kind) {
      case 'Lambda':
        return (usage.invocationsPerMonth * usage.lambdaLogBytesPerInvocation) / BYTES_PER_GB / Math.max(1, count('Lambda'));
      case 'database':
        return usage.databaseLogGbPerMonth / Math.max(1, count('database'));
      case 'VPC flow':
        return usage.flowLogGbPerMonth / Math.max(1, count('VPC flow'));
      default:
        return 0;
    }
  };
  const lines: CostLine[] = [];
  for (const kind of ['Lambda', 'database', 'VPC flow'] as const) {
    if (count(kind) > 0) lines.push(line(`CloudWatch Logs ingestion, ${kind} logs`, ingestOf(kind) * count(kind), 'GB', table.prices.logsIngestGb));
  }
  // Steady state: each group holds its retention's worth of ingestion (billed compressed, so less).
  const stored = groups.reduce((sum, { group, kind }) => {
    const days = literalNumber(group.body.retention_in_days);
    const months = days === undefined || days === 0 ? UNBOUNDED_RETENTION_MONTHS : days / DAYS_PER_MONTH;
    return sum + ingestOf(kind) * months;
  }, 0);
  lines.push(line('CloudWatch Logs storage at steady state (retention × ingestion, uncompressed)', stored, 'GB-months', table.prices.logsStorageGbMonth));
  return lines;
}

function alarmAndAlertLines(doc: TerraformDocument, table: RegionPrices, usage: UsageAssumptions): CostLine[] {
  const lines: CostLine[] = [];
  const alarms = resources(doc, 'aws_cloudwatch_metric_alarm').length;
  if (alarms > 0) lines.push(line('CloudWatch alarms, standard resolution', alarms, 'alarms', table.prices.alarmMonth));
  if (resources(doc, 'aws_sns_topic').length > 0) {
    lines.push(line('SNS publishes (alarm state changes, rotation failures)', usage.alertNotificationsPerMonth, 'requests', table.prices.snsRequestsMillion, 1_000_000));
    const emails = resources(doc, 'aws_sns_topic_subscription').filter((s) => s.body.protocol === 'email').length;
    if (emails > 0) lines.push(line('SNS email deliveries', usage.alertNotificationsPerMonth * emails, 'emails', table.prices.snsEmail100k, 100_000));
  }
  return lines;
}

function kmsLines(doc: TerraformDocument, table: RegionPrices, usage: UsageAssumptions): CostLine[] {
  const keys = resources(doc, 'aws_kms_key').length;
  if (keys === 0) return [];
  return [
    line('KMS customer-managed keys', keys, 'keys', table.prices.kmsKeyMonth),
    line('KMS requests to them', usage.kmsRequestsPerMonth, 'requests', table.prices.kmsRequests10k, 10_000),
  ];
}

/**
 * Estimates one stack's monthly cost with the prices of its AWS provider's Region.
 * @param profile the profile whose assumptions `usage` is (null for a stack that is no environment), for the report
 * @throws EstimateProblems when no price table holds the stack's Region, or the stack uses something its table has no price for
 */
export function estimateStack(stack: string, doc: TerraformDocument, usage: UsageAssumptions, profile: ProfileName | null = null): StackEstimate {
  const region = providerRegion(doc);
  const table = pricesFor(region);
  if (table === undefined) throw new EstimateProblems([unpricedRegion(stack, region)]);
  const problems: string[] = [];
  const lines = [
    ...databaseLines(doc, table, usage, problems),
    ...secretLines(doc, table, usage),
    ...endpointLines(doc, table, usage),
    ...lambdaLines(doc, table, usage),
    ...logLines(doc, table, usage),
    ...alarmAndAlertLines(doc, table, usage),
    ...kmsLines(doc, table, usage),
  ];
  if (problems.length > 0) throw new EstimateProblems(problems.map((p) => `${stack}: ${p}`));
  const counts = new Map<string, number>();
  for (const r of resources(doc)) {
    if (!FREE_RESOURCE_TYPES.includes(r.type) && !PRICED_RESOURCE_TYPES.includes(r.type)) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  }
  const monthlyUsd = lines.reduce((sum, l) => sum + l.monthlyUsd, 0);
  return {
    stack,
    region: table.region,
    profile,
    lines,
    unpriced: [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => ({ type, count })),
    monthlyUsd,
    hourlyUsd: monthlyUsd / HOURS_PER_MONTH,
  };
}

/** The problem of a stack whose Region has no price table: the stack, its Region and the Regions priced. */
export function unpricedRegion(stack: string, region: string | undefined): string {
  return invalidField(`${stack}: the AWS provider's region`, region, `a Region with prices in tools/cost/prices.ts: ${PRICED_REGIONS.join(', ')}`);
}
