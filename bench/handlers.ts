/**
 * Benchmark of our Lambda handler against two peers that run the same `health` query:
 *
 * - ours: lambda-src/handler.ts, the artifact the stack deploys (`bundleLambda()`);
 * - Powertools: Parameters' `getSecret` with its cache, plus one kept `pg` client (bench/peers/powertools-handler.ts);
 * - naive: a new Secrets Manager client, a fetch and a new `pg` session on every invocation (bench/peers/naive-handler.ts).
 *
 * The peers are bundled by esbuild with the options and target of ours (lambda-bundle.ts). Every
 * figure comes from the bundled file running in a fresh `node` as the Lambda runtime runs it:
 * `require`, then `handler(event, context)`, trusting the test CA only through NODE_EXTRA_CA_CERTS,
 * against the same embedded PostgreSQL with TLS and the same local Secrets Manager stand-in, which
 * holds each answer back {@link SECRETS_MANAGER_LATENCY_MILLIS} ms like an endpoint inside a VPC.
 * Handlers take turns, each round starting with the next one, so a change of the machine's load
 * hits all three alike and none always goes first. Prints a Markdown table; asserts nothing.
 * `npm run bench` runs it with the others; `npx tsx bench/handlers.ts` alone.
 *
 * - module load: `require` of the bundle, median over {@link COLD_RUNS} processes, in ms;
 * - first invocation: secret fetch, TLS connect and query in the same processes, median, in ms;
 * - warm p50 and p99: {@link WARM_ITERATIONS} invocations after {@link WARMUP} untimed ones, in each
 *   of {@link WARM_RUNS} processes, pooled, in ms;
 * - secret fetches (counted by the stand-in) and PostgreSQL connections (counted by a TCP relay in
 *   front of the server) during 100 invocations after the first;
 * - bundle size: the bundled index.js, in bytes.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { BUILD_OPTIONS, bundleLambda } from '../stacks/constructs/lambda-bundle';
import { awsEnvironment, startLambdaFixture, type LambdaFixture } from '../local/lambda-fixture';
import { startTcpProxy } from '../local/tcp-proxy';

/** Added to every Secrets Manager answer, in ms: about a round trip to an interface endpoint in a VPC. */
export const SECRETS_MANAGER_LATENCY_MILLIS = 20;
/** Fresh processes per handler for module load and first invocation. */
const COLD_RUNS = 9;
/** Processes per handler for the warm figures. */
const WARM_RUNS = 3;
/** Untimed invocations before the timed ones, in each warm process. */
const WARMUP = 20;
/** Timed invocations in each warm process. */
const WARM_ITERATIONS = 200;
/** Invocations counted for fetches and connections, after the first. */
const COUNTED_INVOCATIONS = 100;
/** The esbuild target of all three bundles: ours's default (lambda-bundle.ts). */
const TARGET = 'node22';

const projectRoot = path.resolve(__dirname, '..');

/** One handler under test. */
interface Contender {
  readonly name: string;
  /** Its bundled index.js. */
  readonly code: Buffer;
}

/** The figures of one handler. */
export interface HandlerFigures {
  readonly name: string;
  readonly bundleBytes: number;
  readonly moduleLoadMillis: number;
  readonly firstInvocationMillis: number;
  readonly warmP50Millis: number;
  readonly warmP99Millis: number;
  readonly secretFetchesPer100: number;
  readonly connectionsPer100: number;
}

/** Bundles a peer entry point exactly as ours is bundled. */
function bundlePeer(entry: string): Buffer {
  const result = buildSync({ ...BUILD_OPTIONS, entryPoints: [entry], absWorkingDir: projectRoot, target: TARGET });
  return Buffer.from(result.outputFiles![0].contents);
}

/**
 * What runs in each child: loads the bundle, invokes it once, then per mode runs warm invocations
 * or, between two handshakes on stdin/stderr, the counted ones. Results go to stderr as one
 * `BENCH {json}` line; stdout carries the handler's own log lines, as in Lambda.
 */
