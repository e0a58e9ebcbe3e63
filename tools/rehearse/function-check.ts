/**
 * The deployed functions run: after apply, the rehearsal takes every function of the stack (its
 * outputs `function_name`, `function_<name>_name` and `migration_function_name`) back from moto's
 * Lambda API (GetFunction, GetFunctionConfiguration), with the code Terraform uploaded, and the
 * secret RDS created from moto's Secrets Manager. It starts one PostgreSQL that accepts only
 * verified TLS (local/postgres.ts) with that secret's username and password, and runs each deployed
 * handler in a child `node` with the deployed environment. It proves the contract between what
 * Terraform deployed and what the handlers read (lambda-src/environment.ts).
 *
 * - The migration function runs first, with the event the stack's `aws_lambda_invocation` sent (from
 *   Terraform state): it must apply every migration of the event, and, run again, none. This stands
 *   in for the invocation, which moto answers without running any code (moto gap
 *   lambda-invoke-echo).
 * - A function with `DB_AUTH=master-secret` must answer `health` with 200 over TLS, with the
 *   deployed secret.
 * - A function with `DB_AUTH=iam` must answer `health` with 200 over TLS as its role `DB_USER`
 *   (made by the migrations). IAM authentication itself cannot run here: the local PostgreSQL
 *   trusts that role over TLS without looking at the token the handler signs, and the output says so.
 *
 * What differs from Lambda, and the output says so: the database host, port and CA point at the
 * local PostgreSQL (moto's RDS runs no database; its address resolves nowhere), Secrets Manager is
 * the stack's moto server (standing in for the interface endpoint's private DNS), and the
 * variables Lambda's runtime adds itself (region, keys) are the rehearsal's.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { GetFunctionCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LAMBDA_ENV } from '../../lambda-src/environment';
import { startTlsPostgres, type TlsPostgres } from '../../local/postgres';
import { clientConfig, REHEARSAL_CREDENTIALS, type MotoTarget } from './aws-clients';
import { MOTO_GAPS, type DeployedFunctionFacts } from './moto-gaps';
import { RehearsalFailure } from './terraform-steps';

/** The invocation event of an application function: the `health` action (lambda-src/actions.ts). */
export const HEALTH_EVENT = { action: 'health' } as const;

/** The output that names the migration function (stacks/workshop-backend-stack.ts). */
export const MIGRATION_FUNCTION_OUTPUT = 'migration_function_name';

/** The output that holds the ARN of the RDS-managed secret. */
export const SECRET_ARN_OUTPUT = 'db_secret_arn';

/** An `aws_lambda_invocation` as Terraform state records it after apply. */
export interface RecordedInvocation {
  /** The function it invoked, by name. */
  readonly functionName: string;
  /** The JSON it sent. */
  readonly input: string;
  /** The JSON the Invoke answered. */
  readonly result: string;
}

/** Options of {@link checkDeployedFunctions}. */
export interface FunctionCheckOptions {
  /** The stack's moto server. */
  readonly target: MotoTarget;
  /** The stack's outputs after apply (`terraform apply -json`'s `outputs` message). */
  readonly outputs: Readonly<Record<string, { readonly value?: unknown }>>;
  /**
   * The stack's `aws_lambda_invocation`s in state: the migration function's event comes from there.
   * @default - none
   */
  readonly invocations?: readonly RecordedInvocation[];
  /** The stack's scratch folder: its `assets/` hold the zips Terraform uploaded. */
  readonly stackDir: string;
  /** `username` of the stack's `aws_db_instance`, for the moto gap `rds-secret-username`. */
  readonly configuredUsername: string;
  /** Receives one line per finding, each naming its function. */
  readonly report: (text: string) => void;
}

/** What a function is for, from the output that names it. */
export type FunctionRole = 'migration' | 'application';

/** One function of a stack, by the output that names it. */
export interface StackFunction {
  readonly output: string;
  readonly functionName: string;
  readonly role: FunctionRole;
}

/** The step name in failures. */
const STEP = 'function check';

/** A PostgreSQL role name the check writes into pg_hba.conf: lower-case letters, digits and `_`, as our migrations make them. */
const ROLE_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The functions a stack's outputs name: the migration function (`migration_function_name`) first,
 * since it makes the roles the others log in as, then the application functions (`function_name`
 * for the seed function, `function_<name>_name` for the others) in the outputs' order.
 */
