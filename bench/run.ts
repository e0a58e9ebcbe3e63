import { main as handlersBench } from './handlers';
import { main as lambdaBench } from './lambda';
import { main as synthBench } from './synth';

/** Runs every benchmark and prints its Markdown table: `npm run bench`. */
async function main(): Promise<void> {
  const os = require('node:os') as typeof import('node:os');
  console.log(`# Benchmarks (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)})\n`);
  console.log('## Synth\n');
  synthBench();
  console.log('\n## The handler against its peers\n');
  await handlersBench();
  console.log('\n## The handler\'s own overhead\n');
  await lambdaBench();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
