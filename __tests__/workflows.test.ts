import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { commentMarker } from '../tools/plan-review';
import { makeTempDir, removeTempDirs, terraformOk, writeConfig } from './support/terraform';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const WORKFLOW_DIR = path.join(PROJECT_ROOT, '.github', 'workflows');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'working-directory'?: string;
  if?: string;
}
interface Job {
  uses?: string;
  with?: Record<string, unknown>;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  strategy?: { matrix: Record<string, unknown> };
  env?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const files = readdirSync(WORKFLOW_DIR).filter((f) => f.endsWith('.yml'));
const source = (file: string) => readFileSync(path.join(WORKFLOW_DIR, file), 'utf8');
const workflow = (file: string) => parse(source(file)) as Workflow;
const allSteps = () => files.flatMap((f) => Object.values(workflow(f).jobs).flatMap((j) => j.steps ?? []));
const step = (file: string, job: string, name: string): Step => {
  const found = workflow(file).jobs[job].steps?.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no step "${name}" in ${file} job ${job}`);
  return found;
};

afterAll(() => removeTempDirs());

describe('GitHub Actions workflows', () => {
  it('has the plan, apply and reusable apply workflows', () => {
    expect(files.sort()).toEqual(['apply.yml', 'plan.yml', 'terraform-apply.yml']);
  });

  it.each(files)('%s is valid against the GitHub Actions workflow schema', (file) => {
    expect(validateWorkflow(source(file)).errors).toEqual([]);
  });

  it('rejects a workflow that breaks the schema (the validator really checks)', () => {
    expect(validateWorkflow('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n').errors).not.toEqual([]);
  });

  it("calls only the project's own npm scripts", () => {
    const scripts = Object.keys(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts);
    const called = allSteps()
      .flatMap((s) => [...(s.run ?? '').matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]));
    expect(new Set(called)).toEqual(new Set(['synth', 'policy', 'plan:review']));
    for (const name of called) expect(scripts).toContain(name);
    expect(allSteps().filter((s) => /\bnpm test\b/.test(s.run ?? ''))).toHaveLength(1);
  });

  it('runs the policy pack after synth, then Checkov on the synthesized JSON as a non-blocking cross-check', () => {
    const steps = workflow('plan.yml').jobs.test.steps as Array<{ name?: string; run?: string; 'continue-on-error'?: boolean }>;
    const index = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? ''));
    const synth = index(/npm run synth/);
    const policy = index(/npm run policy -- --failures/);
    const checkov = index(/checkov -d cdktf\.out\/stacks --framework terraform_json/);
    expect(synth).toBeGreaterThanOrEqual(0);
    expect(policy).toBeGreaterThan(synth);
    expect(checkov).toBeGreaterThan(synth);
    expect(steps[policy]['continue-on-error']).toBeUndefined();
    expect(steps[checkov]['continue-on-error']).toBe(true);
  });

  it('installs from the lock file only', () => {
    const runs = allSteps().map((s) => s.run ?? '');
    expect(runs.filter((r) => /\bnpm ci\b/.test(r)).length).toBeGreaterThanOrEqual(3);
    expect(runs.some((r) => /\bnpm (install|i)\b/.test(r))).toBe(false);
  });

  it('gets AWS credentials only from an OIDC-assumed role, never from stored keys', () => {
    const text = files.map(source).join('\n');
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|secrets\./);
    const credentialSteps = allSteps().filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(credentialSteps).toHaveLength(2);
    for (const s of credentialSteps) expect(s.with?.['role-to-assume']).toMatch(/^\$\{\{ vars\.AWS_(PLAN|APPLY)_ROLE_ARN \}\}$/);
    expect(workflow('plan.yml').jobs.plan.permissions?.['id-token']).toBe('write');
    expect(workflow('terraform-apply.yml').jobs.apply.permissions?.['id-token']).toBe('write');
  });

  it('waits for state locks with -lock-timeout on every terraform init, plan and apply', () => {
    const commands = allSteps().flatMap((s) => (s.run ?? '').split('\n')).filter((l) => /^\s*terraform (init|plan|apply)\b/.test(l));
    expect(commands.length).toBe(5);
    for (const command of commands) expect(command).toMatch(/-lock-timeout=\d+m/);
  });

  it('plans every stack on pull requests, one run per stack at a time, and keeps plans and cdktf.out', () => {
    const plan = workflow('plan.yml');
    expect(Object.keys(plan.on)).toEqual(['pull_request']);
    expect(plan.jobs.test.steps?.map((s) => s.run ?? s.name)).toEqual(
      expect.arrayContaining(['npm ci', 'npm test', 'npm run synth']),
    );
    expect(plan.jobs.plan.strategy?.matrix.stack).toEqual(['dev', 'prod']);
    expect(plan.jobs.plan.concurrency).toEqual({ group: 'terraform-${{ matrix.stack }}', 'cancel-in-progress': false });
    expect(step('plan.yml', 'plan', 'terraform plan').run).toMatch(/terraform plan .*-out=plan\.tfplan\n\s*terraform show -json plan\.tfplan > plan\.json/);
    expect(step('plan.yml', 'test', 'Keep cdktf.out').with?.path).toBe('cdktf.out');
    expect(step('plan.yml', 'plan', 'Keep the plan').with?.path).toMatch(/plan\.tfplan[\s\S]*plan\.json/);
  });

  it('has the provider validate each stack after init and before plan on pull requests', () => {
    const names = workflow('plan.yml').jobs.plan.steps!.map((s) => s.name);
    const validate = names.indexOf('terraform validate');
    expect(validate).toBeGreaterThan(names.indexOf('terraform init'));
    expect(names.indexOf('terraform plan')).toBeGreaterThan(validate);
    const validateStep = step('plan.yml', 'plan', 'terraform validate');
    expect(validateStep.run?.trim()).toBe('terraform validate -no-color');
    expect(validateStep['working-directory']).toBe('${{ env.STACK_DIR }}');
  });

  it('applies on merge to main: dev first, then prod behind the approved production environment', () => {
    const apply = workflow('apply.yml');
    expect(apply.on).toEqual({ push: { branches: ['main'] } });
    expect(apply.jobs.dev).toMatchObject({ uses: './.github/workflows/terraform-apply.yml', with: { stack: 'dev', environment: 'dev' } });
    expect(apply.jobs.prod).toMatchObject({ needs: 'dev', with: { stack: 'prod', environment: 'production' } });
    const job = workflow('terraform-apply.yml').jobs.apply;
    expect(job.environment).toBe('${{ inputs.environment }}');
    expect(job.concurrency).toEqual({ group: 'terraform-${{ inputs.stack }}', 'cancel-in-progress': false });
  });

  it('applies only a saved plan that the comparison with the reviewed plan accepted', () => {
    const names = workflow('terraform-apply.yml').jobs.apply.steps!.map((s) => s.name);
    const compare = names.indexOf('Compare with the reviewed plan');
    const applyStep = names.indexOf('terraform apply (the saved plan)');
    expect(compare).toBeGreaterThan(names.indexOf('terraform plan'));
    expect(applyStep).toBeGreaterThan(compare);
    expect(step('terraform-apply.yml', 'apply', 'Compare with the reviewed plan').run).toContain(
      'npm run --silent plan:review -- --compare reviewed/plan.json',
    );
    const apply = step('terraform-apply.yml', 'apply', 'terraform apply (the saved plan)').run!;
    expect(apply.trim()).toBe('terraform apply -input=false -lock-timeout=10m fresh.tfplan');
    expect(files.map(source).join('\n')).not.toMatch(/cdktf deploy|-auto-approve/);
  });
});

/** Runs a step's `run` script with bash, as the runner does (`bash -e {0}`), in the project folder. */
function runStep(script: string, env: NodeJS.ProcessEnv): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-c', script], { cwd: PROJECT_ROOT, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe('the workflow steps, run here', () => {
  let stackDir: string;
  let githubDir: string;

  beforeAll(async () => {
    // A real plan from a provider-free configuration, where the stack folder of cdktf.out would be.
    stackDir = writeConfig('workflow-stack', {
      resource: { terraform_data: { marker: { input: 'dev' } } },
      output: { marker: { value: '${terraform_data.marker.output}' } },
    });
    await terraformOk(stackDir, ['init', '-input=false']);
    await terraformOk(stackDir, ['plan', '-input=false', '-lock-timeout=10s', '-out=plan.tfplan']);
    writeFileSync(path.join(stackDir, 'plan.json'), (await terraformOk(stackDir, ['show', '-json', 'plan.tfplan'])).stdout);
    githubDir = makeTempDir('github-runner');
  });

  it('"Review the plan" writes the summary, the job summary and the exit code output', async () => {
    const output = path.join(githubDir, 'output');
    const summary = path.join(githubDir, 'summary');
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const result = await runStep(step('plan.yml', 'plan', 'Review the plan').run!, {
      STACK: 'dev',
      STACK_DIR: stackDir,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(result).toMatchObject({ exitCode: 0 });
    expect(readFileSync(output, 'utf8')).toBe('exit-code=0\n');
    expect(readFileSync(path.join(stackDir, 'plan-summary.md'), 'utf8')).toContain('**1 to create**');
    expect(readFileSync(summary, 'utf8')).toContain(commentMarker('dev'));
  });

  it('"Compare with the reviewed plan" accepts the same plan and refuses another', async () => {
    const reviewedDir = path.join(githubDir, 'reviewed');
    mkdirSync(reviewedDir, { recursive: true });
    const script = step('terraform-apply.yml', 'apply', 'Compare with the reviewed plan').run!;
    writeFileSync(path.join(stackDir, 'fresh.json'), readFileSync(path.join(stackDir, 'plan.json')));
    writeFileSync(path.join(reviewedDir, 'plan.json'), readFileSync(path.join(stackDir, 'plan.json')));
    const compareScript = script.replace('reviewed/plan.json', path.join(reviewedDir, 'plan.json'));
    expect((await runStep(compareScript, { STACK_DIR: stackDir })).exitCode).toBe(0);

    const other = JSON.parse(readFileSync(path.join(stackDir, 'plan.json'), 'utf8'));
    other.resource_changes[0].change.after.input = 'prod';
    writeFileSync(path.join(reviewedDir, 'plan.json'), JSON.stringify(other));
    const refused = await runStep(compareScript, { STACK_DIR: stackDir });
    expect(refused.exitCode).toBe(6);
    expect(refused.stderr).toContain('resource terraform_data.marker: planned change differs from the reviewed one');
  });

  describe('"Comment on the pull request"', () => {
    const script = () => step('plan.yml', 'plan', 'Comment on the pull request (one per stack, updated)').with!.script as string;

    /** Runs the github-script body with a recording stand-in for the GitHub client. */
    async function comment(existing: { id: number; body: string; user: { type: string } }[]) {
      const calls: { method: string; args: Record<string, unknown> }[] = [];
      const record = (method: string) => async (args: Record<string, unknown>) => {
        calls.push({ method, args });
        return { data: {} };
      };
      const github = {
        paginate: async () => existing,
        rest: { issues: { listComments: record('listComments'), createComment: record('createComment'), updateComment: record('updateComment') } },
      };
      const context = {
        repo: { owner: 'acme', repo: 'workshop-backend' },
        runId: 42,
        serverUrl: 'https://github.example',
        payload: { pull_request: { number: 7, head: { sha: 'abc123' } } },
      };
      const saved = { STACK: process.env.STACK, SUMMARY_FILE: process.env.SUMMARY_FILE };
      process.env.STACK = 'dev';
      process.env.SUMMARY_FILE = path.join(stackDir, 'plan-summary.md');
      try {
        const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
        await new AsyncFunction('require', 'github', 'context', script())(require, github, context);
      } finally {
        process.env.STACK = saved.STACK;
        process.env.SUMMARY_FILE = saved.SUMMARY_FILE;
      }
      return calls;
    }

    it('creates the stack comment on the first push', async () => {
      const calls = await comment([{ id: 1, body: 'LGTM', user: { type: 'User' } }]);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ method: 'createComment', args: { issue_number: 7 } });
      expect(String(calls[0].args.body).startsWith(commentMarker('dev'))).toBe(true);
    });

    it('updates the same comment on later pushes instead of adding one', async () => {
      const calls = await comment([
        { id: 1, body: `${commentMarker('prod')}\nprod plan`, user: { type: 'Bot' } },
        { id: 2, body: `${commentMarker('dev')}\nold plan`, user: { type: 'Bot' } },
      ]);
      expect(calls).toEqual([expect.objectContaining({ method: 'updateComment', args: expect.objectContaining({ comment_id: 2 }) })]);
    });
  });
});
