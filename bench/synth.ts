import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Figures of one way of synthesizing all stacks. */
export interface SynthFigures {
  readonly command: string;
  readonly runs: number;
  /** Median wall time of a whole process, in milliseconds. */
  readonly medianWallMillis: number;
  /** Largest peak resident set size over the runs, in MiB (from GNU time), or null without it. */
  readonly peakRssMiB: number | null;
}

const projectRoot = path.resolve(__dirname, '..');
const GNU_TIME = '/usr/bin/time';

function measure(label: string, argvFor: (outdir: string) => string[], runs: number): SynthFigures {
  const walls: number[] = [];
  let peakKiB: number | null = null;
  for (let i = 0; i < runs; i++) {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
    const env = { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1', CI: '1' };
    const argv = argvFor(outdir);
    const useTime = existsSync(GNU_TIME);
    const [cmd, args] = useTime ? [GNU_TIME, ['-f', '%M', ...argv]] : [argv[0], argv.slice(1)];
    const started = process.hrtime.bigint();
    const result = spawnSync(cmd, args, { cwd: projectRoot, env, encoding: 'utf8' });
    walls.push(Number(process.hrtime.bigint() - started) / 1e6);
    rmSync(outdir, { recursive: true, force: true });
    if (result.status !== 0) throw new Error(`${label} failed:\n${result.stderr}`);
    if (useTime) {
      const kib = Number(result.stderr.trim().split('\n').pop());
      peakKiB = Math.max(peakKiB ?? 0, kib);
    }
  }
  walls.sort((a, b) => a - b);
  return {
    command: label,
    runs,
    medianWallMillis: walls[Math.floor(walls.length / 2)],
    peakRssMiB: peakKiB === null ? null : peakKiB / 1024,
  };
}

/**
 * Synthesizes all stacks in fresh processes, `runs` times each way: `node --require tsx/cjs main.ts`
 * (what `npm run synth` and the cdktf.json app run), through `npm run synth`, and through
 * `cdktf synth` (the CLI, which runs the same app and then post-processes). Peak memory is the
 * largest over the runs, from GNU time's %M; the CLI's figure is of the CLI process tree's
 * largest process.
 */
export function main(runs = 5): SynthFigures[] {
  const figures = [
    measure('node --require tsx/cjs main.ts', () => [process.execPath, '--require', 'tsx/cjs', 'main.ts'], runs),
    measure('npm run synth', () => ['npm', 'run', '--silent', 'synth'], runs),
    measure('cdktf synth', (outdir) => [path.join(projectRoot, 'node_modules', '.bin', 'cdktf'), 'synth', '--output', outdir], Math.min(runs, 3)),
  ];
  console.log('| synth of all stacks | runs | median wall (ms) | peak RSS (MiB) |');
  console.log('|---|---|---|---|');
  for (const f of figures) {
    console.log(`| \`${f.command}\` | ${f.runs} | ${f.medianWallMillis.toFixed(0)} | ${f.peakRssMiB === null ? 'n/a' : f.peakRssMiB.toFixed(0)} |`);
  }
  return figures;
}

if (require.main === module) main();
