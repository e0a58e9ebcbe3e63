/**
 * The layers of docs/architecture.md ("Layout") as dependency-cruiser rules (.dependency-cruiser.cjs),
 * checked on the tree, and shown to catch a violation in a scratch copy.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from './support/scratch';

const PROJECT_ROOT = path.resolve(__dirname, '..');

/** `npm run layers` without npm: dependency-cruiser with the script's arguments, in `root`. */
function layers(root: string): { status: number | null; output: string } {
  const script = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts.layers as string;
  const [command, ...args] = script.split(' ');
  expect(command).toBe('depcruise');
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin', command);
  const result = spawnSync(bin, args, { cwd: root, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A copy of the sources the rules cover, sharing this project's node_modules. */
function scratchCopy(): string {
  const root = scratchDir('layers-');
  for (const entry of ['main.ts', 'synth.js', 'tsconfig.json', 'package.json', '.dependency-cruiser.cjs', 'build', 'config', 'local', 'stacks', 'policy', 'lambda-src', 'tools', 'bench', '__tests__']) {
    cpSync(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

describe('the layers (.dependency-cruiser.cjs)', () => {
  it('finds no violation in the project', () => {
    const result = layers(PROJECT_ROOT);
    expect(result.output).toContain('no dependency violations found');
    expect(result.status).toBe(0);
  });

  it('fails naming the rule when config/ imports the stacks, or the stacks a test helper', () => {
    const root = scratchCopy();
    appendFileSync(path.join(root, 'config', 'errors.ts'), "\nimport '../stacks/app';\n");
    appendFileSync(path.join(root, 'stacks', 'provider.ts'), "\nimport type {} from '../__tests__/support/synth';\n");

    const result = layers(root);

    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/error layer-config: config\/errors\.ts → stacks\/app\.ts/);
    expect(result.output).toMatch(/error layer-stacks: stacks\/provider\.ts → __tests__\/support\/synth\.ts/);
  });

  it('fails on a cycle made of a type-only import', () => {
    const root = scratchCopy();
    appendFileSync(path.join(root, 'config', 'types.ts'), "\nimport type {} from './schema';\n");

    const result = layers(root);

    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/error no-cycles: config\/(types|schema)\.ts →\s+config\/(schema|types)\.ts/);
  });
});
