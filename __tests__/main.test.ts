import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp, synthApp } from '../main';
import { dev, prod } from '../config/environments';
import type { EnvironmentConfig } from '../config/schema';
import { withField } from './support/synth';

const projectRoot = path.resolve(__dirname, '..');

describe('main', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(path.join(os.tmpdir(), 'main-test-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  it('builds one stack per environment, and the state-bootstrap stack only with a state bucket', () => {
    const ids = (env: NodeJS.ProcessEnv) => buildApp({ outdir, env }).node.children.map((c) => c.node.id);
    expect(ids({})).toEqual(['dev', 'prod']);
    expect(ids({ TF_STATE_BUCKET: 'team-state', TF_STATE_REGION: 'ap-southeast-1' })).toEqual(['dev', 'prod', 'state-bootstrap']);
  });

  it('reports the problems of every invalid environment at once, as a message without a stack trace, and writes nothing', () => {
    const written: string[] = [];
    const badDev = withField(dev, 'lambda.timeoutSeconds', 1000) as EnvironmentConfig;
    const badProd = withField(prod, 'network.vpcCidr', '10.0.0.0/99') as EnvironmentConfig;
    const code = synthApp({ outdir, env: {}, environments: [badDev, badProd] }, (t) => written.push(t));
    expect(code).toBe(1);
    const text = written.join('');
    expect(text).toContain('Invalid configuration for environment "dev"');
    expect(text).toContain('lambda.timeoutSeconds: received 1000; allowed: an integer from 3 to 900');
    expect(text).toContain('Invalid configuration for environment "prod"');
    expect(text).toContain('network.vpcCidr: received "10.0.0.0/99"; allowed: an IPv4 CIDR block');
    expect(text).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(outdir, 'stacks'))).toBe(false);
  });

  it('fails a real synth on a bad state backend variable with exit code 1 and only the message', () => {
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'main.ts'], {
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
});
