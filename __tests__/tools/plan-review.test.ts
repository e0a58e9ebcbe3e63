import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  attentionReasons,
  comparePlans,
  engineMajorVersion,
  EXIT_CODES,
  main,
  parsePlan,
  PlanJson,
  renderMarkdown,
  reviewPlan,
} from '../../tools/plan-review';
import { makeTempDir, removeTempDirs, terraformOk } from '../support/terraform';
import { bundleEntry } from '../../build/bundle-cache';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** A provider-free configuration: `terraform_data` resources (keyed by name) and one output. */
function config(resources: Record<string, { input?: string; triggers_replace?: string }>) {
  return {
    resource: { terraform_data: resources },
    output: { names: { value: Object.keys(resources).sort().join(',') } },
  };
}

const v1 = config({ db: { triggers_replace: 'v1' }, cache: { input: 'a' }, old: { input: 'x' } });
// db is replaced (triggers_replace), cache updated in place, old deleted, fresh created.
const v2 = config({ db: { triggers_replace: 'v2' }, cache: { input: 'b' }, fresh: { input: 'n' } });
const v3 = config({ db: { triggers_replace: 'v3' }, cache: { input: 'b' }, fresh: { input: 'n' } });

let workDir: string;
const planFiles: Record<string, string> = {};

/** Writes `cfg` to the work dir, plans against the applied v1 state and saves `terraform show -json`. */
async function planJson(name: string, cfg: object, extraArgs: string[] = []): Promise<string> {
  writeFileSync(path.join(workDir, 'main.tf.json'), JSON.stringify(cfg));
  await terraformOk(workDir, ['plan', '-input=false', '-lock-timeout=10s', `-out=${name}.tfplan`, ...extraArgs]);
  const show = await terraformOk(workDir, ['show', '-json', `${name}.tfplan`]);
  const file = path.join(workDir, `${name}.json`);
  writeFileSync(file, show.stdout);
  return file;
}

const load = (name: string): PlanJson => parsePlan(require('node:fs').readFileSync(planFiles[name], 'utf8'), name);

function runMain(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { exitCode, stdout, stderr };
}

/** Runs the real npm script, as CI does. */
function npmPlanReview(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'plan:review', '--', ...args], { cwd: PROJECT_ROOT }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

/** Runs tools/plan-review.ts as a process (its `require.main` block), bundled (build/bundle-cache.js, bundleEntry), without npm. */
async function nodePlanReview(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const script = (await bundleEntry(PROJECT_ROOT, 'tools/plan-review.ts')).file;
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: PROJECT_ROOT }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  workDir = makeTempDir('plan-review');
  writeFileSync(path.join(workDir, 'main.tf.json'), JSON.stringify(v1));
  await terraformOk(workDir, ['init', '-input=false']);
  await terraformOk(workDir, ['apply', '-auto-approve', '-input=false', '-lock-timeout=10s']);
  planFiles.none = await planJson('none', v1);
  planFiles.v2 = await planJson('v2', v2);
  planFiles.v2again = await planJson('v2again', v2);
  planFiles.v3 = await planJson('v3', v3);
  planFiles.byRequest = await planJson('by-request', v1, ['-replace=terraform_data.cache']);
  writeFileSync(path.join(workDir, 'main.tf.json'), JSON.stringify(v1));
});

afterAll(() => removeTempDirs());

