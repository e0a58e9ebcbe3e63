import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { buildApp, exitCodeOf, synthApp } from '../stacks/app';
import { StateBootstrapStack } from '../stacks/state-bootstrap-stack';
import { dev, prod } from './support/environments';
import type { EnvironmentConfig } from '../config/types';
import { withField } from './support/synth';
import { fileTree } from './support/scratch';
import { bundleEntry } from '../build/bundle-cache';

const projectRoot = path.resolve(__dirname, '..');


describe('main', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(path.join(os.tmpdir(), 'main-test-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  it("builds one stack per environment, the state-bootstrap stack only with a state bucket, and the CI roles of prod's account", () => {
    const ids = (env: NodeJS.ProcessEnv) => buildApp({ outdir, env, notice: () => undefined }).node.children.map((c) => c.node.id);
    expect(ids({})).toEqual(['dev', 'prod', 'ci-access-111122223333']);
    expect(ids({ TF_STATE_BUCKET: 'team-state', TF_STATE_REGION: 'ap-southeast-1' })).toEqual(['dev', 'prod', 'state-bootstrap', 'ci-access-111122223333']);
  });

  it('reports the problems of every invalid environment at once, as a message without a stack trace, and writes nothing', () => {
    const written: string[] = [];
    const badDev = withField(dev, 'functions.0.timeoutSeconds', 1000) as EnvironmentConfig;
    const badProd = withField(prod, 'network.vpcCidr', '10.0.0.0/99') as EnvironmentConfig;
    const code = synthApp({ outdir, env: {}, environments: [badDev, badProd] }, (t) => written.push(t));
    expect(code).toBe(1);
    const text = written.join('');
    expect(text).toContain('Invalid configuration for environments "dev", "prod" (config/environments.ts)');
    expect(text).toContain('- dev: functions.0.timeoutSeconds: received 1000; allowed: an integer from 3 to 900');
    expect(text).toContain('- prod: network.vpcCidr: received "10.0.0.0/99"; allowed: an IPv4 CIDR block');
    expect(text).toContain('Fix: change these fields in config/environments.ts');
    expect(text).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(outdir, 'stacks'))).toBe(false);
  });

  it('fails a real synth on a bad state backend variable with exit code 1 and only the message', async () => {
    // main.ts run directly (its `require.main === module` block), bundled as synth.js bundles it:
    // synth.test.ts compares what synth.js writes with main.ts's synthApp run from the sources.
    const result = spawnSync(process.execPath, [(await bundleEntry(projectRoot, 'main.ts')).file], {
      cwd: projectRoot,
      env: { ...process.env, CDKTF_OUTDIR: outdir, TF_STATE_BUCKET: 'Not_A_Bucket', TF_STATE_REGION: 'ap-southeast-1' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('TF_STATE_BUCKET');
    expect(result.stderr).toContain('Not_A_Bucket');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(outdir, 'stacks'))).toBe(false);
  });

  it('says once per synth which stacks are not pinned to an account, and which carry an example account id', () => {
    const notices: string[] = [];
    buildApp({ outdir, env: {}, environments: [dev, prod], notice: (line) => notices.push(line) });
    expect(notices).toEqual([
      expect.stringMatching(/^dev: not pinned to an AWS account; .*Set "account" in config\/environments\.ts/),
      expect.stringMatching(/^prod: account 111122223333 is an example id from AWS's documentation; replace it/),
      expect.stringMatching(/^config\/repository\.ts: owner "your-github-owner" is a placeholder/),
    ]);
    const pinned = { ...prod, account: '444455556666', deployRoleArn: 'arn:aws:iam::444455556666:role/deploy' };
    const quiet: string[] = [];
    const repository = { owner: 'octo-org', name: 'workshop-backend', defaultBranch: 'main' };
    const app = buildApp({ outdir, env: {}, environments: [pinned], repository, notice: (line) => quiet.push(line) });
    expect(quiet).toEqual([]);
    const stack = app.node.children.find((c) => c.node.id === 'prod') as unknown as { toTerraform(): { provider: { aws: Array<Record<string, unknown>> } } };
    expect(stack.toTerraform().provider.aws[0]).toMatchObject({
      allowed_account_ids: ['444455556666'],
      assume_role: [{ role_arn: 'arn:aws:iam::444455556666:role/deploy', session_name: 'prod-terraform' }],
    });
  });

  it.each([
    ['database.multiAz', false, 'WB-RDS-MULTI-AZ'],
    ['database.deletionProtection', false, 'WB-RDS-DELETION-PROTECTION'],
    ['database.skipFinalSnapshot', true, 'WB-RDS-FINAL-SNAPSHOT'],
  ])('fails the synth of a production-profile environment with %s = %s and no waiver, exit 1, naming %s', (field, value, ruleId) => {
    const written: string[] = [];
    const code = synthApp({ outdir, env: {}, environments: [withField(prod, field, value) as EnvironmentConfig], notice: () => undefined }, (t) => written.push(t));
    expect(code).toBe(1);
    expect(written.join('')).toMatch(new RegExp(`Policy check failed for stack "prod"[\\s\\S]*\\[${ruleId}\\]`));
    expect(written.join('')).not.toMatch(/\n\s+at /);
  });

  it('leaves the output folder byte for byte as it was when a later stack fails the policy gate', () => {
    expect(synthApp({ outdir, env: {}, environments: [dev, prod], notice: () => undefined }, () => undefined)).toBe(0);
    const before = fileTree(outdir);
    expect([...before.keys()]).toEqual(expect.arrayContaining([path.join('stacks', 'dev', 'cdk.tf.json'), path.join('stacks', 'prod', 'cdk.tf.json')]));

    const failing = [withField(dev, 'functions.0.memorySizeMiB', 512) as EnvironmentConfig, withField(prod, 'database.multiAz', false) as EnvironmentConfig];
    expect(synthApp({ outdir, env: {}, environments: failing, notice: () => undefined }, () => undefined)).toBe(1);

    const after = fileTree(outdir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [file, bytes] of before) expect({ file, same: after.get(file)!.equals(bytes) }).toEqual({ file, same: true });
  });

  it("replaces a stack's assets, so no old asset folder is left, and keeps terraform's own files", () => {
    const stackDir = path.join(outdir, 'stacks', 'dev');
    mkdirSync(path.join(stackDir, 'assets', 'function_code_OLD'), { recursive: true });
    mkdirSync(path.join(stackDir, '.terraform'), { recursive: true });
    writeFileSync(path.join(stackDir, '.terraform', 'terraform.tfstate'), '{}');

    expect(synthApp({ outdir, env: {}, environments: [dev], notice: () => undefined }, () => undefined)).toBe(0);

    expect(existsSync(path.join(stackDir, 'assets', 'function_code_OLD'))).toBe(false);
    expect(readdirSync(path.join(stackDir, 'assets')).length).toBeGreaterThan(0);
    expect(readFileSync(path.join(stackDir, '.terraform', 'terraform.tfstate'), 'utf8')).toBe('{}');
  });

  it('reports invalid stack props as a message with the fix, exit code 1 and no stack trace', () => {
    const written: string[] = [];
    const code = exitCodeOf(() => {
      new StateBootstrapStack(new App({ outdir }), 'state-bootstrap', { bucketName: 'team-state', region: 'ap-southeast-1', noncurrentVersionExpirationDays: 0 });
    }, (t) => written.push(t));
    expect(code).toBe(1);
    const text = written.join('');
    expect(text).toContain('Invalid props for stack "state-bootstrap" (StateBootstrapStack):');
    expect(text).toContain('noncurrentVersionExpirationDays: received 0; allowed: an integer from 1 to 3650 (days)');
    expect(text).toContain('Fix: ');
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('lets an unexpected error propagate with its stack trace', () => {
    const bug = new TypeError('not a user error');
    expect(() => exitCodeOf(() => { throw bug; }, () => undefined)).toThrow(bug);
    expect(bug.stack).toMatch(/\n\s+at /);
  });
});
