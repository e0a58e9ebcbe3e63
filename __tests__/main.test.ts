import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { buildApp, exitCodeOf, synthApp } from '../stacks/app';
import { StateBootstrapStack } from '../stacks/state-bootstrap-stack';
import { dev, prod } from './support/environments';
import type { EnvironmentConfig } from '../config/types';
import { withField } from './support/synth';
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
    const badDev = withField(dev, 'lambda.timeoutSeconds', 1000) as EnvironmentConfig;
    const badProd = withField(prod, 'network.vpcCidr', '10.0.0.0/99') as EnvironmentConfig;
    const code = synthApp({ outdir, env: {}, environments: [badDev, badProd] }, (t) => written.push(t));
    expect(code).toBe(1);
    const text = written.join('');
    expect(text).toContain('Invalid configuration for environments "dev", "prod" (config/environments.ts)');
    expect(text).toContain('- dev: lambda.timeoutSeconds: received 1000; allowed: an integer from 3 to 900');
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