describe('plan-review on real terraform plans', () => {
  it('classifies each change: replace, delete, update and create', () => {
    const review = reviewPlan(load('v2'));
    expect(review.changes.map((c) => [c.kind, c.address])).toEqual([
      ['replace', 'terraform_data.db'],
      ['delete', 'terraform_data.old'],
      ['update', 'terraform_data.cache'],
      ['create', 'terraform_data.fresh'],
    ]);
  });

  it('names the attributes that force a replacement', () => {
    const db = reviewPlan(load('v2')).changes.find((c) => c.address === 'terraform_data.db');
    expect(db?.forcedBy).toEqual(['triggers_replace']);
  });

  it('lists replacements and deletions first in the Markdown summary', () => {
    const markdown = renderMarkdown(reviewPlan(load('v2')), 'dev');
    expect(markdown.startsWith('<!-- plan-review:dev -->\n### Terraform plan for `dev`')).toBe(true);
    expect(markdown).toContain('**1 to replace**, **1 to delete**, **1 to update**, **1 to create**');
    const order = ['#### Replace (1)', '#### Delete (1)', '#### Update in place (1)', '#### Create (1)'].map((h) => markdown.indexOf(h));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(markdown).toContain('- `terraform_data.db` (forced by `triggers_replace`)');
  });

  it('says so when the plan changes nothing', () => {
    const result = runMain(['--stack', 'prod', planFiles.none]);
    expect(result.exitCode).toBe(EXIT_CODES.ok);
    expect(result.stdout).toContain('No changes.');
  });

  it('shows the reason of a replacement that was asked for with -replace', () => {
    const cache = reviewPlan(load('byRequest')).changes.find((c) => c.address === 'terraform_data.cache');
    expect(cache).toMatchObject({ kind: 'replace', reason: 'replace_by_request' });
  });

  it('passes replacements and deletions of types that are not protected (the default list is AWS stateful types)', () => {
    const result = runMain([planFiles.v2]);
    expect(result.exitCode).toBe(EXIT_CODES.ok);
  });

  it('fails when the plan deletes or replaces a protected resource, naming each one', () => {
    const result = runMain(['--protected-types', 'terraform_data', planFiles.v2]);
    expect(result.exitCode).toBe(EXIT_CODES.blocked);
    expect(result.stdout).toContain('**Blocked:** this plan deletes or replaces 2 protected resource(s): `terraform_data.db`, `terraform_data.old`');
    expect(result.stderr).toMatch(/blocked: deletes or replaces protected terraform_data.db, terraform_data.old/);
  });

  it('fails when only some of the protected changes are allowed', () => {
    const result = runMain(['--protected-types', 'terraform_data', '--allow', 'terraform_data.db', planFiles.v2]);
    expect(result.exitCode).toBe(EXIT_CODES.blocked);
    expect(result.stdout).toContain('- `terraform_data.db` (forced by `triggers_replace`; protected, **allowed**)');
    expect(result.stdout).toContain('- `terraform_data.old` (reason: `delete_because_no_resource_config`; **protected: blocked**)');
  });

  it('passes when an allow flag or allow file names every protected change', () => {
    const allowFile = path.join(workDir, 'allow.txt');
    writeFileSync(allowFile, '# dropping the old cache on purpose\nterraform_data.old  # ticket 42\n\n');
    const result = runMain(['--protected-types', 'terraform_data', '--allow', 'terraform_data.db', '--allow-file', allowFile, planFiles.v2]);
    expect(result.exitCode).toBe(EXIT_CODES.ok);
    expect(result.stdout).not.toContain('Blocked');
  });

  it('writes the summary to --output too', () => {
    const out = path.join(workDir, 'summary.md');
    runMain(['--stack', 'dev', '--output', out, planFiles.v2]);
    expect(require('node:fs').readFileSync(out, 'utf8')).toContain('### Terraform plan for `dev`');
  });
});

describe('plan-review --compare', () => {
  it('accepts a fresh plan that makes exactly the reviewed changes', () => {
    expect(comparePlans(load('v2'), load('v2again'))).toEqual([]);
    expect(runMain(['--compare', planFiles.v2, planFiles.v2again]).exitCode).toBe(EXIT_CODES.ok);
  });

  it('rejects a fresh plan whose changes differ, naming each difference', () => {
    const result = runMain(['--compare', planFiles.v2, planFiles.v3]);
    expect(result.exitCode).toBe(EXIT_CODES.plansDiffer);
    expect(result.stderr).toContain('resource terraform_data.db: planned change differs from the reviewed one');
  });

  it('rejects a fresh plan with changes the reviewed plan did not have', () => {
    expect(comparePlans(load('none'), load('v2'))).toEqual(
      expect.arrayContaining(['resource terraform_data.fresh: in the fresh plan only (not reviewed)']),
    );
  });
});

