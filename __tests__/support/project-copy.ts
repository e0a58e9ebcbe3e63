/**
 * A scratch copy of the project, edited the way a team edits it, for the tests that show a change
 * takes one edit in one place (add-environment.test.ts, add-function.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from './scratch';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Copies the project's tracked files into a scratch folder sharing its node_modules, then applies
 * `edits`: each file's path (relative to the project root) and a function from its text (empty for
 * a new file) to the new text.
 * @returns the copy's root
 */
export function projectCopy(prefix: string, edits: Readonly<Record<string, (text: string) => string>>): string {
  const root = scratchDir(prefix);
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, file), path.join(root, file));
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  for (const [file, edit] of Object.entries(edits)) {
    const target = path.join(root, file);
    let text = '';
    try {
      text = readFileSync(target, 'utf8');
    } catch {
      mkdirSync(path.dirname(target), { recursive: true });
    }
    writeFileSync(target, edit(text));
  }
  return root;
}

/** Inserts `entry` as the last element of the `ENVIRONMENT_DEFINITIONS` array of config/environments.ts's text. */
export function withEnvironmentDefinition(source: string, entry: string): string {
  const end = source.indexOf('];', source.indexOf('ENVIRONMENT_DEFINITIONS'));
  return `${source.slice(0, end)}${entry}${source.slice(end)}`;
}

/** What a script of the copy printed, and its exit status. */
export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * An npm script of the copy, run with node as npm would (`node --require tsx/cjs <file>`), without
 * npm, and without the `TF_STATE_*` variables of the test's environment.
 */
export function runScript(root: string, script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): ScriptRun {
  const command = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts[script] as string).split(' ');
  if (command[0] !== 'node') throw new Error(`npm script ${script} does not start with node: ${command.join(' ')}`);
  const clean = { ...process.env };
  for (const name of Object.keys(clean)) if (name.startsWith('TF_STATE_')) delete clean[name];
  const result = spawnSync(process.execPath, [...command.slice(1), ...args], { cwd: root, env: { ...clean, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
