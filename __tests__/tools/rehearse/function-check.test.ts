/**
 * The rehearsal's function check (tools/rehearse/function-check.ts) against a real moto server, the
 * real AWS SDK and a real PostgreSQL: prod's two functions and dev's one, created on moto as their
 * stacks declare them (handler, runtime, timeout, environment; the zips bundled from lambda-src/ as
 * synth bundles them), with the RDS-managed secret's stand-in in moto's Secrets Manager. No
 * terraform: `npm run rehearse` runs the same check after a real apply.
 *
 * Needs moto (`python3 -m pip install 'moto[server]==5.2.1'`): locally, without it, the tests are
 * skipped with a notice; under CI=true they fail, naming what is missing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { HANDLER_ENTRY, MIGRATION_HANDLER_ENTRY } from '../../../config/names';
import { loadMigrations } from '../../../lambda-src/migration-files';
import { bundleLambda, esbuildTargetFor } from '../../../stacks/constructs/lambda-bundle';
import { clientConfig, type MotoTarget } from '../../../tools/rehearse/aws-clients';
import { checkDeployedFunctions, stackFunctions, type RecordedInvocation } from '../../../tools/rehearse/function-check';
import { MOTO_VERSION, motoConfig } from '../../../tools/rehearse/moto-gaps';
import { installedMotoVersion, motoInstallHint, startMotoServer, type MotoServer } from '../../../tools/rehearse/moto-server';
import { RehearsalFailure } from '../../../tools/rehearse/terraform-steps';
import { dev, prod } from '../../support/environments';
import { scratchDir } from '../../support/scratch';
import { synthStack } from '../../support/synth';
import { describeIfAvailable } from '../../support/requirements';

const moto = installedMotoVersion();
const REGION = 'ap-southeast-1';
const MIGRATIONS = loadMigrations();

/** A stack's functions as synthesized: name, handler, runtime, timeout, the environment's literal values and references. */
function declaredFunctions(doc: ReturnType<typeof synthStack>['doc']) {
  return Object.values(doc.resource.aws_lambda_function).map((body: any) => ({
    name: String(body.function_name),
    runtime: String(body.runtime),
    timeout: Number(body.timeout),
    variables: body.environment.variables as Record<string, string>,
    migration: String(body.function_name).endsWith('-lambda-db-migrate'),
  }));
}

/**
 * Creates the functions `doc` declares on `target`, as Terraform would: the references to the DB
 * instance resolved to an address that resolves nowhere (as moto's) and to `secretArn`. Writes each
 * zip under `<stackDir>/assets/`, where the check looks for the uploaded code.
 */
async function deploy(target: MotoTarget, doc: ReturnType<typeof synthStack>['doc'], stackDir: string, secretArn: string): Promise<void> {
  const iam = new IAMClient(clientConfig(target));
  const lambda = new LambdaClient(clientConfig(target));
  try {
    for (const fn of declaredFunctions(doc)) {
      const target_ = esbuildTargetFor(fn.runtime);
      const bundle = fn.migration
        ? bundleLambda({ entry: MIGRATION_HANDLER_ENTRY, target: target_, extraFiles: MIGRATIONS.map((m) => ({ name: `migrations/${m.name}.sql`, contents: m.sql })) })
        : bundleLambda({ entry: HANDLER_ENTRY, target: target_ });
      const dir = path.join(stackDir, 'assets', fn.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'lambda.zip'), bundle.zip);
      const role = await iam.send(
        new CreateRoleCommand({
          RoleName: fn.name,
          AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
        }),
      );
      const resolve = (value: string) =>
        value.includes('master_user_secret') ? secretArn : value.startsWith('${aws_db_instance.') ? 'workshop.rehearsal.invalid' : value;
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: fn.name,
          Runtime: fn.runtime as never,
          Handler: 'index.handler',
          Timeout: fn.timeout,
          Role: role.Role!.Arn!,
          Code: { ZipFile: bundle.zip },
          Environment: { Variables: Object.fromEntries(Object.entries(fn.variables).map(([k, v]) => [k, resolve(v)])) },
        }),
      );
    }
  } finally {
    iam.destroy();
    lambda.destroy();
  }
}

