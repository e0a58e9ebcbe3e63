import { main as lambdaBench } from './lambda';
import { main as synthBench } from './synth';

/** Runs every benchmark and prints its Markdown table: `npm run bench`. */
async function main(): Promise<void> {
  console.log(`# Benchmarks (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${require('node:os').cpus().length} cores)\n`);
  synthBench();
  console.log();
  await lambdaBench();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
