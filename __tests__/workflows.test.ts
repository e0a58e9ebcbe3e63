import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { commentMarker } from '../tools/plan-review';
import { costMarker } from '../tools/cost/report';
import { MOTO_VERSION } from '../tools/rehearse/moto-gaps';
import { deployedByCi, environmentSummaries } from '../tools/environments';
import { makeTempDir, removeTempDirs, terraformOk, writeConfig } from './support/terraform';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const WORKFLOW_DIR = path.join(PROJECT_ROOT, '.github', 'workflows');

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'working-directory'?: string;
  if?: string;
}
interface Job {
  if?: string;
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
  it('has the plan, apply, reusable apply, drift and CDK Terrain workflows', () => {
    expect(files.sort()).toEqual(['apply.yml', 'cdk-terrain.yml', 'drift.yml', 'plan.yml', 'terraform-apply.yml']);
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
    expect(new Set(called)).toEqual(new Set(['environments', 'synth', 'policy', 'plan:review', 'cost', 'test:terraform', 'cdk-terrain', 'rehearse']));
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
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
    // The one secret any workflow reads is the optional Infracost key; AWS access never is a secret.
    expect(new Set(text.match(/secrets\.[A-Za-z_]+/g))).toEqual(new Set(['secrets.INFRACOST_API_KEY']));
    const credentialSteps = allSteps().filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(credentialSteps).toHaveLength(3);
    // Roles come from the environment list (npm run environments -- --json --ci), never from a variable.
    expect(credentialSteps.map((s) => s.with?.['role-to-assume']).sort()).toEqual([
      '${{ inputs.role-arn }}',
      '${{ matrix.driftRoleArn }}',
      '${{ matrix.planRoleArn }}',
    ]);
    expect(text).not.toMatch(/vars\.AWS_/);
    expect(workflow('plan.yml').jobs.plan.permissions?.['id-token']).toBe('write');
    expect(workflow('terraform-apply.yml').jobs.apply.permissions?.['id-token']).toBe('write');
    expect(workflow('drift.yml').jobs.drift.permissions?.['id-token']).toBe('write');
  });

  it('pins every action to a full commit SHA with its version in a comment (a local reusable workflow runs at the same commit)', () => {
    const uses = files.flatMap((f) =>
      source(f)
        .split('\n')
        .filter((l) => /^\s*(- )?uses:/.test(l))
        .map((l) => ({ file: f, line: l.replace(/^\s*(- )?uses:\s*/, '').trim() })),
    );
    expect(uses.length).toBeGreaterThanOrEqual(20);
    const unpinned = uses.filter(({ line }) => !line.startsWith('./') && !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(line));
    expect(unpinned).toEqual([]);
    // One version per action across the workflows, so Dependabot moves them together.
    const versions = new Map<string, Set<string>>();
    for (const { line } of uses.filter((u) => !u.line.startsWith('./'))) {
      const [action, rest] = line.split('@');
      versions.set(action, (versions.get(action) ?? new Set()).add(rest));
    }
    expect([...versions].filter(([, v]) => v.size > 1)).toEqual([]);
  });

  it("runs every job that sets up Node on the project's Node.js major (.nvmrc), the one engines.node asks for", () => {
    const setups = allSteps().filter((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setups.length).toBeGreaterThanOrEqual(4);
    for (const s of setups) expect(s.with).toEqual(expect.objectContaining({ 'node-version-file': '.nvmrc' }));
    for (const s of setups) expect(s.with).not.toHaveProperty('node-version');
    const major = readFileSync(path.join(PROJECT_ROOT, '.nvmrc'), 'utf8').trim();
    expect(major).toMatch(/^\d+$/);
    expect(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).engines.node).toBe(`>=${major}`);
  });