const CHILD_SCRIPT = `
const [file, mode, warmup, iterations, counted] = process.argv.slice(1);
const fail = (why) => { process.stderr.write('BENCH ' + JSON.stringify({ error: String(why && why.stack || why) }) + '\\n', () => process.exit(1)); };
const ok = (r) => { if (!r || r.statusCode !== 200) throw new Error('handler answered ' + JSON.stringify(r)); };
const line = (value) => new Promise((resolve) => process.stderr.write('BENCH ' + JSON.stringify(value) + '\\n', resolve));
(async () => {
  let t = performance.now();
  const { handler } = require(file);
  const load = performance.now() - t;
  t = performance.now();
  ok(await handler({ action: 'health' }, { awsRequestId: 'first' }));
  const first = performance.now() - t;
  if (mode === 'cold') { await line({ load, first }); process.exit(0); }
  if (mode === 'warm') {
    for (let i = 0; i < Number(warmup); i += 1) ok(await handler({ action: 'health' }, { awsRequestId: 'w' + i }));
    const times = [];
    for (let i = 0; i < Number(iterations); i += 1) {
      const s = performance.now();
      ok(await handler({ action: 'health' }, { awsRequestId: 't' + i }));
      times.push(performance.now() - s);
    }
    await line({ times }); process.exit(0);
  }
  await line({ ready: true });
  await new Promise((resolve) => process.stdin.once('data', resolve));
  for (let i = 0; i < Number(counted); i += 1) ok(await handler({ action: 'health' }, { awsRequestId: 'c' + i }));
  await line({ done: true }); process.exit(0);
})().catch(fail);
`;

/** A child process running {@link CHILD_SCRIPT}, with the lines it reported. */
function startChild(file: string, mode: 'cold' | 'warm' | 'count', env: Record<string, string>) {
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, file, mode, String(WARMUP), String(WARM_ITERATIONS), String(COUNTED_INVOCATIONS)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const reports: Record<string, unknown>[] = [];
  const waiters: ((value: Record<string, unknown>) => void)[] = [];
  let stderr = '';
  let pending = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!text.startsWith('BENCH ')) continue;
      const report = JSON.parse(text.slice('BENCH '.length)) as Record<string, unknown>;
      const waiter = waiters.shift();
      if (waiter) waiter(report);
      else reports.push(report);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    child,
    /** The next BENCH line; throws the child's error or its stderr if it exits without one. */
    next: async (): Promise<Record<string, unknown>> => {
      const report =
        reports.shift() ??
        (await Promise.race([
          new Promise<Record<string, unknown>>((resolve) => waiters.push(resolve)),
          exited.then(() => ({ error: `exited without a report:\n${stderr}` })),
        ]));
      if ('error' in report) throw new Error(`benchmark child (${mode}) failed: ${String(report.error)}`);
      return report;
    },
    exited,
  };
}

/** The environment a Lambda function of the stack has, with the test CA in NODE_EXTRA_CA_CERTS. */
function lambdaEnvironment(fixture: LambdaFixture, dbPort?: number): Record<string, string> {
  return {
    ...awsEnvironment(fixture.secretsManager.endpoint),
    ...fixture.lambdaEnv(dbPort === undefined ? {} : { DB_PORT: String(dbPort) }),
    NODE_EXTRA_CA_CERTS: fixture.pg.caFile,
  };
}

/** `items` rotated by `round`, so no contender always goes first (right after another's process). */
export function inTurn<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** The `fraction` quantile of `values` (nearest rank); NaN for none. */
export function quantile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

