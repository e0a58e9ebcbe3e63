import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ACTIONS, ACTION_SPECS } from '../../../lambda-src/actions';
import { bundleLambda } from '../../../stacks/constructs/lambda-bundle';
import { awsEnvironment, startLambdaFixture, type LambdaFixture } from '../../../local/lambda-fixture';

let fixture: LambdaFixture;
let dir: string;
let bundleFile: string;

beforeAll(async () => {
  fixture = await startLambdaFixture();
  dir = await mkdtemp(path.join(tmpdir(), 'lambda-artifact-'));
  bundleFile = path.join(dir, 'index.js');
  await writeFile(bundleFile, bundleLambda().code);
});

afterAll(async () => {
  await fixture?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the child printed: the handler's response and its log lines. */
interface ChildRun {
  readonly response: { statusCode: number; result?: Record<string, unknown>; error?: { type: string; message: string } };
  readonly logLines: Record<string, unknown>[];
  readonly stdout: string;
}

/**
 * Loads the bundle as the Lambda runtime does (require, then `handler(event, context)`) in a fresh
 * `node`, whose environment holds only what the stack and the runtime set. The event goes through
 * a file, as JSON, the way Lambda delivers it (a 1 MiB event would not fit in an argument).
 */
async function invokeBundle(extraEnv: Record<string, string>, event: unknown = { action: 'health' }): Promise<ChildRun> {
  const eventFile = path.join(dir, 'event.json');
  await writeFile(eventFile, JSON.stringify(event));
  const script = `
    const { handler } = require(process.argv[1]);
    const event = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
    handler(event, { awsRequestId: 'artifact-1', getRemainingTimeInMillis: () => 10000 }).then((response) => {
      process.stdout.write('RESULT ' + JSON.stringify(response) + '\\n', () => process.exit(0));
    });`;
  const child = spawn(process.execPath, ['-e', script, bundleFile, eventFile], {
    env: {
      PATH: process.env.PATH ?? '',
      ...awsEnvironment(fixture.secretsManager.endpoint),
      ...fixture.lambdaEnv(),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = stdout.split('\n').filter(Boolean);
  const resultLine = lines.find((line) => line.startsWith('RESULT '));
  if (code !== 0 || !resultLine) throw new Error(`the bundle failed (exit ${code}):\n${stdout}\n${stderr}`);
  return {
    response: JSON.parse(resultLine.slice('RESULT '.length)),
    logLines: lines.filter((line) => !line.startsWith('RESULT ')).map((line) => JSON.parse(line)),
    stdout,
  };
}

describe('the bundled Lambda artifact', () => {
  it('answers health over verified TLS trusting the CA only through NODE_EXTRA_CA_CERTS', async () => {
    const run = await invokeBundle({ NODE_EXTRA_CA_CERTS: fixture.pg.caFile });

    expect(run.response).toMatchObject({
      statusCode: 200,
      result: {
        tls: true,
        tlsVersion: expect.stringMatching(/^TLSv1\.[23]$/),
        secret: { arn: fixture.secretsManager.secretArn, versionId: fixture.secretsManager.versionId },
      },
    });
    expect(run.logLines).toContainEqual(expect.objectContaining({ level: 'info', message: 'invocation succeeded', requestId: 'artifact-1' }));
    for (const password of fixture.passwords) expect(run.stdout).not.toContain(password);
  });

  it.each<[string, unknown]>([
    ['the action', { action: 'y'.repeat(1024 * 1024) }],
    ...ACTIONS.flatMap((action) => ACTION_SPECS[action].parameters.map(({ name }): [string, unknown] => [`${name} of ${action}`, { action, [name]: 'y'.repeat(1024 * 1024) }])),
  ])('answers 1 MiB of the letter y as %s with a 400 under 4 KiB and no log line over 16 KiB', async (_field, event) => {
    const run = await invokeBundle({ NODE_EXTRA_CA_CERTS: fixture.pg.caFile }, event);

    expect(run.response).toMatchObject({ statusCode: 400, error: { type: 'BadRequest' } });
    expect(Buffer.byteLength(JSON.stringify(run.response))).toBeLessThan(4 * 1024);
    expect(run.logLines.length).toBeGreaterThan(0);
    for (const line of run.stdout.split('\n')) expect(Buffer.byteLength(line)).toBeLessThan(16 * 1024);
  });

  it('fails with a DatabaseConnectError pointing at NODE_EXTRA_CA_CERTS when it is not set', async () => {
    const run = await invokeBundle({});

    expect(run.response).toMatchObject({ statusCode: 502, error: { type: 'DatabaseConnect', message: expect.stringContaining('NODE_EXTRA_CA_CERTS') } });
  });
});
