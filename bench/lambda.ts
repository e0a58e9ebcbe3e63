/**
 * Benchmark of the Lambda handler against embedded TLS PostgreSQL and a local Secrets Manager.
 * Prints a Markdown table; asserts nothing. Run with `npx tsx bench/lambda.ts`.
 *
 * - module load: `require` of the bundled index.js in a fresh `node`, median of several processes;
 * - warm overhead: median `health` through the handler minus the median of the same SQL on an
 *   already-open pg client, interleaved so drift hits both alike. The handler runs in-process
 *   from source with the log sink discarding lines after JSON.stringify (their cost is kept,
 *   stdout's is not);
 * - secret fetches and sessions opened per 100 warm invocations;
 * - the zip's size, as uploaded;
 * - concurrent invocations in one process, as Lambda Managed Instances send them, for pool sizes
 *   (`DB_POOL_MAX_SESSIONS`) from 1, a queue on one session, up: bursts of {@link BURST_SIZE}
 *   `health` invocations, alone and with one of them replaced by work that PostgreSQL cancels at the
 *   statement timeout the stack derives for a 10 s function; the sizes take turns.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { lambdaTimeouts } from '../config/derived';
import { ACTION_SPECS, readOnly } from '../lambda-src/actions';
import { createHandler, type HandlerInstance } from '../lambda-src/handler';
import { bundleLambda } from '../stacks/constructs/lambda-bundle';
import { APP_DATABASE, APP_USER, awsEnvironment, startLambdaFixture, useAwsEndpoint, type LambdaFixture } from '../local/lambda-fixture';
import { inTurn, quantile } from './handlers';

/** Pool sizes compared under concurrent invocations; 1 is a queue on one session. */
const POOL_SIZES = [1, 2, 4, 8];
/** Invocations sent at once in each burst. */
const BURST_SIZE = 16;
/** Bursts of `health` alone per pool size. */
const FAST_BURSTS = 30;
/** Bursts with one statement timeout per pool size (each holds a session for the statement timeout). */
const SLOW_BURSTS = 5;

/** Fresh processes for the module load and cold invocation figures. */
const COLD_RUNS = 11;
/** Warm invocations timed, after {@link WARMUP} untimed ones. */
const ITERATIONS = 200;
const WARMUP = 20;

/** The figures {@link main} measures. */
export interface LambdaBenchFigures {
  readonly moduleLoadMillis: number;
  readonly coldFirstInvocationMillis: number;
  readonly handlerHealthMillis: number;
  readonly bareQueryMillis: number;
  readonly overheadMillis: number;
  readonly secretFetchesPer100: number;
  readonly sessionsPer100: number;
  readonly zipBytes: number;
  readonly bundleBytes: number;
}

