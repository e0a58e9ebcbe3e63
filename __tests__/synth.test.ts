import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileTree, scratchDir } from './support/scratch';
// synth.js is plain CommonJS (it runs before any TypeScript tooling); tsc checks it with checkJs.
import { appBundle, compileCacheDir, main } from '../synth';
import { synthApp } from '../stacks/app';

const PROJECT_ROOT = path.resolve(__dirname, '..');


function run(argv: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string } {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(clean)) if (name.startsWith('TF_STATE_')) delete clean[name];
  const result = spawnSync(process.execPath, argv, { cwd: PROJECT_ROOT, env: { ...clean, ...env }, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('synth.js, the synth entry point (npm run synth, the cdktf.json app)', () => {
  it('writes byte for byte what main.ts run from source writes: every stack, asset and the manifest', () => {
    const source = scratchDir('source-synth-');
    const fast = scratchDir('fast-synth-');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('TF_STATE_')) delete env[name];

    // main.ts's own synth, from the TypeScript sources, in this process: no bundle, no cache.
    expect(synthApp({ outdir: source, env })).toBe(0);
    const fastRun = run(['synth.js'], { CDKTF_OUTDIR: fast });
    expect(fastRun.status).toBe(0);
    // Node.js 24 reports a deprecated API once per process; none of ours or cdktf's may be on the path.
    expect(fastRun.stderr).not.toContain('DeprecationWarning');

    const expected = fileTree(source);
    const actual = fileTree(fast);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    expect([...expected.keys()]).toEqual(expect.arrayContaining([path.join('stacks', 'dev', 'cdk.tf.json'), 'manifest.json']));
    for (const [file, bytes] of expected) expect({ file, same: actual.get(file)!.equals(bytes) }).toEqual({ file, same: true });
  });

  it('refuses a stack name the app does not build, with exit code 1, and writes nothing', () => {
    const outdir = scratchDir('fast-synth-unknown-');

    const result = run(['synth.js', 'nosuch'], { CDKTF_OUTDIR: outdir });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('synth: no stack named "nosuch"');
    expect(result.stderr).toContain("allowed: one of the app's stacks: ");
    expect(existsSync(path.join(outdir, 'stacks'))).toBe(false);
  });

  it('prints a user error as its message alone and exits 1, as main.ts does', () => {
    const outdir = scratchDir('fast-synth-error-');

    const result = run(['synth.js'], { CDKTF_OUTDIR: outdir, TF_STATE_BUCKET: 'Not_A_Bucket', TF_STATE_REGION: 'ap-southeast-1' });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Not_A_Bucket');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(outdir, 'stacks'))).toBe(false);
  });
});

describe('the app bundle', () => {
  /** A small project whose synthApp writes where `lib/where.ts` thinks it is, and its message. */
  function fakeProject(): string {
    const root = scratchDir('fake-project-');
    mkdirSync(path.join(root, 'lib'));
    mkdirSync(path.join(root, 'stacks'));
    writeFileSync(
      path.join(root, 'stacks', 'app.ts'),
      [
        "import { writeFileSync } from 'node:fs';",
        "import * as path from 'node:path';",
        "import { MESSAGE, where } from '../lib/where';",
        'export function synthApp(): number {',
        "  writeFileSync(path.join(where(), '..', 'out.json'), JSON.stringify({ where: where(), message: MESSAGE }));",
        '  return 0;',
        '}',
      ].join('\n'),
    );
    writeMessage(root, 'one');
    return root;
  }

  function writeMessage(root: string, message: string): void {
    writeFileSync(path.join(root, 'lib', 'where.ts'), `export const where = (): string => __dirname;\nexport const MESSAGE = ${JSON.stringify(message)};\n`);
  }

  function output(root: string): { where: string; message: string } {
    return JSON.parse(readFileSync(path.join(root, 'out.json'), 'utf8'));
  }

  it('bundles on the first synth, then reuses the bundle while no input changed, also after a file was touched', async () => {
    const root = fakeProject();

    const first = await appBundle(root);
    const second = await appBundle(root);
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, 'stacks', 'app.ts'), later, later);
    const touched = await appBundle(root);

    expect(first.built).toBe(true);
    expect(second).toEqual({ ...first, built: false });
    expect(touched).toEqual({ ...first, built: false });
  });

  it('bundles again when an input changes and runs the new code', async () => {
    const root = fakeProject();
    for (const message of ['one', 'two']) {
      writeMessage(root, message);
      expect((await appBundle(root)).built).toBe(true);
      expect(await main(root)).toBe(0);
      expect(output(root).message).toBe(message);
    }
  });

  it("resolves a project file's __dirname to its folder in the project, not to the bundle's", async () => {
    const root = fakeProject();

    expect(await main(root)).toBe(0);

    expect(output(root).where).toBe(path.join(root, 'lib'));
  });

  it("leaves zod's other locales out of the app bundle: config/schema.ts imports zod as a namespace", async () => {
    const bundle = await appBundle(PROJECT_ROOT);
    // esbuild marks where each module starts with a comment naming its file.
    const locales = new Set(readFileSync(bundle.file, 'latin1').match(/node_modules\/zod\/v4\/locales\/[\w-]+\.js/g));
    expect([...locales].sort()).toEqual(['node_modules/zod/v4/locales/en.js', 'node_modules/zod/v4/locales/index.js']);
  });

  it("fills Node.js's compile cache, one per set of node flags, so cdktf synth's NODE_OPTIONS do not make V8 reject npm run synth's", () => {
    const root = fakeProject();
    const synthOf = `require(${JSON.stringify(path.join(PROJECT_ROOT, 'synth.js'))}).main(${JSON.stringify(root)})`;
    const plain = run(['-e', synthOf], { NODE_OPTIONS: '' });
    // What the cdktf CLI sets for the app it runs (cdktf.json's `app`: node synth.js).
    const underCdktf = run(['-e', synthOf], { NODE_OPTIONS: '--max-old-space-size=4096' });
    expect([plain.status, underCdktf.status]).toEqual([0, 0]);

    const dirs = readdirSync(path.dirname(compileCacheDir(root)));
    expect(dirs).toHaveLength(2);
    for (const dir of dirs) expect(readdirSync(path.join(path.dirname(compileCacheDir(root)), dir), { recursive: true }).length).toBeGreaterThan(0);
  });

  it("reports an unexpected error with its TypeScript file and line, not the bundle's text, and exits 1", async () => {
    const root = fakeProject();
    writeFileSync(
      path.join(root, 'lib', 'where.ts'),
      ['export const MESSAGE = "one";', 'export function where(): string {', "  throw new TypeError('a bug in where');", '}', ''].join('\n'),
    );
    // In a process of its own: jest maps the stacks of errors in its workers itself.
    const result = run(['-e', `require(${JSON.stringify(path.join(PROJECT_ROOT, 'synth.js'))}).main(${JSON.stringify(root)}).then((code) => (process.exitCode = code))`]);

    const text = result.stderr;
    expect(result.status).toBe(1);
    expect(text).toMatch(/^TypeError: a bug in where\n/);
    expect(text).toContain(`(${path.join(root, 'lib', 'where.ts')}:3:9)`);
    expect(text).toContain(`${path.join(root, 'stacks', 'app.ts')}:`);
    expect(text).not.toContain('synth-app.js');
    expect(text.length).toBeLessThan(2000);
  });

  it('exits 1 naming the file and line when the sources do not compile, and runs nothing', async () => {
    const root = fakeProject();
    writeFileSync(path.join(root, 'lib', 'where.ts'), 'export const where = (: string => __dirname;\n');
    const written: string[] = [];

    const code = await main(root, (text) => written.push(text));

    expect(code).toBe(1);
    expect(written.join('')).toMatch(/lib\/where\.ts:1:\d+: ERROR/);
    expect(existsSync(path.join(root, 'out.json'))).toBe(false);
  });
});
