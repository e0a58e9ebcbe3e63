/**
 * The deployed function runs: after apply, the rehearsal takes the function's configuration and
 * code back from moto's Lambda API (GetFunction, GetFunctionConfiguration) and the secret RDS
 * created from moto's Secrets Manager, starts a PostgreSQL that accepts only verified TLS
 * (local/postgres.ts) with that secret's username and password, and invokes the deployed
 * handler in a child `node` with the deployed environment. It proves the contract between what
 * Terraform deployed and what the handler reads (lambda-src/environment.ts).
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
import { startTlsPostgres } from '../../local/postgres';
import { clientConfig, REHEARSAL_CREDENTIALS, type MotoTarget } from './aws-clients';
import { MOTO_GAPS, type DeployedFunctionFacts } from './moto-gaps';
import { RehearsalFailure } from './terraform-steps';

/** The invocation event: the `health` action (lambda-src/actions.ts). */
export const HEALTH_EVENT = { action: 'health' } as const;

/** Options of {@link checkDeployedFunction}. */
export interface FunctionCheckOptions {
  /** The stack's moto server. */
  readonly target: MotoTarget;
  /** The deployed function's name (the stack's `function_name` output). */
  readonly functionName: string;
  /** The stack's scratch folder: its `assets/` hold the zips Terraform uploaded. */
  readonly stackDir: string;
  /** `username` of the stack's `aws_db_instance`, for the moto gap `rds-secret-username`. */
  readonly configuredUsername: string;
  /** Receives one line per finding. */
  readonly report: (text: string) => void;
}

/** The step name in failures. */
const STEP = 'function check';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f));
}

/**
 * Invokes the deployed handler with {@link HEALTH_EVENT} and checks that it answers 200 over TLS.
 * @returns the one-line result
 * @throws RehearsalFailure naming what did not match
 */