export async function main(): Promise<LambdaBenchFigures> {
  const fixture = await startLambdaFixture();
  const restoreEnv = useAwsEndpoint(fixture.secretsManager.endpoint);
  const dir = await mkdtemp(path.join(tmpdir(), 'lambda-bench-'));
  const instance = createHandler({ env: fixture.lambdaEnv(), ca: fixture.pg.ca.certPem, logSink: () => undefined });
  const bare = new Client({
    host: fixture.pg.host,
    port: fixture.pg.port,
    user: APP_USER,
    password: fixture.password,
    database: APP_DATABASE,
    ssl: { rejectUnauthorized: true, ca: fixture.pg.ca.certPem },
  });
  try {
    const bundle = bundleLambda();
    const bundleFile = path.join(dir, 'index.js');
    await writeFile(bundleFile, bundle.code);

    const cold: { load: number; first: number }[] = [];
    for (let i = 0; i < COLD_RUNS; i += 1) {
      cold.push(await coldStart(bundleFile, { ...awsEnvironment(fixture.secretsManager.endpoint), ...fixture.lambdaEnv(), NODE_EXTRA_CA_CERTS: fixture.pg.caFile }));
    }

    await bare.connect();
    for (let i = 0; i < WARMUP; i += 1) {
      await bare.query(ACTION_SPECS.health.sql);
      expectOk(await instance.handler({ action: 'health' }));
    }
    const handlerTimes: number[] = [];
    const bareTimes: number[] = [];
    for (let i = 0; i < ITERATIONS; i += 1) {
      let started = performance.now();
      await bare.query(ACTION_SPECS.health.sql);
      bareTimes.push(performance.now() - started);
      started = performance.now();
      expectOk(await instance.handler({ action: 'health' }, { awsRequestId: `bench-${i}` }));
      handlerTimes.push(performance.now() - started);
    }

    const fetchesBefore = fixture.secretsManager.getSecretValueCalls;
    const sessionsBefore = instance.runtime()!.database.connectCount;
    for (let i = 0; i < 100; i += 1) expectOk(await instance.handler({ action: 'health' }));

    const handlerHealthMillis = median(handlerTimes);
    const bareQueryMillis = median(bareTimes);
    const figures: LambdaBenchFigures = {
      moduleLoadMillis: median(cold.map((c) => c.load)),
      coldFirstInvocationMillis: median(cold.map((c) => c.first)),
      handlerHealthMillis,
      bareQueryMillis,
      overheadMillis: handlerHealthMillis - bareQueryMillis,
      secretFetchesPer100: fixture.secretsManager.getSecretValueCalls - fetchesBefore,
      sessionsPer100: instance.runtime()!.database.connectCount - sessionsBefore,
      zipBytes: bundle.zip.length,
      bundleBytes: bundle.code.length,
    };
    print(figures);
    process.stdout.write('\n');
    printConcurrency(await concurrency(fixture));
    return figures;
  } finally {
    await bare.end().catch(() => undefined);
    await instance.close();
    restoreEnv();
    await fixture.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The figures of one pool size under concurrent invocations. */
interface ConcurrencyFigures {
  readonly poolSize: number;
  /** Wall time of a burst of `health` alone, from the first call to the last answer, in ms. */
  readonly burstMillis: number[];
  /** Each `health` call of those bursts, in ms. */
  readonly callMillis: number[];
  /** Each valid call of the bursts that include one statement timeout, in ms. */
  readonly besideTimeoutMillis: number[];
  /** Sessions the warm-up burst opened: what the environment holds. */
  readonly held: number;
  /** Sessions opened over the timed bursts, after the warm-up. */
  readonly sessions: number;
  /** Calls that did not answer 200 (expected: none). */
  readonly failures: number;
}

/** Runs the bursts of every pool size, in turns, against the fixture's database. */
async function concurrency(fixture: LambdaFixture): Promise<ConcurrencyFigures[]> {
  const { dbQueryTimeoutMillis } = lambdaTimeouts(10);
  const instances = POOL_SIZES.map((size) =>
    createHandler({
      env: fixture.lambdaEnv({ DB_POOL_MAX_SESSIONS: String(size), DB_QUERY_TIMEOUT_MS: String(dbQueryTimeoutMillis) }),
      ca: fixture.pg.ca.certPem,
      logSink: () => undefined,
    }),
  );
  const figures = POOL_SIZES.map((poolSize) => ({ poolSize, burstMillis: [] as number[], callMillis: [] as number[], besideTimeoutMillis: [] as number[], failures: 0 }));
  const timed = async (instance: HandlerInstance, into: number[], index: number): Promise<void> => {
    const started = performance.now();
    const response = await instance.handler({ action: 'health' }, { awsRequestId: `burst-${index}` });
    into.push(performance.now() - started);
    if (response.statusCode !== 200) figures[instances.indexOf(instance)].failures += 1;
  };
  try {
    // Warm-up: every pool opens as many sessions as a burst makes it open.
    for (const instance of instances) await Promise.all(Array.from({ length: BURST_SIZE }, (_, i) => timed(instance, [], i)));
    const sessionsBefore = instances.map((i) => i.runtime()!.database.connectCount);
    for (let round = 0; round < FAST_BURSTS; round += 1) {
      for (const index of inTurn(instances.map((_, i) => i), round)) {
        const started = performance.now();
        await Promise.all(Array.from({ length: BURST_SIZE }, (_, i) => timed(instances[index], figures[index].callMillis, i)));
        figures[index].burstMillis.push(performance.now() - started);
      }
    }
    for (let round = 0; round < SLOW_BURSTS; round += 1) {
      for (const index of inTurn(instances.map((_, i) => i), round)) {
        const instance = instances[index];
        const slow = instance.runtime()!.database.run((client) => readOnly(client, () => client.query('SELECT pg_sleep(60)')), { readOnly: true });
        await Promise.all([
          slow.then(
            () => (figures[index].failures += 1),
            () => undefined,
          ),
          ...Array.from({ length: BURST_SIZE - 1 }, (_, i) => timed(instance, figures[index].besideTimeoutMillis, i)),
        ]);
      }
    }
    return figures.map((f, i) => ({ ...f, held: sessionsBefore[i], sessions: instances[i].runtime()!.database.connectCount - sessionsBefore[i] }));
  } finally {
    await Promise.all(instances.map((i) => i.close()));
  }
}

function printConcurrency(figures: readonly ConcurrencyFigures[]): void {
  const { dbQueryTimeoutMillis } = lambdaTimeouts(10);
  const ms = (n: number): string => n.toFixed(2);
  const lines = [
    `| pool size (\`DB_POOL_MAX_SESSIONS\`) | burst of ${BURST_SIZE} health, wall p50, ms | one call, p50, ms | one call, p99, ms | beside a statement timeout: call p50, ms | p99, ms | sessions held | opened after warm-up | not 200 |`,
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...figures.map((f) =>
      `| ${f.poolSize}${f.poolSize === 1 ? ' (a queue)' : ''} | ${ms(quantile(f.burstMillis, 0.5))} | ${ms(quantile(f.callMillis, 0.5))} | ${ms(quantile(f.callMillis, 0.99))} | ${ms(quantile(f.besideTimeoutMillis, 0.5))} | ${ms(quantile(f.besideTimeoutMillis, 0.99))} | ${f.held} | ${f.sessions} | ${f.failures} |`,
    ),
    '',
    `${FAST_BURSTS} bursts of ${BURST_SIZE} concurrent health invocations per size; then ${SLOW_BURSTS} bursts of ${BURST_SIZE - 1} beside one read-only transaction that PostgreSQL cancels at the statement timeout of a 10 s function (${dbQueryTimeoutMillis} ms). Sizes take turns.`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Loads the bundle in a fresh node and invokes it once; returns both durations in ms. */
async function coldStart(bundleFile: string, env: Record<string, string>): Promise<{ load: number; first: number }> {
  const script = `
    let t = performance.now();
    const { handler } = require(process.argv[1]);
    const load = performance.now() - t;
    t = performance.now();
    handler({ action: 'health' }).then((r) => {
      const first = performance.now() - t;
      process.stderr.write('TIMES ' + JSON.stringify({ load, first, ok: r.statusCode === 200 }) + '\\n', () => process.exit(0));
    });`;
  const child = spawn(process.execPath, ['-e', script, bundleFile], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  const line = stderr.split('\n').find((l) => l.startsWith('TIMES '));
  if (!line) throw new Error(`cold start failed:\n${stderr}`);
  const times = JSON.parse(line.slice('TIMES '.length)) as { load: number; first: number; ok: boolean };
  if (!times.ok) throw new Error('cold invocation did not return 200');
  return times;
}

function expectOk(response: { statusCode: number }): void {
  if (response.statusCode !== 200) throw new Error(`handler answered ${JSON.stringify(response)}`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function print(f: LambdaBenchFigures): void {
  const ms = (n: number): string => `${n.toFixed(3)} ms`;
  const rows: [string, string][] = [
    [`bundle module load (require in a fresh node, median of ${COLD_RUNS})`, ms(f.moduleLoadMillis)],
    [`cold first invocation: secret fetch + TLS connect + health (median of ${COLD_RUNS})`, ms(f.coldFirstInvocationMillis)],
    [`warm handler health (median of ${ITERATIONS})`, ms(f.handlerHealthMillis)],
    [`bare pg query, same SQL, open client (median of ${ITERATIONS})`, ms(f.bareQueryMillis)],
    ['warm handler overhead per invocation', ms(f.overheadMillis)],
    ['secret fetches per 100 warm invocations', String(f.secretFetchesPer100)],
    ['sessions opened per 100 warm invocations', String(f.sessionsPer100)],
    ['Lambda zip size', `${f.zipBytes} bytes (${(f.zipBytes / 1024 / 1024).toFixed(2)} MiB)`],
    ['bundled index.js size', `${f.bundleBytes} bytes`],
  ];
  const lines = ['| Lambda figure | value |', '| --- | ---: |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)];
  process.stdout.write(lines.join('\n') + '\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
