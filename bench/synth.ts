/**
 * Benchmark of synthesizing every stack, in fresh processes, against the floor: a bare `node` that
 * only loads `cdktf` and `constructs`. Prints a Markdown table; asserts nothing. `npm run bench`
 * runs it with the others; `npx tsx bench/synth.ts` alone.
 *
 * The ways are run interleaved (floor, fast, slow, ... then again), so a change of the machine's
 * load during the run hits every way alike; the ratio to the floor is of medians from the same run.
 * Wall time is what a person waits; CPU time (user + system) moves less with the load of other
 * processes, so both are shown. Peak memory is the largest resident set size over the runs, from
 * GNU time's `%M` (of the largest process of the tree, for `npm run synth` and `cdktf synth`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** One way of running a synth (or the floor). */
interface Way {
  readonly label: string;
  /** argv, given the output folder. */
  readonly argv: (outdir: string) => string[];
  /** Whether this way is run every round, or only every {@link SLOW_EVERY}th (the CLI takes seconds). */
  readonly slow?: boolean;
}

/** Figures of one way over the runs. */
export interface SynthFigures {
  readonly label: string;
  readonly runs: number;
  /** Median wall time of the whole process, in milliseconds. */
  readonly medianWallMillis: number;
  /** Median user + system CPU time, in milliseconds, or null without GNU time. */
  readonly medianCpuMillis: number | null;
  /** Largest peak resident set size over the runs, in MiB, or null without GNU time. */
  readonly peakRssMiB: number | null;
}

/** The whole result: every way, and the fast path's ratios to the floor. */
export interface SynthBench {
  readonly figures: readonly SynthFigures[];
  /** Median wall of `node synth.js` over median wall of the floor. */
  readonly fastToFloorWall: number;
  /** The same for CPU time, or null without GNU time. */
  readonly fastToFloorCpu: number | null;
  /** The 1-minute load average when the run started and ended. */
  readonly loadAverage: readonly [number, number];
}

const projectRoot = path.resolve(__dirname, '..');
const GNU_TIME = '/usr/bin/time';
/** The CLI ways run in every this many rounds. */
const SLOW_EVERY = 3;

/** What the fast path's median wall may be at most, as a multiple of the floor's (issue 11). */
export const FAST_SYNTH_TARGET_RATIO = 1.5;
/** What the fast path's peak RSS may be at most, in MiB (issue 11). */
export const FAST_SYNTH_TARGET_RSS_MIB = 150;

export const FLOOR_LABEL = "node -e \"require('cdktf'); require('constructs')\" (floor)";
export const FAST_LABEL = 'node synth.js (npm run synth, the cdktf.json app)';

const WAYS: readonly Way[] = [
  { label: FLOOR_LABEL, argv: () => [process.execPath, '-e', "require('cdktf'); require('constructs')"] },
  { label: FAST_LABEL, argv: () => [process.execPath, 'synth.js'] },
  { label: 'node --require tsx/cjs main.ts (the slow path)', argv: () => [process.execPath, '--require', 'tsx/cjs', 'main.ts'] },
  { label: 'npm run synth (adds npm\'s own start-up)', argv: () => ['npm', 'run', '--silent', 'synth'] },
  { label: 'cdktf synth (the CLI around the same app)', argv: (outdir) => [path.join(projectRoot, 'node_modules', '.bin', 'cdktf'), 'synth', '--output', outdir], slow: true },
];

interface Sample {
  readonly wallMillis: number;
  readonly cpuMillis: number | null;
  readonly rssKiB: number | null;
}

function runOnce(way: Way): Sample {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    const env = { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1', CI: '1' };
    const argv = way.argv(outdir);
    const useTime = existsSync(GNU_TIME);
    const [cmd, args] = useTime ? [GNU_TIME, ['-f', 'BENCH %e %U %S %M', ...argv]] : [argv[0], argv.slice(1)];
    const started = process.hrtime.bigint();
    const result = spawnSync(cmd, args, { cwd: projectRoot, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const wallMillis = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`${way.label} failed:\n${result.stderr}`);
    const line = useTime ? result.stderr.split('\n').reverse().find((l) => l.startsWith('BENCH ')) : undefined;
    if (!line) return { wallMillis, cpuMillis: null, rssKiB: null };
    const [, , user, system, rss] = line.split(' ').map(Number);
    return { wallMillis, cpuMillis: (user + system) * 1000, rssKiB: rss };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The median of `values`; NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs every way `rounds` times, interleaved (the CLI every {@link SLOW_EVERY}th round), after one
 * untimed warm-up of the fast path so its caches exist, and prints the table.
 */
export function main(rounds = 9): SynthBench {
  const loadBefore = os.loadavg()[0];
  // Warm-up, untimed: builds the app bundle and its code cache if an input changed since the last synth.
  runOnce(WAYS[1]);
  const samples = new Map<Way, Sample[]>(WAYS.map((w) => [w, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const way of WAYS) {
      if (way.slow && round % SLOW_EVERY !== 0) continue;
      samples.get(way)!.push(runOnce(way));
    }
  }
  const figures = WAYS.map((way): SynthFigures => {
    const s = samples.get(way)!;
    const cpu = s.map((x) => x.cpuMillis).filter((x): x is number => x !== null);
    const rss = s.map((x) => x.rssKiB).filter((x): x is number => x !== null);
    return {
      label: way.label,
      runs: s.length,
      medianWallMillis: median(s.map((x) => x.wallMillis)),
      medianCpuMillis: cpu.length ? median(cpu) : null,
      peakRssMiB: rss.length ? Math.max(...rss) / 1024 : null,
    };
  });
  const [floor, fast] = figures;
  const result: SynthBench = {
    figures,
    fastToFloorWall: fast.medianWallMillis / floor.medianWallMillis,
    fastToFloorCpu: fast.medianCpuMillis !== null && floor.medianCpuMillis !== null ? fast.medianCpuMillis / floor.medianCpuMillis : null,
    loadAverage: [loadBefore, os.loadavg()[0]],
  };
  print(result);
  return result;
}

function print(r: SynthBench): void {
  const n = (x: number | null, digits = 0): string => (x === null ? 'n/a' : x.toFixed(digits));
  const [floor] = r.figures;
  const lines = [
    '| synth of all stacks | runs | median wall (ms) | × floor (wall) | median CPU (ms) | × floor (CPU) | peak RSS (MiB) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.figures.map(
      (f) =>
        `| \`${f.label}\` | ${f.runs} | ${n(f.medianWallMillis)} | ${n(f.medianWallMillis / floor.medianWallMillis, 2)} | ${n(f.medianCpuMillis)} | ${
          f.medianCpuMillis !== null && floor.medianCpuMillis !== null ? n(f.medianCpuMillis / floor.medianCpuMillis, 2) : 'n/a'
        } | ${n(f.peakRssMiB)} |`,
    ),
    '',
    `Fast path to floor: ${n(r.fastToFloorWall, 2)}× wall, ${n(r.fastToFloorCpu, 2)}× CPU (target at most ${FAST_SYNTH_TARGET_RATIO}×); ` +
      `peak RSS ${n(r.figures[1].peakRssMiB)} MiB (target at most ${FAST_SYNTH_TARGET_RSS_MIB} MiB). ` +
      `Load average (1 min) ${r.loadAverage[0].toFixed(2)} at the start, ${r.loadAverage[1].toFixed(2)} at the end, on ${os.cpus().length} cores.`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

if (require.main === module) main(Number(process.argv[2] ?? 9));