export function stackFunctions(outputs: Readonly<Record<string, { readonly value?: unknown }>>): StackFunction[] {
  const named = Object.entries(outputs).filter(([, o]) => typeof o.value === 'string');
  const migration = named.filter(([name]) => name === MIGRATION_FUNCTION_OUTPUT).map(([output, o]): StackFunction => ({ output, functionName: String(o.value), role: 'migration' }));
  const application = named.filter(([name]) => /^function(_[a-z0-9_]+)?_name$/.test(name)).map(([output, o]): StackFunction => ({ output, functionName: String(o.value), role: 'application' }));
  return [...migration, ...application];
}

/** A function as deployed: its configuration and its code, unzipped. */
interface Deployed extends StackFunction {
  readonly variables: Record<string, string>;
  readonly handlerFile: string;
  readonly handlerExport: string;
  readonly timeoutMillis: number;
  /** The uploaded zip, relative to the stack's folder. */
  readonly zip: string;
  readonly codeLocation: string | undefined;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f));
}

/**
 * Runs every deployed function of the stack, as the module's comment says.
 * @returns the number of functions checked
 * @throws RehearsalFailure naming the function and what did not match
 */
export async function checkDeployedFunctions(options: FunctionCheckOptions): Promise<number> {
  const { target, stackDir, report } = options;
  const functions = stackFunctions(options.outputs);
  if (functions.length === 0) return 0;
  const lambda = new LambdaClient(clientConfig(target));
  const secrets = new SecretsManagerClient(clientConfig(target));
  try {
    const zips = filesUnder(path.join(stackDir, 'assets')).filter((f) => f.endsWith('.zip'));
    const deployed: Deployed[] = [];
    for (const fn of functions) deployed.push(await fetchDeployed(lambda, fn, stackDir, zips));

    const secretArn = masterSecretArn(options.outputs, deployed);
    const secretValue = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const secret = JSON.parse(secretValue.SecretString ?? '{}') as { username?: string; password?: string };
    if (!secret.username || !secret.password) throw new RehearsalFailure(STEP, `the secret ${secretArn} holds no username and password`);

    const migration = deployed.find((d) => d.role === 'migration');
    const invocation = migration === undefined ? undefined : options.invocations?.find((i) => i.functionName === migration.functionName);
    if (migration !== undefined && invocation === undefined) {
      throw new RehearsalFailure(STEP, `${migration.functionName}: no aws_lambda_invocation of it in state, so no event to run it with`);
    }
    checkGaps(deployed, {
      endpoint: target.endpoint,
      secretUsername: secret.username,
      configuredUsername: options.configuredUsername,
      ...(invocation === undefined ? {} : { migrationInvocation: { input: invocation.input, result: invocation.result } }),
    });

    const iamRoles = [...new Set(deployed.filter((d) => d.variables[LAMBDA_ENV.dbAuth] === 'iam').map((d) => iamUser(d)))];
    const pg = await startTlsPostgres({ extraHbaLines: iamRoles.map((role) => `hostssl all ${role} 127.0.0.1/32 trust`) });
    try {
      const databases = [...new Set(deployed.map((d) => d.variables[LAMBDA_ENV.dbName]))];
      for (const d of deployed) if (!d.variables[LAMBDA_ENV.dbName]) throw new RehearsalFailure(STEP, `${d.functionName}: the deployed environment has no ${LAMBDA_ENV.dbName}`);
      for (const database of databases) await pg.createAppDatabase(secret.username, secret.password, database);
      await likeRdsMasterUser(pg, secret.username);
      for (const d of deployed) {
        const auth = d.variables[LAMBDA_ENV.dbAuth] ?? 'master-secret';
        const login =
          auth === 'iam'
            ? `as its role "${iamUser(d)}", which this PostgreSQL trusts over TLS without checking the token`
            : `with the secret's user "${secret.username}" (CREATEROLE, CREATEDB and rds_iam to grant, as RDS's master user); Secrets Manager = moto`;
        report(
          `${STEP} ${d.functionName}: code = the uploaded ${d.zip} with GetFunction's CodeSha256; environment as deployed (${Object.keys(d.variables).length} variables) except ` +
            `${LAMBDA_ENV.dbHost}, ${LAMBDA_ENV.dbPort} and ${LAMBDA_ENV.nodeExtraCaCerts}, pointed at a local PostgreSQL (TLS only) on ${pg.host}:${pg.port} ${login}; region and keys = the rehearsal's`,
        );
        if (d.role === 'migration') report(await checkMigrationFunction(d, invocation!, pg, target, stackDir));
        else report(await checkApplicationFunction(d, pg, target, stackDir));
      }
    } finally {
      await pg.stop();
    }
    return deployed.length;
  } finally {
    lambda.destroy();
    secrets.destroy();
  }
}