/** Runs the benchmark and prints the table; returns the figures, ours first. */
export async function main(): Promise<HandlerFigures[]> {
  const fixture = await startLambdaFixture({ latencyMillis: SECRETS_MANAGER_LATENCY_MILLIS });
  const proxy = await startTcpProxy(fixture.pg.port);
  const dir = await mkdtemp(path.join(tmpdir(), 'handlers-bench-'));
  try {
    const contenders: Contender[] = [
      { name: 'ours', code: bundleLambda({ target: TARGET }).code },
      { name: 'Powertools getSecret + pg', code: bundlePeer('bench/peers/powertools-handler.ts') },
      { name: 'naive', code: bundlePeer('bench/peers/naive-handler.ts') },
    ];
    const files = new Map<Contender, string>();
    for (const [index, contender] of contenders.entries()) {
      const file = path.join(dir, String(index), 'index.js');
      await mkdir(path.dirname(file));
      await writeFile(file, contender.code);
      files.set(contender, file);
    }
    const env = lambdaEnvironment(fixture);

    const cold = new Map<Contender, { load: number; first: number }[]>(contenders.map((c) => [c, []]));
    for (let run = 0; run < COLD_RUNS; run += 1) {
      for (const contender of inTurn(contenders, run)) {
        const child = startChild(files.get(contender)!, 'cold', env);
        cold.get(contender)!.push((await child.next()) as { load: number; first: number });
        await child.exited;
      }
    }

    const warm = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
    for (let run = 0; run < WARM_RUNS; run += 1) {
      for (const contender of inTurn(contenders, run)) {
        const child = startChild(files.get(contender)!, 'warm', env);
        warm.get(contender)!.push(...((await child.next()) as { times: number[] }).times);
        await child.exited;
      }
    }

    const counts = new Map<Contender, { fetches: number; connections: number }>();
    for (const contender of contenders) {
      const child = startChild(files.get(contender)!, 'count', lambdaEnvironment(fixture, proxy.port));
      await child.next();
      const fetchesBefore = fixture.secretsManager.getSecretValueCalls;
      const connectionsBefore = proxy.connections;
      child.child.stdin.write('go\n');
      await child.next();
      counts.set(contender, {
        fetches: fixture.secretsManager.getSecretValueCalls - fetchesBefore,
        connections: proxy.connections - connectionsBefore,
      });
      await child.exited;
    }

    const figures = contenders.map(
      (c): HandlerFigures => ({
        name: c.name,
        bundleBytes: c.code.length,
        moduleLoadMillis: quantile(cold.get(c)!.map((x) => x.load), 0.5),
        firstInvocationMillis: quantile(cold.get(c)!.map((x) => x.first), 0.5),
        warmP50Millis: quantile(warm.get(c)!, 0.5),
        warmP99Millis: quantile(warm.get(c)!, 0.99),
        secretFetchesPer100: (counts.get(c)!.fetches * 100) / COUNTED_INVOCATIONS,
        connectionsPer100: (counts.get(c)!.connections * 100) / COUNTED_INVOCATIONS,
      }),
    );
    print(figures);
    return figures;
  } finally {
    await proxy.close();
    await fixture.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** ours / peer, or a dash when both are zero. */
function ratio(ours: number, peer: number): string {
  if (ours === 0 && peer === 0) return '—';
  if (peer === 0) return '∞';
  return (ours / peer).toFixed(2);
}

function print(figures: readonly HandlerFigures[]): void {
  const [ours, ...peers] = figures;
  const rows: [string, (f: HandlerFigures) => number, (n: number) => string][] = [
    [`module load (require, median of ${COLD_RUNS} processes), ms`, (f) => f.moduleLoadMillis, (n) => n.toFixed(1)],
    ['first invocation (fetch, TLS connect, query), ms', (f) => f.firstInvocationMillis, (n) => n.toFixed(1)],
    [`warm p50 (${WARM_RUNS} × ${WARM_ITERATIONS} invocations), ms`, (f) => f.warmP50Millis, (n) => n.toFixed(3)],
    ['warm p99, ms', (f) => f.warmP99Millis, (n) => n.toFixed(3)],
    [`secret fetches per ${COUNTED_INVOCATIONS} warm invocations`, (f) => f.secretFetchesPer100, (n) => String(n)],
    [`PostgreSQL connections per ${COUNTED_INVOCATIONS} warm invocations`, (f) => f.connectionsPer100, (n) => String(n)],
    ['bundle size (index.js), KiB', (f) => f.bundleBytes / 1024, (n) => n.toFixed(0)],
  ];
  const header = ['handler figure', ...figures.map((f) => f.name), ...peers.map((p) => `ours ÷ ${p.name}`)];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|---|${header.slice(1).map(() => '---:').join('|')}|`,
    ...rows.map(([label, get, format]) => `| ${label} | ${figures.map((f) => format(get(f))).join(' | ')} | ${peers.map((p) => ratio(get(ours), get(p))).join(' | ')} |`),
    '',
    `Secrets Manager stand-in latency ${SECRETS_MANAGER_LATENCY_MILLIS} ms per call; all three bundled by esbuild with the same options (target ${TARGET}). A ratio below 1 means ours is lower (better).`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