describe('plan-review input errors', () => {
  it('rejects input that is not JSON with its own exit code', () => {
    const file = path.join(workDir, 'plan.txt');
    writeFileSync(file, 'Terraform will perform the following actions:\n');
    const result = runMain([file]);
    expect(result.exitCode).toBe(EXIT_CODES.notJson);
    expect(result.stderr).toMatch(/is not JSON .*Pass the output of `terraform show -json <planfile>`/);
  });

  it('rejects JSON that is not a plan with its own exit code', async () => {
    const file = path.join(workDir, 'version.json');
    writeFileSync(file, (await terraformOk(workDir, ['version', '-json'])).stdout);
    const result = runMain([file]);
    expect(result.exitCode).toBe(EXIT_CODES.notAPlan);
    expect(result.stderr).toMatch(/is JSON but not a Terraform plan: it has no "format_version"/);
  });

  it('rejects an older plan format version with its own exit code', () => {
    const file = path.join(workDir, 'old-format.json');
    writeFileSync(file, JSON.stringify({ ...load('v2'), format_version: '0.2' }));
    const result = runMain([file]);
    expect(result.exitCode).toBe(EXIT_CODES.unsupportedFormat);
    expect(result.stderr).toMatch(/plan format_version "0.2"; allowed: 1.x/);
  });

  it('rejects a wrong command line with the usage', () => {
    expect(runMain([]).exitCode).toBe(EXIT_CODES.usage);
    expect(runMain(['--compare', planFiles.v2]).stderr).toMatch(/--compare needs two files/);
    expect(runMain(['--bogus', planFiles.v2]).stderr).toMatch(/Unknown option --bogus[\s\S]*Usage:/);
    expect(runMain([path.join(workDir, 'missing.json')]).exitCode).toBe(EXIT_CODES.usage);
  });

  it('gives each outcome a distinct exit code', () => {
    expect(new Set(Object.values(EXIT_CODES)).size).toBe(Object.keys(EXIT_CODES).length);
  });
});

describe('npm run plan:review (the command CI calls)', () => {
  it('prints the summary on stdout and exits 1 for a blocked plan, and 3 for input that is not JSON', async () => {
    const notJson = path.join(workDir, 'not-json.txt');
    writeFileSync(notJson, 'nope');
    const blockedArgs = ['--stack', 'dev', '--protected-types', 'terraform_data', planFiles.v2];
    // One run through npm and tsx, as CI runs it (workflows.test.ts runs the workflow steps, which call
    // it too); the other runs the script's own command line in node, without npm's start-up.
    const [blocked, bad] = await Promise.all([npmPlanReview(blockedArgs), nodePlanReview([notJson])]);
    expect(blocked.exitCode).toBe(EXIT_CODES.blocked);
    expect(blocked.stdout.startsWith('<!-- plan-review:dev -->')).toBe(true);
    // npm adds nothing to stdout, even when the script fails: it is the summary alone.
    expect(blocked.stdout).toBe(runMain(blockedArgs).stdout);
    expect(bad.exitCode).toBe(EXIT_CODES.notJson);
    expect(bad.stdout).toBe('');
  });
});

describe('plan-review attention for database changes that restart or fail over', () => {
  const update = (before: object, after: object, unknown: object = {}) => ({
    address: 'aws_db_instance.db',
    mode: 'managed' as const,
    type: 'aws_db_instance',
    change: { actions: ['update'], before, after, after_unknown: unknown },
  });

  it('names each disruptive attribute with the reason', () => {
    const reasons = attentionReasons(
      update(
        { instance_class: 'db.t4g.micro', multi_az: false, storage_type: 'gp2', engine_version: '17.4' },
        { instance_class: 'db.t4g.small', multi_az: true, storage_type: 'gp3', engine_version: '17.6' },
      ),
    );
    expect(reasons).toEqual([
      expect.stringMatching(/^instance_class "db.t4g.micro" -> "db.t4g.small": a new instance class restarts the instance/),
      expect.stringMatching(/^engine_version "17.4" -> "17.6": a new engine version restarts the instance/),
      expect.stringMatching(/^multi_az false -> true: turning Multi-AZ on or off/),
      expect.stringMatching(/^storage_type "gp2" -> "gp3": a new storage type starts a storage optimization/),
    ]);
  });

  it('names an engine major-version change as a major upgrade', () => {
    expect(attentionReasons(update({ engine_version: '16' }, { engine_version: '17' }))).toEqual([
      expect.stringMatching(/^engine major-version upgrade 16 -> 17: RDS takes the instance offline/),
    ]);
    expect(engineMajorVersion('9.6.24')).toBe('9.6');
  });

  it('says nothing for other updates, unknown values, or other resource types', () => {
    expect(attentionReasons(update({ backup_retention_period: 7 }, { backup_retention_period: 14 }))).toEqual([]);
    expect(attentionReasons(update({ engine_version: '17' }, { engine_version: null }, { engine_version: true }))).toEqual([]);
    expect(attentionReasons({ ...update({ instance_class: 'a' }, { instance_class: 'b' }), type: 'aws_rds_cluster' })).toEqual([]);
  });
});
