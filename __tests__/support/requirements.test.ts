import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { scratchDir } from './scratch';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** jest on the planning tests, as `npm run test:terraform` runs them, with no provider to find. */
function testTerraformWithoutProvider(ci: 'true' | ''): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [path.join(PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--selectProjects', 'terraform', '--testPathPatterns', 'tools/validate'],
    {
      cwd: PROJECT_ROOT,
      // An empty mirror folder: searched alone, and with no fall-back to the registry (tools/offline-plan.ts).
      env: { ...process.env, CI: ci, TF_PROVIDER_MIRROR: scratchDir('no-mirror-') },
      encoding: 'utf8',
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('tests that need the Terraform AWS provider (support/requirements.ts)', () => {
  it('fail under CI=true when no provider is found, naming the provider', () => {
    const run = testTerraformWithoutProvider('true');
    expect(run.status).toBe(1);
    expect(run.output).toContain('Required under CI=true and missing: the hashicorp/aws provider');
  });

  it('are skipped elsewhere, with a notice naming what is missing', () => {
    const run = testTerraformWithoutProvider('');
    expect(run.status).toBe(0);
    expect(run.output).toMatch(/NOTICE: skipping "npm run validate .*": missing the hashicorp\/aws provider/);
    expect(run.output).toMatch(/Tests: +\d+ skipped/);
  });
});