export async function checkDeployedFunction(options: FunctionCheckOptions): Promise<string> {
  const { target, functionName, stackDir } = options;
  const lambda = new LambdaClient(clientConfig(target));
  const secrets = new SecretsManagerClient(clientConfig(target));
  try {
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const variables = configuration.Environment?.Variables ?? {};
    const [handlerFile, handlerExport] = splitHandler(configuration.Handler ?? '');

    // moto gap lambda-code-location: the code is the uploaded zip whose SHA-256 moto reports.
    const zips = filesUnder(path.join(stackDir, 'assets')).filter((f) => f.endsWith('.zip'));
    const zip = zips.find((f) => createHash('sha256').update(readFileSync(f)).digest('base64') === configuration.CodeSha256);
    if (zip === undefined) {
      throw new RehearsalFailure(STEP, `${functionName}: CodeSha256 ${configuration.CodeSha256} matches none of the zips Terraform uploaded (${zips.map((z) => path.relative(stackDir, z)).join(', ')})`);
    }
    const codeDir = path.join(stackDir, 'function-code');
    mkdirSync(codeDir, { recursive: true });
    await promisify(execFile)('unzip', ['-o', '-q', zip, '-d', codeDir]);

    const secretArn = variables[LAMBDA_ENV.secretArn];
    if (!secretArn) throw new RehearsalFailure(STEP, `${functionName}: the deployed environment has no ${LAMBDA_ENV.secretArn}`);
    const secretValue = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const secret = JSON.parse(secretValue.SecretString ?? '{}') as { username?: string; password?: string };
    if (!secret.username || !secret.password) throw new RehearsalFailure(STEP, `the secret ${secretArn} holds no username and password`);

    const facts: DeployedFunctionFacts = {
      codeLocation: fn.Code?.Location,
      endpoint: target.endpoint,
      secretUsername: secret.username,
      configuredUsername: options.configuredUsername,
    };
    const gone = MOTO_GAPS.filter((g) => g.evidence.kind === 'deployed-function' && g.evidence.check(facts) === false).map((g) => g.id);
    if (gone.length > 0) throw new RehearsalFailure(STEP, `moto gap ${gone.join(', ')} no longer shows: remove it from tools/rehearse/moto-gaps.ts and use what moto now returns`);

    const pg = await startTlsPostgres();
    try {
      const database = variables[LAMBDA_ENV.dbName];
      if (!database) throw new RehearsalFailure(STEP, `${functionName}: the deployed environment has no ${LAMBDA_ENV.dbName}`);
      await pg.createAppDatabase(secret.username, secret.password, database);
      options.report(
        `${STEP}: code = the uploaded zip with GetFunction's CodeSha256; environment as deployed (${Object.keys(variables).length} variables) except ` +
          `${LAMBDA_ENV.dbHost}, ${LAMBDA_ENV.dbPort} and ${LAMBDA_ENV.nodeExtraCaCerts}, pointed at a local PostgreSQL (TLS only) on ${pg.host}:${pg.port} ` +
          `with the secret's user "${secret.username}"; Secrets Manager = moto; region and keys = the rehearsal's`,
      );
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        ...variables,
        [LAMBDA_ENV.dbHost]: pg.host,
        [LAMBDA_ENV.dbPort]: String(pg.port),
        [LAMBDA_ENV.nodeExtraCaCerts]: pg.caFile,
        // What Lambda's runtime sets itself, here for moto.
        AWS_REGION: target.region,
        AWS_DEFAULT_REGION: target.region,
        AWS_ACCESS_KEY_ID: REHEARSAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: REHEARSAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: target.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_CONFIG_FILE: path.join(stackDir, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(stackDir, 'no-aws-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const timeoutMillis = (configuration.Timeout ?? 10) * 1000;
      const response = await invokeHandler(path.join(codeDir, handlerFile), handlerExport, env, timeoutMillis);
      const result = response.result as { tls?: boolean; tlsVersion?: string; serverVersion?: string; secret?: { arn?: string } } | undefined;
      if (response.statusCode !== 200 || result?.tls !== true) {
        throw new RehearsalFailure(STEP, `${functionName}: health answered ${JSON.stringify(response).slice(0, 600)}`);
      }
      if (result.secret?.arn !== secretArn) throw new RehearsalFailure(STEP, `${functionName}: health read the secret ${result.secret?.arn}, not ${secretArn}`);
      return `${STEP}: health answered 200 (${result.serverVersion?.split(' ').slice(0, 2).join(' ')}, ${result.tlsVersion}, secret ${secretArn.split(':').at(-1)})`;
    } finally {
      await pg.stop();
    }
  } finally {
    lambda.destroy();
    secrets.destroy();
  }
}

/** `index.handler` -> `['index.js', 'handler']`. */
export function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new RehearsalFailure(STEP, `unexpected Handler "${handler}"`);
  return [`${handler.slice(0, dot)}.js`, handler.slice(dot + 1)];
}

/** The marker before the response on the child's output; the handler writes its own log lines there too. */
const RESPONSE_MARKER = 'REHEARSAL-RESPONSE ';

/**
 * Runs `file`'s export `name` with {@link HEALTH_EVENT} in a child `node` whose environment is
 * exactly `env`, and returns its response. The child is killed after `timeoutMillis` plus 10 s.
 */
async function invokeHandler(file: string, name: string, env: NodeJS.ProcessEnv, timeoutMillis: number): Promise<{ statusCode?: number; result?: unknown }> {
  const script = [
    `const handler = require(${JSON.stringify(file)})[${JSON.stringify(name)}];`,
    `const started = Date.now();`,
    `const context = { awsRequestId: 'rehearsal', getRemainingTimeInMillis: () => ${timeoutMillis} - (Date.now() - started) };`,
    `Promise.resolve(handler(${JSON.stringify(HEALTH_EVENT)}, context)).then(`,
    `  (r) => { process.stdout.write('\\n${RESPONSE_MARKER}' + JSON.stringify(r) + '\\n'); process.exit(0); },`,
    `  (e) => { console.error(e); process.exit(1); });`,
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
      if (code !== 0 || line === undefined) {
        reject(new RehearsalFailure(STEP, `the handler exited ${code} without a response: ${(stderr || stdout).trim().slice(-600)}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESPONSE_MARKER.length)));
    });
  });
}
