// Runs the app (stacks/app.ts): `npm run synth` bundles this file (synth.js), `cdktf synth` runs it
// through cdktf.json. A user error prints its message and exits 1; any other error keeps its trace.
import { synthApp } from './stacks/app';

process.exitCode = synthApp({ stacks: process.argv.slice(2) }) || process.exitCode;
