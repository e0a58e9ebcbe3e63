/**
 * Adding a function is one entry in the environment's `functions` plus, for its own database role,
 * one migration: a `reports` function (the `tables` action only, IAM authentication as
 * `app_reports`) added to prod in a scratch copy of the project, with `0002_app_reports.sql`, and
 * nothing else changed. Synth, the policy gate and `npm run validate` (the real provider, offline)
 * follow, and the plan runs the new migration.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parsePlan, reviewPlan } from '../../tools/plan-review';
import { VALIDATE_PLAN_FILE } from '../../tools/validate';
import { PROVIDER_MISSING, PROVIDER_SOURCE } from '../support/offline-terraform';
import { projectCopy, runScript } from '../support/project-copy';
import { describeIfAvailable } from '../support/requirements';

const SLOW = 600_000;

/** prod as shipped, with its functions stated: the seed's, and `reports`. */
const PROD_WITH_REPORTS = `account: '111122223333',
    overrides: {
      functions: [
        { ...SEED_FUNCTION, databaseRole: 'app_reader' },
        { name: 'reports', actions: ['tables'], databaseRole: 'app_reports', reservedConcurrentExecutions: 20 },
      ],
    },`;

/** The reports function's role: LOGIN and CONNECT, and rds_iam on RDS; its action reads only what every role may read. */
const MIGRATION = `DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_reports') THEN
    CREATE ROLE app_reports LOGIN;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO app_reports', current_database());
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO app_reports;
  END IF;
END
$$;
`;

describeIfAvailable(`adding a function to prod (hashicorp/aws ${PROVIDER_SOURCE?.version ?? 'none'})`, PROVIDER_MISSING, () => {
  let root: string;
  let outdir: string;
  beforeAll(() => {
    root = projectCopy('add-function-', {
      'config/environments.ts': (source) => {
        const edited = source.replace("account: '111122223333',", PROD_WITH_REPORTS);
        if (edited === source) throw new Error("config/environments.ts no longer declares prod with account '111122223333'; update this test's edit");
        return `import { SEED_FUNCTION } from './profiles';\n${edited}`;
      },
      'lambda-src/migrations/0002_app_reports.sql': () => MIGRATION,
    });
    outdir = path.join(root, 'cdktf.out');
  });

  it('synthesizes a function of its own: its role may connect as app_reports only, and it accepts tables only', () => {
    const synth = runScript(root, 'synth', ['prod'], { CDKTF_OUTDIR: outdir });
    expect(synth.stderr).not.toMatch(/Policy check failed|Invalid configuration/);
    expect(synth.status).toBe(0);
    const doc = JSON.parse(readFileSync(path.join(outdir, 'stacks', 'prod', 'cdk.tf.json'), 'utf8'));
    const functions = Object.values(doc.resource.aws_lambda_function as Record<string, { function_name: string; environment: { variables: Record<string, string> } }>);
    expect(functions.map((f) => f.function_name).sort()).toEqual(['workshop-prod-lambda-db-health', 'workshop-prod-lambda-db-migrate', 'workshop-prod-lambda-reports']);
    const reports = functions.find((f) => f.function_name === 'workshop-prod-lambda-reports')!;
    expect(reports.environment.variables).toMatchObject({ DB_AUTH: 'iam', DB_USER: 'app_reports', DB_ACTIONS: 'tables' });
    const policies = Object.values(doc.resource.aws_iam_policy as Record<string, { name: string; policy: string }>);
    const connect = policies.find((p) => p.name === 'workshop-prod-reports-rds-db-connect')!;
    expect(JSON.parse(connect.policy).Statement[0].Resource).toMatch(/:dbuser:\$\{aws_db_instance\.[^}]+\.resource_id\}\/app_reports$/);
    const invocation = Object.values(doc.resource.aws_lambda_invocation as Record<string, { input: string }>)[0];
    expect(JSON.parse(invocation.input).migrations.map((m: { name: string }) => m.name)).toEqual(['0001_app_roles', '0002_app_reports']);
    expect(doc.output).toHaveProperty('function_reports_name');
  });

  it('passes the policy gate', () => {
    const policy = runScript(root, 'policy', ['prod']);
    expect(policy.stdout).toMatch(/^prod: \d+ pass, \d+ not applicable, \d+ suppressed, 0 fail, 0 bad suppressions: clean$/m);
    expect(policy.status).toBe(0);
  });

  it('plans with npm run validate, and the plan runs both migrations', () => {
    const validate = runScript(root, 'validate', ['prod'], { CDKTF_OUTDIR: outdir });
    expect(validate.stdout).toMatch(/^prod: /m);
    expect(validate.status).toBe(0);
    const planFile = path.join(outdir, 'stacks', 'prod', VALIDATE_PLAN_FILE);
    const review = reviewPlan(parsePlan(readFileSync(planFile, 'utf8'), planFile));
    expect(review.migrations.flatMap((m) => (m.toRun ?? []).map((entry) => entry.name))).toEqual(['0001_app_roles', '0002_app_reports']);
    expect(review.blocking).toEqual([]);
  }, SLOW);
});

describe('a misnamed migration file', () => {
  it('fails synth with a message naming the file and the rule, before anything is built', () => {
    const root = projectCopy('bad-migration-', { 'lambda-src/migrations/2_reports.sql': () => MIGRATION });
    const outdir = path.join(root, 'cdktf.out');
    const synth = runScript(root, 'synth', [], { CDKTF_OUTDIR: outdir });
    expect(synth.status).toBe(1);
    expect(synth.stderr).toContain('lambda-src/migrations/: migration file 2_reports.sql in');
    expect(synth.stderr).toContain('is not named NNNN_name.sql');
    expect(synth.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(outdir)).toBe(false);
  });
});