describeIfAvailable(`the function check (moto ${moto}, Lambda on its simple backend)`, moto === undefined ? `moto (${motoInstallHint(MOTO_VERSION)})` : undefined, () => {
  let server: MotoServer;
  let target: MotoTarget;
  let secretArn: string;
  const prodDoc = synthStack(prod).doc;
  const devDoc = synthStack(dev).doc;
  const prodDir = path.join(scratchDir('function-check-'), 'prod');
  const devDir = path.join(scratchDir('function-check-'), 'dev');
  const [prodInvocation] = Object.values(prodDoc.resource.aws_lambda_invocation) as { input: string }[];
  const names = Object.fromEntries(declaredFunctions(prodDoc).map((f) => [f.migration ? 'migration' : 'application', f.name]));
  const devName = declaredFunctions(devDoc)[0].name;
  const username = (doc: typeof prodDoc) => String((Object.values(doc.resource.aws_db_instance)[0] as { username: string }).username);

  beforeAll(async () => {
    server = await startMotoServer({ config: motoConfig() });
    target = { endpoint: server.endpoint, region: REGION };
    const sm = new SecretsManagerClient(clientConfig(target));
    try {
      // moto gap rds-secret-username: RDS's secret names "admin", whatever the instance's username.
      secretArn = (await sm.send(new CreateSecretCommand({ Name: 'rds!db-function-check', SecretString: JSON.stringify({ username: 'admin', password: 'function-check-password-1' }) }))).ARN!;
    } finally {
      sm.destroy();
    }
    await deploy(target, prodDoc, prodDir, secretArn);
    await deploy(target, devDoc, devDir, secretArn);
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** What moto's Invoke answers to the migration invocation's input: what Terraform records as its result. */
  async function recordedInvocation(input: string): Promise<RecordedInvocation> {
    const lambda = new LambdaClient(clientConfig(target));
    try {
      const answer = await lambda.send(new InvokeCommand({ FunctionName: names.migration, Payload: Buffer.from(input) }));
      return { functionName: names.migration, input, result: Buffer.from(answer.Payload!).toString() };
    } finally {
      lambda.destroy();
    }
  }

  const prodOutputs = () => ({
    function_name: { value: names.application },
    function_arn: { value: `arn:aws:lambda:${REGION}:123456789012:function:${names.application}` },
    migration_function_name: { value: names.migration },
    migrations_result: { value: prodInvocation.input },
    db_secret_arn: { value: secretArn },
  });

  it('finds the functions by their outputs, the migration function first, and ignores the other outputs', () => {
    expect(stackFunctions(prodOutputs())).toEqual([
      { output: 'migration_function_name', functionName: names.migration, role: 'migration' },
      { output: 'function_name', functionName: names.application, role: 'application' },
    ]);
    expect(stackFunctions({ function_name: { value: 'a' }, function_reports_name: { value: 'b' }, function_reports_arn: { value: 'c' } }).map((f) => f.output)).toEqual([
      'function_name',
      'function_reports_name',
    ]);
  });

  it("runs prod's migration function twice with the invocation's input (all applied, then none), then its IAM function as app_reader (in rds_iam, as the migration made it), saying the token was not verified", async () => {
    const reports: string[] = [];
    const checked = await checkDeployedFunctions({
      target,
      outputs: prodOutputs(),
      invocations: [await recordedInvocation(prodInvocation.input)],
      stackDir: prodDir,
      configuredUsername: username(prodDoc),
      report: (t) => reports.push(t),
    });
    expect(checked).toBe(2);
    for (const line of reports) expect(line).toMatch(new RegExp(`^function check (${names.migration}|${names.application}): `));
    const all = MIGRATIONS.map((m) => m.name).join(', ');
    expect(reports).toContainEqual(
      `function check ${names.migration}: ran the deployed code here with the input Terraform's aws_lambda_invocation sent, standing in for that invocation, ` +
        `which moto answered without running any code (moto gap lambda-invoke-echo): applied ${all}; run again: applied nothing, ${MIGRATIONS.length} already applied`,
    );
    expect(reports).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^function check ${names.application}: health answered 200 as "app_reader" \\(auth iam, member of rds_iam, PostgreSQL [\\d.]+, TLSv1\\.[23]\\); ` +
            'the IAM token the handler signed was not verified: IAM authentication itself cannot run here$',
        ),
      ),
    );
    expect(reports.filter((r) => r.includes('pointed at a local PostgreSQL'))).toHaveLength(2);
  });

  it("runs dev's master-secret function as before: health with the deployed secret", async () => {
    const reports: string[] = [];
    const outputs = { function_name: { value: devName }, db_secret_arn: { value: secretArn } };
    await expect(checkDeployedFunctions({ target, outputs, stackDir: devDir, configuredUsername: username(devDoc), report: (t) => reports.push(t) })).resolves.toBe(1);
    expect(reports.at(-1)).toMatch(new RegExp(`^function check ${devName}: health answered 200 \\(auth master-secret, PostgreSQL [\\d.]+, TLSv1\\.[23], secret rds!db-function-check-\\w+\\)$`));
  });

  it('fails when the invocation sent a checksum the bundled migration does not have, naming the function and the migration', async () => {
    const input = JSON.stringify({ migrations: MIGRATIONS.map((m) => ({ name: m.name, checksum: '0'.repeat(64) })) });
    const failure = await checkDeployedFunctions({
      target,
      outputs: prodOutputs(),
      invocations: [await recordedInvocation(input)],
      stackDir: prodDir,
      configuredUsername: username(prodDoc),
      report: () => undefined,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RehearsalFailure);
    expect((failure as RehearsalFailure).message).toMatch(new RegExp(`^FAILED at function check: ${names.migration}: the handler threw MigrationError: .*${MIGRATIONS[0].name} has checksum ${MIGRATIONS[0].checksum} bundled`));
  });

  it('fails when a stack with a migration function has no invocation of it in state', async () => {
    const failure = await checkDeployedFunctions({ target, outputs: prodOutputs(), invocations: [], stackDir: prodDir, configuredUsername: username(prodDoc), report: () => undefined }).catch(
      (e: unknown) => e,
    );
    expect((failure as RehearsalFailure).message).toBe(`FAILED at function check: ${names.migration}: no aws_lambda_invocation of it in state, so no event to run it with`);
  });
});
