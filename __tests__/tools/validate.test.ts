/**
 * `npm run validate` end to end, as a user runs it: synth, then the real Terraform AWS provider
 * (the mirror's when one is found, else the registry's) inits, validates and plans each stack
 * offline; only AWS is mocked (a loopback STS stand-in, fake credentials).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parsePlan, reviewPlan } from '../../tools/plan-review';
import { VALIDATE_EXIT_CODES, VALIDATE_PLAN_FILE } from '../../tools/validate';
import { PROVIDER_SOURCE, PROVIDER_MISSING } from '../support/offline-terraform';
import { describeIfAvailable } from '../support/requirements';
import { scratchDir } from '../support/scratch';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const SLOW = 600_000;
const STATE_ENV = { TF_STATE_BUCKET: 'workshop-backend-tfstate-example', TF_STATE_REGION: 'ap-southeast-1' };

/** Runs the real npm script in the project folder. */
function npmValidate(args: string[], env: NodeJS.ProcessEnv): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'validate', '--', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describeIfAvailable(`npm run validate (hashicorp/aws ${PROVIDER_SOURCE?.version ?? 'none'})`, PROVIDER_MISSING, () => {
  const outdir = scratchDir('validate-out-');
  let run: { exitCode: number; stdout: string; stderr: string };

  beforeAll(async () => {
    run = await npmValidate([], { CDKTF_OUTDIR: outdir, ...STATE_ENV });
  }, SLOW);

  it("validates and plans dev, prod, state-bootstrap and prod's CI roles, one line per stack, naming the provider version", () => {
    // Nothing on stderr but synth's notices about accounts (stacks/app.ts accountNotices) and the repository.
    expect(run.stderr.split('\n').filter((line) => line !== '' && !/^([a-z][a-z0-9-]*: (not pinned to an AWS account|account \d{12} is an example id)|config\/repository\.ts: owner "[^"]+" is a placeholder)/.test(line))).toEqual([]);
    expect(run.exitCode).toBe(VALIDATE_EXIT_CODES.ok);
    const lines = run.stdout.trim().split('\n').filter((l) => /^(validate|dev|prod|state-bootstrap|ci-access-\d{12}):/.test(l));
    expect(lines[0]).toMatch(new RegExp(`^validate: hashicorp/aws ${PROVIDER_SOURCE!.version.replace(/\./g, '\\.')} from `));
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual(['ci-access-111122223333', 'dev', 'prod', 'state-bootstrap']);
    for (const line of lines.slice(1)) expect(line).toMatch(/^[\w-]+: ok, \d+ to create; plan:review passed; plan /);
  });

  it('writes each plan JSON next to its stack: a real plan that creates everything and that plan:review passes', () => {
    for (const stack of ['ci-access-111122223333', 'dev', 'prod', 'state-bootstrap']) {
      const file = path.join(outdir, 'stacks', stack, VALIDATE_PLAN_FILE);
      const plan = parsePlan(readFileSync(file, 'utf8'), file);
      const actions = new Set(plan.resource_changes.filter((rc) => rc.mode === 'managed').map((rc) => rc.change.actions.join(',')));
      expect([...actions]).toEqual(['create']);
      expect(reviewPlan(plan).blocking).toEqual([]);
    }
  });

  it('plans the state bucket with SSE-C blocked where the provider knows the argument, and says when it was mapped away', () => {
    const line = run.stdout.split('\n').find((l) => l.startsWith('state-bootstrap:'))!;
    if (PROVIDER_SOURCE!.version.startsWith('5.')) {
      expect(line).toMatch(/blocked_encryption_types dropped/);
    } else {
      const plan = JSON.parse(readFileSync(path.join(outdir, 'stacks', 'state-bootstrap', VALIDATE_PLAN_FILE), 'utf8'));
      const encryption = plan.resource_changes.find((rc: any) => rc.type === 'aws_s3_bucket_server_side_encryption_configuration');
      expect(encryption.change.after.rule[0].blocked_encryption_types).toEqual(['SSE-C']);
    }
  });

  it('fails with --skip-synth, naming the stack and the conflict, after a password is added next to manage_master_user_password', async () => {
    const file = path.join(outdir, 'stacks', 'dev', 'cdk.tf.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    for (const body of Object.values<any>(doc.resource.aws_db_instance)) body.password = 'not-a-real-password';
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const failed = await npmValidate(['--skip-synth', 'dev'], { CDKTF_OUTDIR: outdir });
    expect(failed.exitCode).toBe(VALIDATE_EXIT_CODES.failed);
    // The provider reports the conflict from both sides, in either order.
    expect(failed.stderr).toMatch(/^dev: FAILED at terraform validate: .*Conflicting configuration arguments: "password": conflicts with manage_master_user_password \(aws_db_instance\./m);
  }, SLOW);

  it('rejects a stack that was not synthesized, listing the ones that were', async () => {
    const failed = await npmValidate(['--skip-synth', 'staging'], { CDKTF_OUTDIR: outdir });
    expect(failed.exitCode).toBe(VALIDATE_EXIT_CODES.usage);
    expect(failed.stderr).toContain('no synthesized stack "staging"');
    expect(failed.stderr).toContain('synthesized: ci-access-111122223333, dev, prod, state-bootstrap');
    expect(existsSync(path.join(outdir, 'stacks', 'staging'))).toBe(false);
  }, SLOW);
});
