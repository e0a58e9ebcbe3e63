/**
 * The synth hook (policy/check.ts) in a real process: a failing rule fails synth, visibly, even with
 * CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS set, the bypass cdktf's own error message suggests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { addPolicyChecks } from '../../policy';
import { compliantFixture } from '../support/policy-fixture';
import { removeScratch } from '../support/scratch';
import { bundleEntry } from '../../build/bundle-cache';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

const APP = path.join('__tests__', 'support', 'policy-synth-app.ts');

/** policy-synth-app.ts bundled by esbuild (build/bundle-cache.js, bundleEntry), as `npm run synth` runs main.ts (synth.js). */
let appBundle: string;

/** Runs policy-synth-app.ts in a node process of its own, with `env` added. */
function synth(mode: 'compliant' | 'violating', env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string } {
  const { CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: _inherited, ...base } = process.env;
  const run = spawnSync(process.execPath, [appBundle, mode], {
    cwd: PROJECT_ROOT,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr };
}

describe('policy check in a synth process', () => {
  beforeAll(async () => {
    appBundle = (await bundleEntry(PROJECT_ROOT, APP)).file;
  });

  it.each([
    ['with CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS set', { CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: '1' }],
    ['without that variable', {}],
  ])('exits 1 %s, printing the finding and the fix without a stack trace', (_name, env) => {
    const { status, stderr } = synth('violating', env);
    expect(stderr).toMatch(/Policy check failed for stack "fixture" \(1 finding\(s\)\):\n  - \[WB-RDS-STORAGE-ENCRYPTED\] aws_db_instance\.db/);
    expect(stderr).toContain('Fix: fix the resource, or suppress the rule');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(status).toBe(1);
  });

  it('exits 0 and prints no policy error for a compliant stack, with the variable set', () => {
    const { status, stderr } = synth('compliant', { CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: '1' });
    expect(stderr).not.toMatch(/Policy check failed/);
    expect(status).toBe(0);
  });
});

describe('the compliant fixture', () => {
  it('synthesizes into a scratch folder that removeScratch (run after each test file) deletes', () => {
    const { app } = compliantFixture();
    app.synth();
    expect(path.relative(tmpdir(), app.outdir)).toMatch(/^workshop-backend-test-[^/]+\/policy-fixture-/);
    expect(existsSync(app.outdir)).toBe(true);
    removeScratch();
    expect(existsSync(app.outdir)).toBe(false);
  });
});

describe('the policy check inside synth', () => {
  afterEach(() => jest.restoreAllMocks());

  /** Every stack's cdk.tf.json after `app.synth()`, by stack folder. */
  function written(app: App): Map<string, string> {
    app.synth();
    const stacks = path.join(app.outdir, 'stacks');
    return new Map(readdirSync(stacks).map((name) => [name, readFileSync(path.join(stacks, name, 'cdk.tf.json'), 'utf8')]));
  }

  it('writes the JSON a synth without it writes, resolving each stack once for both the check and the file', () => {
    const checked = compliantFixture();
    addPolicyChecks(checked.app, { log: () => undefined });
    const toTerraform = jest.spyOn(TerraformStack.prototype, 'toTerraform');

    const withCheck = written(checked.app);
    const resolutions = toTerraform.mock.calls.length;
    const withoutCheck = written(compliantFixture().app);

    expect(withCheck).toEqual(withoutCheck);
    expect(resolutions).toBe(1);
    // The document is handed over once: a later call resolves again.
    expect(checked.stack.toTerraform()).toEqual(JSON.parse(withCheck.get('fixture')!));
    expect(toTerraform.mock.calls.length).toBe(resolutions + 2);
  });
});
