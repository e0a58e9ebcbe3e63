import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { environments, ENVIRONMENT_DEFINITIONS } from '../../config/environments';
import { resolveEnvironment } from '../../config/profiles';
import { REGIONS } from '../../config/regions';
import type { EnvironmentConfig } from '../../config/types';
import { NO_USAGE, USAGE_BY_PROFILE, USAGE_FIELDS } from '../../config/usage';
import { DEV_DEFINITION, PROD_DEFINITION, prod } from '../support/environments';
import { buildApp } from '../../stacks/app';
import type { TerraformDocument } from '../../policy/types';
import { estimateAll, readSynthesizedStacks, runCost, usageFor } from '../../tools/cost';
import { estimateStack } from '../../tools/cost/estimate';
import { allPrices, HOURS_PER_MONTH, PRICED_REGIONS, PRICE_TABLES, readOnRange } from '../../tools/cost/prices';
import { costMarker } from '../../tools/cost/report';
import { scratchDir } from '../support/scratch';

/** Runs `npm run cost` in-process, capturing its output. */
function cost(argv: string[], environmentList: readonly EnvironmentConfig[] = environments) {
  let stdout = '';
  let stderr = '';
  const exitCode = runCost(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, {}, environmentList);
  return { exitCode, stdout, stderr };
}

/** The prices the shipped environments are priced with (ap-southeast-1), and the other two Regions the issue asks for. */
const APSE1 = PRICE_TABLES['ap-southeast-1'];
const EUW1 = PRICE_TABLES['eu-west-1'];
const USE1 = PRICE_TABLES['us-east-1'];

/** Usage of the two shipped environments, through their profiles. */
const DEV_USAGE = USAGE_BY_PROFILE.workshop;
const PROD_USAGE = USAGE_BY_PROFILE.production;

const copy = (doc: TerraformDocument): any => JSON.parse(JSON.stringify(doc));