/** The role RDS gives IAM database authentication: a member logs in with a token instead of a password. */
export const RDS_IAM_ROLE = 'rds_iam';

/**
 * Gives `user` what RDS gives its master user and the migrations use: CREATEROLE and CREATEDB (no
 * superuser), and a role {@link RDS_IAM_ROLE} it may grant (through rds_superuser on RDS), so that
 * the migrations run the branch they run on RDS.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.MasterAccounts.html
 */
async function likeRdsMasterUser(pg: TlsPostgres, user: string): Promise<void> {
  const role = pg.admin.escapeIdentifier(user);
  await pg.admin.query(`ALTER ROLE ${role} CREATEROLE CREATEDB`);
  await pg.admin.query(`CREATE ROLE ${RDS_IAM_ROLE} NOLOGIN`);
  await pg.admin.query(`GRANT ${RDS_IAM_ROLE} TO ${role} WITH ADMIN OPTION`);
}

/** GetFunction and GetFunctionConfiguration of `fn`, and its code unzipped under `<stackDir>/function-code/<name>`. */
async function fetchDeployed(lambda: LambdaClient, fn: StackFunction, stackDir: string, zips: readonly string[]): Promise<Deployed> {
  const got = await lambda.send(new GetFunctionCommand({ FunctionName: fn.functionName }));
  const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.functionName }));
  // moto gap lambda-code-location: the code is the uploaded zip whose SHA-256 moto reports.
  const zip = zips.find((f) => createHash('sha256').update(readFileSync(f)).digest('base64') === configuration.CodeSha256);
  if (zip === undefined) {
    throw new RehearsalFailure(STEP, `${fn.functionName}: CodeSha256 ${configuration.CodeSha256} matches none of the zips Terraform uploaded (${zips.map((z) => path.relative(stackDir, z)).join(', ')})`);
  }
  const codeDir = path.join(stackDir, 'function-code', fn.functionName);
  mkdirSync(codeDir, { recursive: true });
  await promisify(execFile)('unzip', ['-o', '-q', zip, '-d', codeDir]);
  const [handlerFile, handlerExport] = splitHandler(configuration.Handler ?? '');
  return {
    ...fn,
    variables: configuration.Environment?.Variables ?? {},
    handlerFile: path.join(codeDir, handlerFile),
    handlerExport,
    timeoutMillis: (configuration.Timeout ?? 10) * 1000,
    zip: path.relative(stackDir, zip),
    codeLocation: got.Code?.Location,
  };
}

/**
 * The RDS-managed secret: the stack's `db_secret_arn` output, which every function with
 * `DB_AUTH=master-secret` must carry as `DB_SECRET_ARN`.
 */
function masterSecretArn(outputs: FunctionCheckOptions['outputs'], deployed: readonly Deployed[]): string {
  const fromOutput = outputs[SECRET_ARN_OUTPUT]?.value;
  for (const d of deployed) {
    if ((d.variables[LAMBDA_ENV.dbAuth] ?? 'master-secret') !== 'master-secret') continue;
    const arn = d.variables[LAMBDA_ENV.secretArn];
    if (!arn) throw new RehearsalFailure(STEP, `${d.functionName}: ${LAMBDA_ENV.dbAuth}=master-secret but the deployed environment has no ${LAMBDA_ENV.secretArn}`);
    if (typeof fromOutput === 'string' && arn !== fromOutput) throw new RehearsalFailure(STEP, `${d.functionName}: ${LAMBDA_ENV.secretArn} is ${arn}, not the stack's ${SECRET_ARN_OUTPUT} ${fromOutput}`);
  }
  const arn = typeof fromOutput === 'string' ? fromOutput : deployed.map((d) => d.variables[LAMBDA_ENV.secretArn]).find(Boolean);
  if (!arn) throw new RehearsalFailure(STEP, `no ${SECRET_ARN_OUTPUT} output and no function with ${LAMBDA_ENV.secretArn}: the database's owner cannot be made`);
  return arn;
}