  it('has Dependabot update npm and the actions weekly, minor and patch updates grouped', () => {
    const config = parse(readFileSync(path.join(PROJECT_ROOT, '.github', 'dependabot.yml'), 'utf8')) as {
      version: number;
      updates: { 'package-ecosystem': string; directory: string; schedule: { interval: string }; groups: Record<string, { 'update-types': string[] }> }[];
    };
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    for (const u of config.updates) {
      expect(u).toMatchObject({ directory: '/', schedule: { interval: 'weekly' } });
      expect(Object.values(u.groups).map((g) => [...g['update-types']].sort())).toEqual([['minor', 'patch']]);
    }
  });

  it('checks for drift daily with -detailed-exitcode and the read-only drift role, in the plan/apply concurrency group, and never applies', () => {
    const drift = workflow('drift.yml');
    expect(Object.keys(drift.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(drift.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
    const job = drift.jobs.drift;
    expect(job.strategy?.matrix).toEqual({ include: '${{ fromJSON(needs.environments.outputs.list) }}' });
    expect(job.concurrency).toEqual({ group: 'terraform-${{ matrix.environment }}', 'cancel-in-progress': false });
    expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write', issues: 'write' });
    expect(step('drift.yml', 'drift', 'Assume the drift role of the account (OIDC, read-only, no stored keys)').with?.['role-to-assume']).toBe('${{ matrix.driftRoleArn }}');
    expect(step('drift.yml', 'drift', 'terraform plan -detailed-exitcode').run).toMatch(/terraform plan .*-detailed-exitcode/);
    expect(source('drift.yml')).not.toMatch(/terraform apply|-auto-approve|cdktf deploy|applyRoleArn/);
    expect(step('drift.yml', 'drift', 'Summarize the plan').run).toContain('npm run --silent plan:review -- --stack "$STACK"');
  });

  it('tries the move to CDK Terrain weekly on a scratch copy, with read-only permissions and no credentials', () => {
    const terrain = workflow('cdk-terrain.yml');
    expect(Object.keys(terrain.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(terrain.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* [0-6]$/) }]);
    expect((terrain as { permissions?: unknown }).permissions).toEqual({ contents: 'read' });
    expect(Object.values(terrain.jobs).every((j) => j.permissions === undefined)).toBe(true);
    expect(source('cdk-terrain.yml')).not.toMatch(/configure-aws-credentials|secrets\.|cdktf deploy|terraform apply/);
    const runs = Object.values(terrain.jobs).flatMap((j) => j.steps ?? []).map((s) => s.run ?? '');
    expect(runs).toEqual(expect.arrayContaining(['npm ci', 'npm run cdk-terrain -- --synth --terraform']));
  });

  it('estimates the cost after synth and puts it in each stack comment; Infracost runs only with its secret and never gates', () => {
    const names = workflow('plan.yml').jobs.test.steps!.map((s) => s.name);
    expect(names.indexOf('Estimate the monthly cost of each stack')).toBeGreaterThan(names.indexOf('Synthesize'));
    expect(names.indexOf('Estimate the monthly cost of each stack')).toBeLessThan(names.indexOf('Keep cdktf.out'));
    expect(step('plan.yml', 'test', 'Estimate the monthly cost of each stack').run).toContain("--write 'cdktf.out/stacks/{stack}/cost.md'");
    expect(step('plan.yml', 'plan', 'Comment on the pull request (one per stack, updated)').env?.COST_FILE).toBe('${{ env.STACK_DIR }}/cost.md');
    const steps = workflow('plan.yml').jobs.plan.steps as Array<Step & { 'continue-on-error'?: boolean }>;
    const infracost = steps.filter((s) => /infracost/i.test(`${s.name} ${s.uses ?? ''} ${s.run ?? ''}`) && s.id !== 'infracost');
    expect(infracost.length).toBe(2);
    for (const s of infracost) expect(s.if).toBe("steps.infracost.outputs.enabled == 'true'");
    expect(infracost.find((s) => s.run)?.['continue-on-error']).toBe(true);
  });

  it('waits for state locks with -lock-timeout on every terraform init, plan and apply', () => {
    const commands = allSteps().flatMap((s) => (s.run ?? '').split('\n')).filter((l) => /^\s*terraform (init|plan|apply)\b/.test(l));
    expect(commands.length).toBe(7);
    for (const command of commands) expect(command).toMatch(/-lock-timeout=\d+m/);
  });

  it('plans every stack on pull requests, one run per stack at a time, and keeps plans and cdktf.out', () => {
    const plan = workflow('plan.yml');
    expect(Object.keys(plan.on)).toEqual(['pull_request']);
    expect(plan.jobs.test.steps?.map((s) => s.run ?? s.name)).toEqual(
      expect.arrayContaining(['npm ci', 'npm test', 'npm run synth']),
    );
    expect(plan.jobs.plan.strategy?.matrix).toEqual({ include: '${{ fromJSON(needs.test.outputs.environments) }}' });
    expect(plan.jobs.plan.concurrency).toEqual({ group: 'terraform-${{ matrix.environment }}', 'cancel-in-progress': false });
    expect(step('plan.yml', 'plan', 'terraform plan').run).toMatch(/terraform plan .*-out=plan\.tfplan\n\s*terraform show -json plan\.tfplan > plan\.json/);
    expect(step('plan.yml', 'test', 'Keep cdktf.out').with?.path).toBe('cdktf.out');
    expect(step('plan.yml', 'plan', 'Keep the plan').with?.path).toMatch(/plan\.tfplan[\s\S]*plan\.json/);
  });

  it('rehearses every synthesized stack on pull requests, with moto at the version of the gap table', () => {
    const job = workflow('plan.yml').jobs.rehearse;
    const runs = job.steps!.map((s) => s.run ?? '').filter((r) => r !== '');
    expect(runs).toEqual(['npm ci', `python -m pip install --quiet 'moto[server]==${MOTO_VERSION}'`, 'npm run synth', 'npm run rehearse']);
    // No stack list: the rehearsal takes every stack synth wrote.
    expect(job.strategy).toBeUndefined();
    for (const file of ['help', 'docs/rehearsal.md', '.github/workflows/plan.yml']) {
      const pins = [...readFileSync(path.join(PROJECT_ROOT, file), 'utf8').matchAll(/moto\[server\]==([\d.]+)/g)].map((m) => m[1]);
      expect(pins.length).toBeGreaterThan(0);
      expect(new Set(pins)).toEqual(new Set([MOTO_VERSION]));
    }
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

  it('applies on merge to main, one environment at a time in list order, each in its own GitHub environment with its own role', () => {
    const apply = workflow('apply.yml');
    expect(apply.on).toEqual({ push: { branches: ['main'] } });
    expect(apply.jobs.apply).toMatchObject({
      needs: 'environments',
      uses: './.github/workflows/terraform-apply.yml',
      strategy: { 'max-parallel': 1, 'fail-fast': true, matrix: { include: '${{ fromJSON(needs.environments.outputs.list) }}' } },
      with: {
        stack: '${{ matrix.environment }}',
        environment: '${{ matrix.githubEnvironment }}',
        'role-arn': '${{ matrix.applyRoleArn }}',
        region: '${{ matrix.region }}',
      },
    });
    const job = workflow('terraform-apply.yml').jobs.apply;
    expect(job.environment).toBe('${{ inputs.environment }}');
    expect(job.concurrency).toEqual({ group: 'terraform-${{ inputs.stack }}', 'cancel-in-progress': false });
  });

  it('names no environment: every stack list comes from the job that runs npm run environments -- --json --ci', () => {
    for (const file of files) expect({ file, names: source(file).match(/\b(dev|prod|production|staging)\b/g) }).toEqual({ file, names: null });
    const listJobs = files.flatMap((f) =>
      Object.entries(workflow(f).jobs).flatMap(([name, j]) => ((j.steps ?? []).some((s) => s.id === 'environments') ? [`${f}:${name}`] : [])),
    );
    expect(listJobs.sort()).toEqual(['apply.yml:environments', 'drift.yml:environments', 'plan.yml:test']);
    for (const id of listJobs) {
      const [file, job] = id.split(':');
      expect(step(file, job, 'List the environments CI deploys')).toMatchObject({
        id: 'environments',
        run: 'echo "list=$(npm run --silent environments -- --json --ci)" >> "$GITHUB_OUTPUT"',
      });
    }
  });

  it('runs drift only from main, the branch its role trusts', () => {
    expect(workflow('drift.yml').jobs.environments).toMatchObject({ if: "github.ref == 'refs/heads/main'" });
    expect(workflow('drift.yml').jobs.drift.needs).toBe('environments');
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

/** Sets environment variables for the duration of `work`, then restores them. */
async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Runs a github-script body as the action does: an async function of require, github and context. */
async function runScript(script: string, github: unknown, context: unknown): Promise<void> {
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  await new AsyncFunction('require', 'github', 'context', script)(require, github, context);
}

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

  it('"List the environments CI deploys" writes one line of JSON for the matrix: the pinned environments and their roles', async () => {
    const output = path.join(githubDir, 'environments-output');
    writeFileSync(output, '');
    const result = await runStep(step('apply.yml', 'environments', 'List the environments CI deploys').run!, { GITHUB_OUTPUT: output });
    expect(result).toMatchObject({ exitCode: 0 });
    const lines = readFileSync(output, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith('list=')).toBe(true);
    expect(JSON.parse(lines[0].slice('list='.length))).toEqual(environmentSummaries().filter(deployedByCi));
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
    async function comment(existing: { id: number; body: string; user: { type: string } }[], costFile = path.join(stackDir, 'no-cost.md')) {
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
      await withEnv({ STACK: 'dev', SUMMARY_FILE: path.join(stackDir, 'plan-summary.md'), COST_FILE: costFile }, () =>
        runScript(script(), github, context),
      );
      return calls;
    }

    it('creates the stack comment on the first push', async () => {
      const calls = await comment([{ id: 1, body: 'LGTM', user: { type: 'User' } }]);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ method: 'createComment', args: { issue_number: 7 } });
      expect(String(calls[0].args.body).startsWith(commentMarker('dev'))).toBe(true);
    });

    it('adds the stack\'s cost section when the test job wrote one', async () => {
      const costFile = path.join(githubDir, 'cost.md');
      writeFileSync(costFile, `${costMarker('dev')}\n#### Monthly cost estimate for \`dev\`: **$31.35** (±$0.00 a month from the base branch, $31.35)\n`);
      const calls = await comment([], costFile);
      const body = String(calls[0].args.body);
      expect(body.indexOf(costMarker('dev'))).toBeGreaterThan(body.indexOf('**1 to create**'));
      expect(body).toContain('Monthly cost estimate for `dev`: **$31.35**');
    });

    it('updates the same comment on later pushes instead of adding one', async () => {
      const calls = await comment([
        { id: 1, body: `${commentMarker('prod')}\nprod plan`, user: { type: 'Bot' } },
        { id: 2, body: `${commentMarker('dev')}\nold plan`, user: { type: 'Bot' } },
      ]);
      expect(calls).toEqual([expect.objectContaining({ method: 'updateComment', args: expect.objectContaining({ comment_id: 2 }) })]);
    });
  });

  describe('the drift job', () => {
    /** Runs the plan step in `dir`, as the runner does in the stack folder; returns the exit-code output. */
    async function planStep(dir: string): Promise<{ exitCode: number; output: string }> {
      const output = path.join(githubDir, `drift-output-${path.basename(dir)}`);
      writeFileSync(output, '');
      const script = `cd ${JSON.stringify(dir)}\n${step('drift.yml', 'drift', 'terraform plan -detailed-exitcode').run!}`;
      const result = await runStep(script, { GITHUB_OUTPUT: output });
      return { exitCode: result.exitCode, output: readFileSync(output, 'utf8') };
    }

    it('reports exit code 2 and writes the plan JSON when the stack differs from the code', async () => {
      const dir = writeConfig('drift-changed', { resource: { terraform_data: { marker: { input: 'dev' } } } });
      await terraformOk(dir, ['init', '-input=false']);
      expect(await planStep(dir)).toEqual({ exitCode: 0, output: 'exit-code=2\n' });
      expect(JSON.parse(readFileSync(path.join(dir, 'drift.json'), 'utf8')).resource_changes).toHaveLength(1);
    });

    it('reports exit code 0 when the stack matches the code', async () => {
      const dir = writeConfig('drift-clean', { resource: { terraform_data: { marker: { input: 'dev' } } } });
      await terraformOk(dir, ['init', '-input=false']);
      await terraformOk(dir, ['apply', '-input=false', '-auto-approve']);
      expect(await planStep(dir)).toEqual({ exitCode: 0, output: 'exit-code=0\n' });
    });

    it('fails, and touches no issue, when terraform plan itself fails', async () => {
      const dir = writeConfig('drift-broken', { resource: { terraform_data: { marker: { input: '${var.missing}' } } } });
      await terraformOk(dir, ['init', '-input=false']);
      const result = await planStep(dir);
      expect(result.exitCode).toBe(1);
      expect(result.output).toBe('exit-code=1\n');
    });

    describe('"Open, update or close the drift issue of this stack"', () => {
      const script = () => step('drift.yml', 'drift', 'Open, update or close the drift issue of this stack').with!.script as string;
      type Issue = { number: number; body: string; pull_request?: object };

      async function issueStep(drifted: boolean, open: Issue[]) {
        const calls: { method: string; args: Record<string, unknown> }[] = [];
        const record = (method: string) => async (args: Record<string, unknown>) => {
          calls.push({ method, args });
          return { data: {} };
        };
        const github = {
          paginate: async (_method: unknown, args: Record<string, unknown>) => {
            calls.push({ method: 'listForRepo', args });
            return open;
          },
          rest: { issues: { listForRepo: record('listForRepo'), create: record('create'), update: record('update'), createComment: record('createComment') } },
        };
        const context = { repo: { owner: 'acme', repo: 'workshop-backend' }, runId: 99, serverUrl: 'https://github.example', sha: '0123456789abcdef' };
        const summary = path.join(githubDir, 'drift-summary.md');
        writeFileSync(summary, '### Terraform plan for `prod`\n\n**1 to update**\n');
        await withEnv({ STACK: 'prod', DRIFTED: String(drifted), SUMMARY_FILE: summary }, () => runScript(script(), github, context));
        return calls.filter((c) => c.method !== 'listForRepo');
      }

      it('opens one issue, labelled drift, with the plan summary, when a stack first drifts', async () => {
        const calls = await issueStep(true, [{ number: 3, body: '<!-- drift:dev -->\nanother stack' }]);
        expect(calls).toEqual([
          { method: 'create', args: expect.objectContaining({ title: 'Drift in the prod stack', labels: ['drift'], body: expect.stringMatching(/^<!-- drift:prod -->\n[\s\S]*\*\*1 to update\*\*[\s\S]*run 99/) }) },
        ]);
      });

      it('updates the open issue of the stack instead of opening another', async () => {
        const calls = await issueStep(true, [{ number: 7, body: '<!-- drift:prod -->\nold summary' }]);
        expect(calls).toEqual([{ method: 'update', args: expect.objectContaining({ issue_number: 7, body: expect.stringContaining('**1 to update**') }) }]);
      });

      it('closes the issue with a comment when the stack is clean again', async () => {
        const calls = await issueStep(false, [{ number: 7, body: '<!-- drift:prod -->\nold summary' }]);
        expect(calls).toEqual([
          { method: 'createComment', args: expect.objectContaining({ issue_number: 7, body: expect.stringContaining('clean again') }) },
          { method: 'update', args: expect.objectContaining({ issue_number: 7, state: 'closed', state_reason: 'completed' }) },
        ]);
      });

      it('does nothing when the stack is clean and no issue is open', async () => {
        expect(await issueStep(false, [{ number: 8, body: '<!-- drift:prod -->', pull_request: {} }])).toEqual([]);
      });
    });
  });
});