describe('npm run cost', () => {
  // One real synth of the shipped environments, read back from disk as the tool reads cdktf.out.
  const outdir = scratchDir('cost-');
  buildApp({ outdir, env: {}, environments }).synth();
  const docs = readSynthesizedStacks(outdir);
  const estimate = (stack: string, doc = docs.get(stack)!) => {
    const { usage, profile } = usageFor(stack, {});
    return estimateStack(stack, doc, usage, profile);
  };
  const item = (stack: string, pattern: RegExp) => {
    const found = estimate(stack).lines.filter((l) => pattern.test(l.item));
    if (found.length !== 1) throw new Error(`expected one line matching ${pattern} in ${stack}, found ${found.length}`);
    return found[0];
  };

  it('prints a monthly estimate in USD for dev and prod, naming every priced Region with the day its prices were read', () => {
    const { exitCode, stdout } = cost(['--from', outdir]);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("on-demand list prices of each stack's own Region (");
    for (const region of PRICED_REGIONS) expect(stdout).toContain(`${region} read ${readOnRange(allPrices(PRICE_TABLES[region]))}`);
    expect(stdout).toMatch(/^dev: \$\d+\.\d\d a month, \$\d\.\d{3} an hour deployed \(ap-southeast-1 prices, workshop usage\)$/m);
    expect(stdout).toMatch(/^prod: \$\d+\.\d\d a month, \$\d\.\d{3} an hour deployed \(ap-southeast-1 prices, production usage\)$/m);
    expect(stdout).toContain(`  ap-southeast-1 prices read 2026-11-30 from https://aws.amazon.com/rds/postgresql/pricing/, https://aws.amazon.com/secrets-manager/pricing/,`);
  });

  describe('reproduces the seed\'s cost section where it still holds', () => {
    // The seed's cost section and step 3.3: docs/seed.md, "The seed's numbers".
    it('"$0.40 per secret per month"', () => {
      expect(APSE1.prices.secretMonth).toMatchObject({ usd: 0.4, unit: 'secret-month', verified: true });
      expect(item('dev', /^Secrets Manager secrets/).monthlyUsd).toBeCloseTo(0.4, 10);
    });

    it('"$0.05 per 10,000 API calls"', () => {
      expect(APSE1.prices.secretsApi10k).toMatchObject({ usd: 0.05, unit: '10,000 requests', verified: true });
      const calls = item('dev', /^Secrets Manager API calls/);
      expect(calls.monthlyUsd).toBeCloseTo((DEV_USAGE.secretsApiCallsPerMonth / 10_000) * 0.05, 10);
    });

    it('"VPC Endpoint (PrivateLink): $0.013/hour", per AZ: $9.49 a month, not the seed\'s "~$7.20/month" ($0.01 × 720 h)', () => {
      expect(APSE1.prices.endpointAzHour).toMatchObject({ usd: 0.013, unit: 'AZ-hour', verified: true });
      expect(item('dev', /^Interface endpoint secretsmanager/).monthlyUsd).toBeCloseTo(9.49, 2);
    });

    it('"<$1 for the workshop" when it is cleaned up within a working day', () => {
      expect(estimate('dev').hourlyUsd * 8).toBeLessThan(1);
    });
  });

  it('prices what the synthesized JSON declares: instance class and Multi-AZ, endpoint AZs, alarms and keys', () => {
    expect(item('dev', /^RDS db\.t4g\.micro, Single-AZ$/).quantity).toBe(HOURS_PER_MONTH);
    expect(item('prod', /^RDS db\.t4g\.medium, Multi-AZ/).quantity).toBe(2 * HOURS_PER_MONTH);
    expect(item('prod', /^RDS gp3 storage/).quantity).toBe(2 * prod.database.allocatedStorageGiB);
    expect(item('dev', /^Interface endpoint secretsmanager, 1 AZ/).quantity).toBe(HOURS_PER_MONTH);
    expect(item('prod', /^Interface endpoint secretsmanager, 2 AZ/).quantity).toBe(2 * HOURS_PER_MONTH);
    // Four on each of the two functions (the application function and the migration function), four on the instance.
    expect(item('prod', /^CloudWatch alarms/).quantity).toBe(12);
    expect(item('prod', /^KMS customer-managed keys/).quantity).toBe(1);
    expect(estimate('dev').lines.filter((l) => /alarms|KMS|SNS/.test(l.item))).toEqual([]);
    // 256 MiB on arm64 for the assumed invocations and duration.
    const compute = item('prod', /compute, arm64, 256 MiB/);
    expect(compute.quantity).toBeCloseTo(PROD_USAGE.invocationsPerMonth * (PROD_USAGE.averageDurationMillis / 1000) * 0.25, 6);
    expect(compute.price).toBe(APSE1.prices.lambdaArmGbSecond);
  });

  it('keeps log storage to each group\'s retention: a year of prod logs, two weeks of dev logs', () => {
    const devStored = item('dev', /^CloudWatch Logs storage/).quantity;
    const prodStored = item('prod', /^CloudWatch Logs storage/).quantity;
    const prodIngest = estimate('prod').lines.filter((l) => /^CloudWatch Logs ingestion/.test(l.item)).reduce((s, l) => s + l.quantity, 0);
    expect(prodStored).toBeCloseTo(prodIngest * 12, 6);
    const devIngest = estimate('dev').lines.filter((l) => /^CloudWatch Logs ingestion/.test(l.item)).reduce((s, l) => s + l.quantity, 0);
    expect(devStored).toBeLessThan(devIngest);
  });

  it('sums the lines, and gives the hourly rate of the month', () => {
    const e = estimate('prod');
    expect(e.monthlyUsd).toBeCloseTo(e.lines.reduce((s, l) => s + l.monthlyUsd, 0), 10);
    expect(e.hourlyUsd).toBeCloseTo(e.monthlyUsd / HOURS_PER_MONTH, 10);
    expect(e.unpriced).toEqual([]);
  });

  it('applies a usage override to every stack', () => {
    const base = item('prod', /requests$/).monthlyUsd;
    const { estimates } = estimateAll(docs, { stacks: ['prod'], usage: { invocationsPerMonth: 2 * PROD_USAGE.invocationsPerMonth } });
    expect(estimates[0].lines.find((l) => /requests$/.test(l.item))?.monthlyUsd).toBeCloseTo(2 * base, 10);
  });

  it('marks prices not verified for the region, in the text and in the Markdown', () => {
    expect(APSE1.rdsPostgresInstanceHour['db.t4g.micro'].verified).toBe(false);
    expect(cost(['--from', outdir, 'dev']).stdout).toMatch(/\$0\.025\/hour\*[\s\S]*\* not verified against the ap-southeast-1 price list/);
    expect(cost(['--from', outdir, 'dev', '--markdown']).stdout).toContain('\\* not verified against the ap-southeast-1 price list');
  });

  it('lists what it does not price instead of pretending it is free', () => {
    const doc = copy(docs.get('dev')!);
    doc.resource.aws_s3_bucket = { extra: { bucket: 'extra' } };
    expect(estimate('dev', doc).unpriced).toEqual([{ type: 'aws_s3_bucket', count: 1 }]);
  });

  it('writes Markdown per stack with the change from the base branch', () => {
    const baseDir = scratchDir('cost-base-');
    mkdirSync(path.join(baseDir, 'stacks', 'prod'), { recursive: true });
    const baseProd = copy(docs.get('prod')!);
    delete baseProd.resource.aws_cloudwatch_metric_alarm;
    writeFileSync(path.join(baseDir, 'stacks', 'prod', 'cdk.tf.json'), JSON.stringify(baseProd));
    const target = scratchDir('cost-md-');
    const { exitCode } = cost(['--from', outdir, '--base', baseDir, '--write', path.join(target, '{stack}.md')]);
    expect(exitCode).toBe(0);
    const prodMd = readFileSync(path.join(target, 'prod.md'), 'utf8');
    expect(prodMd.startsWith(costMarker('prod'))).toBe(true);
    expect(prodMd).toMatch(/Monthly cost estimate for `prod`: \*\*\$\d+\.\d\d\*\* \(\+\$1\.20 a month from the base branch, \$\d+\.\d\d\)/);
    expect(prodMd).toContain('| CloudWatch alarms, standard resolution | 12 alarms | [$0.1/alarm-month](https://aws.amazon.com/cloudwatch/pricing/) | $1.20 | +$1.20 |');
    expect(prodMd).toContain('USD a month (730 hours), ap-southeast-1 on-demand list prices read 2026-11-30, before any free tier; usage assumptions of the production profile in config/usage.ts.');
    expect(readFileSync(path.join(target, 'dev.md'), 'utf8')).toContain('(new stack: not on the base branch)');
  });

  it('rejects a bad usage override, naming it, the value and what is allowed, with exit code 1', () => {
    const { exitCode, stderr, stdout } = cost(['--from', outdir, '--usage', 'invocationsPerMonth=-5', '--usage', 'visitors=3']);
    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('--usage invocationsPerMonth: received "-5"; allowed: a non-negative number');
    expect(stderr).toContain('--usage: received "visitors=3"; allowed: NAME=VALUE with NAME one of invocationsPerMonth,');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an instance class its Region has no price for, listing the classes it can price', () => {
    const doc = copy(docs.get('prod')!);
    const [name] = Object.keys(doc.resource.aws_db_instance);
    doc.resource.aws_db_instance[name].instance_class = 'db.r6g.large';
    doc.provider.aws[0].region = 'eu-west-1';
    expect(() => estimateAll(new Map([['prod', doc]]), { stacks: ['prod'], usage: {} })).toThrow(
      /prod: workshop-prod-backend-db: instance class "db\.r6g\.large" has no eu-west-1 price in tools\/cost\/prices\.ts; priced: db\.t4g\.micro/,
    );
  });

  it('fails for an environment in a Region without prices, naming the stack, its Region and the Regions priced, with exit code 1', () => {
    const doc = copy(docs.get('prod')!);
    doc.provider.aws[0].region = 'sa-east-1';
    const problem = `prod: the AWS provider's region: received "sa-east-1"; allowed: a Region with prices in tools/cost/prices.ts: ${PRICED_REGIONS.join(', ')}`;
    // Named or not: an environment is never skipped.
    expect(() => estimateAll(new Map([...docs, ['prod', doc]]), { stacks: [], usage: {} })).toThrow(problem);
    expect(() => estimateAll(new Map([['prod', doc]]), { stacks: ['prod'], usage: {} })).toThrow(problem);
    const dir = scratchDir('cost-unpriced-');
    mkdirSync(path.join(dir, 'stacks', 'prod'), { recursive: true });
    writeFileSync(path.join(dir, 'stacks', 'prod', 'cdk.tf.json'), JSON.stringify(doc));
    const { exitCode, stdout, stderr } = cost(['--from', dir]);
    expect({ exitCode, stdout }).toEqual({ exitCode: 1, stdout: '' });
    expect(stderr).toContain(problem);
    expect(stderr).toContain("or the Region's prices");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('skips an unnamed stack that is no environment (a state bucket) in a Region without prices, and the CI roles, with a note, and fails a named one', () => {
    const doc = copy(docs.get('dev')!);
    doc.provider.aws[0].region = 'sa-east-1';
    const all = new Map([...docs, ['state-bootstrap', doc]]);
    expect(estimateAll(all, { stacks: [], usage: {} })).toMatchObject({
      skipped: ['ci-access-111122223333 (CI roles, IAM only)', 'state-bootstrap (region sa-east-1)'],
      estimates: [{ stack: 'dev' }, { stack: 'prod' }],
    });
    expect(() => estimateAll(all, { stacks: ['state-bootstrap'], usage: {} })).toThrow(/state-bootstrap: the AWS provider's region: received "sa-east-1"/);
  });

  it('prices a stack that is no environment in a priced Region with no usage, only what it declares', () => {
    const doc = copy(docs.get('dev')!);
    doc.provider.aws[0].region = 'eu-west-1';
    const { estimates, skipped } = estimateAll(new Map([...docs, ['state-bootstrap', doc]]), { stacks: [], usage: {} });
    const bootstrap = estimates.find((e) => e.stack === 'state-bootstrap')!;
    expect(skipped).toEqual(['ci-access-111122223333 (CI roles, IAM only)']);
    expect(bootstrap).toMatchObject({ region: 'eu-west-1', profile: null });
    expect(bootstrap.lines.find((l) => /^Lambda .* requests$/.test(l.item))?.quantity).toBe(0);
    expect(bootstrap.lines.find((l) => /^RDS db\.t4g\.micro/.test(l.item))?.quantity).toBe(HOURS_PER_MONTH);
  });

  it('rejects an unknown stack name and an empty cdktf output folder', () => {
    expect(cost(['--from', outdir, 'staging']).stderr).toContain('STACK: received "staging"; allowed: one of the synthesized stacks: ci-access-111122223333, dev, prod');
    const empty = scratchDir('cost-empty-');
    expect(cost(['--from', empty])).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('a cdktf output folder with stacks/<stack>/cdk.tf.json') });
  });

  it('prices every Region the shipped environments use', () => {
    for (const { environment, region } of environments) expect({ environment, region, priced: PRICED_REGIONS.includes(region) }).toEqual({ environment, region, priced: true });
  });
});

describe('npm run cost, per Region and per profile', () => {
  // A staging environment in eu-west-1 with the production profile, and a sandbox in us-east-1
  // with the workshop profile: environments a team adds, in Regions other than the shipped ones.
  const staging = resolveEnvironment({ environment: 'staging', profile: 'production', region: 'eu-west-1', account: '444455556666' });
  const sandbox = resolveEnvironment({ environment: 'sandbox', profile: 'workshop', region: 'us-east-1' });
  const added = [staging, sandbox];
  const outdir = scratchDir('cost-regions-');
  buildApp({ outdir, env: {}, environments: added, notice: () => {} }).synth();
  const docs = readSynthesizedStacks(outdir);
  const { estimates } = estimateAll(docs, { stacks: [], usage: {}, environments: added });
  const byStack = new Map(estimates.map((e) => [e.stack, e]));
  const item = (stack: string, pattern: RegExp) => {
    const found = byStack.get(stack)!.lines.filter((l) => pattern.test(l.item));
    if (found.length !== 1) throw new Error(`expected one line matching ${pattern} in ${stack}, found ${found.length}`);
    return found[0];
  };

  it('prices a stack in eu-west-1 with eu-west-1 prices, each with its source, day read and usage type', () => {
    expect(byStack.get('staging')).toMatchObject({ region: 'eu-west-1' });
    const db = item('staging', /^RDS db\.t4g\.medium, Multi-AZ/);
    expect(db.price).toBe(EUW1.rdsPostgresInstanceHour['db.t4g.medium']);
    expect(db.price).toMatchObject({ region: 'eu-west-1', source: 'https://aws.amazon.com/rds/postgresql/pricing/', usageType: 'EU-InstanceUsage:db.t4g.medium' });
    expect(db.price.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(db.price.usd).not.toBe(APSE1.rdsPostgresInstanceHour['db.t4g.medium'].usd);
    expect(db.monthlyUsd).toBeCloseTo(2 * HOURS_PER_MONTH * EUW1.rdsPostgresInstanceHour['db.t4g.medium'].usd, 10);
    const endpoint = item('staging', /^Interface endpoint secretsmanager, 2 AZ/);
    expect(endpoint.price).toMatchObject({ region: 'eu-west-1', source: 'https://aws.amazon.com/privatelink/pricing/', usageType: 'EU-VpcEndpoint-Hours' });
    expect(endpoint.monthlyUsd).toBeCloseTo(2 * HOURS_PER_MONTH * EUW1.prices.endpointAzHour.usd, 10);
    expect(item('staging', /^KMS customer-managed keys/).price.usageType).toBe('eu-west-1-KMS-Keys');
    for (const l of byStack.get('staging')!.lines) expect(l.price.region).toBe('eu-west-1');
  });

  it('prices a stack in us-east-1 with us-east-1 prices, each with its source, day read and usage type', () => {
    expect(byStack.get('sandbox')).toMatchObject({ region: 'us-east-1' });
    const db = item('sandbox', /^RDS db\.t4g\.micro, Single-AZ$/);
    expect(db.price).toBe(USE1.rdsPostgresInstanceHour['db.t4g.micro']);
    expect(db.price).toMatchObject({ region: 'us-east-1', source: 'https://aws.amazon.com/rds/postgresql/pricing/', usageType: 'InstanceUsage:db.t4g.micro' });
    expect(db.price.usd).not.toBe(APSE1.rdsPostgresInstanceHour['db.t4g.micro'].usd);
    const ingest = item('sandbox', /^CloudWatch Logs ingestion, VPC flow logs$/);
    expect(ingest.price).toMatchObject({ region: 'us-east-1', source: 'https://aws.amazon.com/cloudwatch/pricing/', usageType: 'DataProcessing-Bytes' });
    expect(ingest.monthlyUsd).toBeCloseTo(USAGE_BY_PROFILE.workshop.flowLogGbPerMonth * USE1.prices.logsIngestGb.usd, 10);
    for (const l of byStack.get('sandbox')!.lines) expect(l.price.region).toBe('us-east-1');
  });

  it('prints each stack with its own Region, the day its prices were read and their sources, in text and Markdown', () => {
    const text = cost(['--from', outdir], added);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^staging: \$[\d,]+\.\d\d a month, \$\d\.\d{3} an hour deployed \(eu-west-1 prices, production usage\)$/m);
    expect(text.stdout).toMatch(/^sandbox: \$[\d,]+\.\d\d a month, \$\d\.\d{3} an hour deployed \(us-east-1 prices, workshop usage\)$/m);
    expect(text.stdout).toContain(`  eu-west-1 prices read ${EUW1.prices.endpointAzHour.readOn} from https://aws.amazon.com/rds/postgresql/pricing/`);
    expect(text.stdout).toContain('* not verified against the eu-west-1 price list');
    const md = cost(['--from', outdir, 'staging', '--markdown'], added).stdout;
    expect(md).toContain(`eu-west-1 on-demand list prices read ${EUW1.prices.endpointAzHour.readOn}, before any free tier; usage assumptions of the production profile in config/usage.ts.`);
    expect(md).toContain(`[$${EUW1.prices.endpointAzHour.usd}/AZ-hour*](https://aws.amazon.com/privatelink/pricing/)`);
  });

  it('gives an environment the usage of its profile, whatever its name: staging, of the production profile, gets production usage', () => {
    expect(usageFor('staging', {}, added)).toEqual({ profile: 'production', usage: USAGE_BY_PROFILE.production });
    expect(usageFor('sandbox', {}, added)).toEqual({ profile: 'workshop', usage: USAGE_BY_PROFILE.workshop });
    expect(usageFor('state-bootstrap', {}, added)).toEqual({ profile: null, usage: NO_USAGE });
    expect(byStack.get('staging')!.profile).toBe('production');
    expect(item('staging', /^Lambda .* requests$/).quantity).toBe(USAGE_BY_PROFILE.production.invocationsPerMonth);
    expect(item('sandbox', /^Lambda .* requests$/).quantity).toBe(USAGE_BY_PROFILE.workshop.invocationsPerMonth);
  });

  it('follows the environment list: adding staging to the shipped definitions needs no edit to config/usage.ts or the price tables', () => {
    const definitions = [...ENVIRONMENT_DEFINITIONS, { environment: 'staging', profile: 'production' as const, region: 'eu-west-1', account: '444455556666' }];
    expect(usageFor('staging', {}, definitions)).toEqual({ profile: 'production', usage: USAGE_BY_PROFILE.production });
    expect(definitions.every((d) => PRICED_REGIONS.includes(d.region))).toBe(true);
    // The shipped environments keep theirs.
    expect(usageFor(DEV_DEFINITION.environment, {}, definitions).profile).toBe('workshop');
    expect(usageFor(PROD_DEFINITION.environment, {}, definitions).profile).toBe('production');
  });
});

describe('the price tables', () => {
  /** The usage-type prefix of each Region in the AWS price list (none for us-east-1, or USE1-). */
  const PREFIX: Readonly<Record<string, RegExp>> = {
    'ap-southeast-1': /^(APS1-|ap-southeast-1-KMS-)/,
    'eu-west-1': /^(EU-|eu-west-1-KMS-)/,
    'us-east-1': /^(?!APS1-|EU-|ap-|eu-)(USE1-)?/,
  };

  it('price ap-southeast-1, eu-west-1 and us-east-1 at least, each a Region of config/regions.ts', () => {
    expect(PRICED_REGIONS).toEqual(expect.arrayContaining(['ap-southeast-1', 'eu-west-1', 'us-east-1']));
    for (const region of PRICED_REGIONS) expect(Object.keys(REGIONS)).toContain(region);
  });

  it.each(PRICED_REGIONS.map((r) => [r]))('give every %s price its Region, a source URL, the day it was read, and a note when unverified', (region) => {
    const table = PRICE_TABLES[region];
    expect(Object.keys(table.rdsPostgresInstanceHour)).toEqual(expect.arrayContaining(['db.t4g.micro', 'db.t4g.small', 'db.t4g.medium']));
    for (const p of allPrices(table)) {
      expect(p.region).toBe(region);
      expect(p.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(p.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.usd).toBeGreaterThan(0);
      if (!p.verified) expect(p.note).toMatch(/\S/);
      if (p.usageType !== undefined) expect(p.usageType).toMatch(PREFIX[region]);
    }
  });

  it('are named in help with the day each was read', () => {
    // help is plain text printed by `cat help`, so it holds a copy; this keeps the copy current.
    const help = readFileSync(path.join(__dirname, '..', '..', 'help'), 'utf8').replace(/\s+/g, ' ');
    for (const region of PRICED_REGIONS) expect(help).toContain(`${region} read ${readOnRange(allPrices(PRICE_TABLES[region]))}`);
  });

  it('assume no usage for a stack that is no environment', () => {
    for (const field of USAGE_FIELDS) expect(NO_USAGE[field]).toBe(0);
  });
});