/** `DB_USER` of a function with `DB_AUTH=iam`, checked to be a plain role name. */
function iamUser(d: Deployed): string {
  const user = d.variables[LAMBDA_ENV.dbUser] ?? '';
  if (!ROLE_PATTERN.test(user)) throw new RehearsalFailure(STEP, `${d.functionName}: ${LAMBDA_ENV.dbAuth}=iam with ${LAMBDA_ENV.dbUser} "${user}", not a PostgreSQL role name (${ROLE_PATTERN})`);
  return user;
}

/** Fails when a `deployed-function` moto gap no longer shows for any function. */
function checkGaps(deployed: readonly Deployed[], common: Omit<DeployedFunctionFacts, 'codeLocation'>): void {
  const gone = new Set<string>();
  for (const d of deployed) {
    const facts: DeployedFunctionFacts = { ...common, codeLocation: d.codeLocation };
    for (const g of MOTO_GAPS) if (g.evidence.kind === 'deployed-function' && g.evidence.check(facts) === false) gone.add(g.id);
  }
  if (gone.size > 0) throw new RehearsalFailure(STEP, `moto gap ${[...gone].join(', ')} no longer shows: remove it from tools/rehearse/moto-gaps.ts and use what moto now returns`);
}

/** The child's environment: the deployed one, with the database, CA and AWS settings of the rehearsal. */
function childEnv(d: Deployed, pg: TlsPostgres, target: MotoTarget, stackDir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...d.variables,
    [LAMBDA_ENV.dbHost]: pg.host,
    [LAMBDA_ENV.dbPort]: String(pg.port),
    [LAMBDA_ENV.nodeExtraCaCerts]: pg.caFile,
    // What Lambda's runtime sets itself, here for moto.
    AWS_REGION: target.region,
    AWS_DEFAULT_REGION: target.region,
    AWS_ACCESS_KEY_ID: REHEARSAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: REHEARSAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: target.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: d.functionName,
    AWS_CONFIG_FILE: path.join(stackDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(stackDir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * Runs the migration function's deployed code twice with the invocation's event: the first run
 * must apply every migration of the event and find none applied, the second apply none.
 * @returns the one-line result
 */
async function checkMigrationFunction(d: Deployed, invocation: RecordedInvocation, pg: TlsPostgres, target: MotoTarget, stackDir: string): Promise<string> {
  let event: { migrations?: { name?: unknown }[] };
  try {
    event = JSON.parse(invocation.input);
  } catch {
    throw new RehearsalFailure(STEP, `${d.functionName}: the invocation's input is not JSON: ${invocation.input.slice(0, 200)}`);
  }
  const names = (event.migrations ?? []).map((m) => String(m.name)).sort();
  if (names.length === 0) throw new RehearsalFailure(STEP, `${d.functionName}: the invocation's input lists no migrations: ${invocation.input.slice(0, 200)}`);
  const env = childEnv(d, pg, target, stackDir);
  const runs: { applied?: unknown; alreadyApplied?: unknown }[] = [];
  for (const expected of [
    { applied: names, alreadyApplied: [] },
    { applied: [], alreadyApplied: names },
  ]) {
    const answer = (await invokeHandler(d, event, env)) as { applied?: unknown; alreadyApplied?: unknown };
    runs.push(answer);
    if (JSON.stringify({ applied: answer?.applied, alreadyApplied: answer?.alreadyApplied }) !== JSON.stringify(expected)) {
      throw new RehearsalFailure(STEP, `${d.functionName}: run ${runs.length} answered ${JSON.stringify(answer).slice(0, 600)}, expected ${JSON.stringify(expected)}`);
    }
  }
  return (
    `${STEP} ${d.functionName}: ran the deployed code here with the input Terraform's aws_lambda_invocation sent, standing in for that invocation, ` +
    `which moto answered without running any code (moto gap lambda-invoke-echo): applied ${names.join(', ')}; run again: applied nothing, ${names.length} already applied`
  );
}

/**
 * Invokes an application function's deployed handler with {@link HEALTH_EVENT}: 200 over TLS, and
 * with `master-secret` the deployed secret, with `iam` the role `DB_USER`.
 * @returns the one-line result
 */
async function checkApplicationFunction(d: Deployed, pg: TlsPostgres, target: MotoTarget, stackDir: string): Promise<string> {
  const response = (await invokeHandler(d, HEALTH_EVENT, childEnv(d, pg, target, stackDir))) as {
    statusCode?: number;
    result?: { tls?: boolean; tlsVersion?: string; serverVersion?: string; currentUser?: string; auth?: string; secret?: { arn?: string } };
  };
  const result = response?.result;
  if (response?.statusCode !== 200 || result?.tls !== true) {
    throw new RehearsalFailure(STEP, `${d.functionName}: health answered ${JSON.stringify(response).slice(0, 600)}`);
  }
  const server = `${result.serverVersion?.split(' ').slice(0, 2).join(' ')}, ${result.tlsVersion}`;
  const auth = d.variables[LAMBDA_ENV.dbAuth] ?? 'master-secret';
  if (result.auth !== auth) throw new RehearsalFailure(STEP, `${d.functionName}: health logged in with ${result.auth}, not the deployed ${LAMBDA_ENV.dbAuth}=${auth}`);
  if (auth === 'iam') {
    const user = iamUser(d);
    if (result.currentUser !== user) throw new RehearsalFailure(STEP, `${d.functionName}: health ran as ${result.currentUser}, not ${LAMBDA_ENV.dbUser}=${user}`);
    const member = await pg.admin.query<{ member: boolean }>('SELECT pg_has_role($1, $2, $3) AS member', [user, RDS_IAM_ROLE, 'MEMBER']);
    if (member.rows[0]?.member !== true) throw new RehearsalFailure(STEP, `${d.functionName}: its role ${user} is not a member of ${RDS_IAM_ROLE}, so RDS would check the token as a password`);
    return (
      `${STEP} ${d.functionName}: health answered 200 as "${user}" (auth iam, member of ${RDS_IAM_ROLE}, ${server}); the IAM token the handler signed was not verified: ` +
      `IAM authentication itself cannot run here`
    );
  }
  const secretArn = d.variables[LAMBDA_ENV.secretArn];
  if (result.secret?.arn !== secretArn) throw new RehearsalFailure(STEP, `${d.functionName}: health read the secret ${result.secret?.arn}, not ${secretArn}`);
  return `${STEP} ${d.functionName}: health answered 200 (auth master-secret, ${server}, secret ${secretArn.split(':').at(-1)})`;
}

/** `index.handler` -> `['index.js', 'handler']`. */
export function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new RehearsalFailure(STEP, `unexpected Handler "${handler}"`);
  return [`${handler.slice(0, dot)}.js`, handler.slice(dot + 1)];
}

/** The marker before the response on the child's output; the handler writes its own log lines there too. */
const RESPONSE_MARKER = 'REHEARSAL-RESPONSE ';

/** The marker before the name and message of what the handler threw. */
const ERROR_MARKER = 'REHEARSAL-ERROR ';

/**
 * Runs `d`'s deployed handler with `event` in a child `node` whose environment is exactly `env`,
 * and returns its response. The child is killed after the function's timeout plus 10 s.
 * @throws RehearsalFailure when the handler throws or exits without a response, with its output's end
 */
async function invokeHandler(d: Deployed, event: unknown, env: NodeJS.ProcessEnv): Promise<unknown> {
  const { handlerFile: file, handlerExport: name, timeoutMillis } = d;
  const script = [
    `const handler = require(${JSON.stringify(file)})[${JSON.stringify(name)}];`,
    `const started = Date.now();`,
    `const context = { awsRequestId: 'rehearsal', getRemainingTimeInMillis: () => ${timeoutMillis} - (Date.now() - started) };`,
    `Promise.resolve(handler(${JSON.stringify(event)}, context)).then(`,
    `  (r) => { process.stdout.write('\\n${RESPONSE_MARKER}' + JSON.stringify(r) + '\\n'); process.exit(0); },`,
    `  (e) => { console.error(e); process.stdout.write('\\n${ERROR_MARKER}' + JSON.stringify({ name: e && e.name, message: String(e && e.message) }) + '\\n'); process.exit(1); });`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMillis + 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESPONSE_MARKER));
      const thrown = stdout.split('\n').find((l) => l.startsWith(ERROR_MARKER));
      if (thrown !== undefined) {
        const { name, message } = JSON.parse(thrown.slice(ERROR_MARKER.length)) as { name?: string; message?: string };
        reject(new RehearsalFailure(STEP, `${d.functionName}: the handler threw ${name}: ${message}`));
        return;
      }
      if (code !== 0 || line === undefined) {
        reject(new RehearsalFailure(STEP, `${d.functionName}: the handler exited ${code} without a response: ${(stderr || stdout).trim().slice(-600)}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESPONSE_MARKER.length)));
    });
  });
}
