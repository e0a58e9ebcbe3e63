import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { environments } from '../../config/environments';
import { prod } from '../support/environments';
import { USAGE } from '../../config/usage';
import { buildApp } from '../../stacks/app';
import type { TerraformDocument } from '../../policy/types';
import { estimateAll, readSynthesizedStacks, runCost } from '../../tools/cost';
import { estimateStack } from '../../tools/cost/estimate';
import { HOURS_PER_MONTH, PRICES, PRICES_AS_OF, RDS_POSTGRES_INSTANCE_HOUR } from '../../tools/cost/prices';
import { costMarker } from '../../tools/cost/report';
import { scratchDir } from '../support/scratch';

/** Runs `npm run cost` in-process, capturing its output. */
function cost(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = runCost(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, {});
  return { exitCode, stdout, stderr };
}

const copy = (doc: TerraformDocument): any => JSON.parse(JSON.stringify(doc));

describe('npm run cost', () => {
  // One real synth of the shipped environments, read back from disk as the tool reads cdktf.out.
  const outdir = scratchDir('cost-');
  buildApp({ outdir, env: {}, environments }).synth();
  const docs = readSynthesizedStacks(outdir);
  const estimate = (stack: string, doc = docs.get(stack)!) => estimateStack(stack, doc, USAGE[stack]);
  const item = (stack: string, pattern: RegExp) => {
    const found = estimate(stack).lines.filter((l) => pattern.test(l.item));
    if (found.length !== 1) throw new Error(`expected one line matching ${pattern} in ${stack}, found ${found.length}`);
    return found[0];
  };

  it('prints a dated monthly estimate in USD for dev and prod', () => {
    const { exitCode, stdout } = cost(['--from', outdir]);
    expect(exitCode).toBe(0);
    expect(stdout).toContain(`ap-southeast-1 on-demand list prices of ${PRICES_AS_OF}`);
    expect(stdout).toMatch(/^dev: \$\d+\.\d\d a month, \$\d\.\d{3} an hour deployed$/m);
    expect(stdout).toMatch(/^prod: \$\d+\.\d\d a month, \$\d\.\d{3} an hour deployed$/m);
  });

  describe('reproduces the seed\'s cost section where it still holds', () => {
    // The seed's cost section and step 3.3: docs/seed.md, "The seed's numbers".
    it('"$0.40 per secret per month"', () => {
      expect(PRICES.secretMonth).toMatchObject({ usd: 0.4, unit: 'secret-month', verified: true });
      expect(item('dev', /^Secrets Manager secrets/).monthlyUsd).toBeCloseTo(0.4, 10);
    });

    it('"$0.05 per 10,000 API calls"', () => {
      expect(PRICES.secretsApi10k).toMatchObject({ usd: 0.05, unit: '10,000 requests', verified: true });
      const calls = item('dev', /^Secrets Manager API calls/);
      expect(calls.monthlyUsd).toBeCloseTo((USAGE.dev.secretsApiCallsPerMonth / 10_000) * 0.05, 10);
    });

    it('"VPC Endpoint (PrivateLink): $0.013/hour", per AZ: $9.49 a month, not the seed\'s "~$7.20/month" ($0.01 × 720 h)', () => {
      expect(PRICES.endpointAzHour).toMatchObject({ usd: 0.013, unit: 'AZ-hour', verified: true });
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
    expect(item('prod', /^CloudWatch alarms/).quantity).toBe(8);
    expect(item('prod', /^KMS customer-managed keys/).quantity).toBe(1);
    expect(estimate('dev').lines.filter((l) => /alarms|KMS|SNS/.test(l.item))).toEqual([]);
    // 256 MiB on arm64 for the assumed invocations and duration.
    const compute = item('prod', /compute, arm64, 256 MiB/);
    expect(compute.quantity).toBeCloseTo(USAGE.prod.invocationsPerMonth * (USAGE.prod.averageDurationMillis / 1000) * 0.25, 6);
    expect(compute.price).toBe(PRICES.lambdaArmGbSecond);
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
    const { estimates } = estimateAll(docs, { stacks: ['prod'], usage: { invocationsPerMonth: 2 * USAGE.prod.invocationsPerMonth } });
    expect(estimates[0].lines.find((l) => /requests$/.test(l.item))?.monthlyUsd).toBeCloseTo(2 * base, 10);
  });

  it('marks prices not verified for the region, in the text and in the Markdown', () => {
    expect(RDS_POSTGRES_INSTANCE_HOUR['db.t4g.micro'].verified).toBe(false);
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
    expect(prodMd).toMatch(/Monthly cost estimate for `prod`: \*\*\$\d+\.\d\d\*\* \(\+\$0\.80 a month from the base branch, \$\d+\.\d\d\)/);
    expect(prodMd).toContain('| CloudWatch alarms, standard resolution | 8 alarms | $0.1/alarm-month | $0.80 | +$0.80 |');
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

  it('rejects a stack it has no price for, listing the classes it can price', () => {
    const doc = copy(docs.get('prod')!);
    const [name] = Object.keys(doc.resource.aws_db_instance);
    doc.resource.aws_db_instance[name].instance_class = 'db.r6g.large';
    doc.provider.aws[0].region = 'eu-west-1';
    expect(() => estimateAll(new Map([['prod', doc]]), { stacks: ['prod'], usage: {} })).toThrow(
      /prod: the AWS provider's region is "eu-west-1"[\s\S]*prod: workshop-prod-backend-db: instance class "db\.r6g\.large" has no price in tools\/cost\/prices\.ts; priced: db\.t4g\.micro/,
    );
  });

  it('skips an unnamed stack of another region, and the CI roles, with a note, and fails a named one', () => {
    const doc = copy(docs.get('dev')!);
    doc.provider.aws[0].region = 'eu-west-1';
    const all = new Map([...docs, ['state-bootstrap', doc]]);
    expect(estimateAll(all, { stacks: [], usage: {} })).toMatchObject({
      skipped: ['ci-access-111122223333 (CI roles, IAM only)', 'state-bootstrap (region eu-west-1)'],
      estimates: [{ stack: 'dev' }, { stack: 'prod' }],
    });
    expect(() => estimateAll(all, { stacks: ['state-bootstrap'], usage: {} })).toThrow(/state-bootstrap: the AWS provider's region is "eu-west-1"/);
  });

  it('rejects an unknown stack name and an empty cdktf output folder', () => {
    expect(cost(['--from', outdir, 'staging']).stderr).toContain('STACK: received "staging"; allowed: one of the synthesized stacks: ci-access-111122223333, dev, prod');
    const empty = scratchDir('cost-empty-');
    expect(cost(['--from', empty])).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('a cdktf output folder with stacks/<stack>/cdk.tf.json') });
  });

  it('dates the table and gives every price a source URL', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const price of [...Object.values(PRICES), ...Object.values(RDS_POSTGRES_INSTANCE_HOUR)]) {
      expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(price.usd).toBeGreaterThan(0);
    }
  });
});
