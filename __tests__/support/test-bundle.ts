/**
 * Child processes that run the project's TypeScript without a TypeScript loader. A test that runs a
 * TypeScript entry (main.ts, a fixture app, a module with a snippet of code) in its own `node`
 * process, and is not about tsx itself, runs a CommonJS bundle of it made by esbuild as synth.js
 * does for `npm run synth`: node then loads one file instead of resolving and compiling some 600
 * modules through tsx, which costs two to four times the CPU of the run (the suite's workers share
 * two cores, so that is time off every run).
 *
 * Bundles are kept in `node_modules/.cache/workshop-backend-test-bundles/`, named by a SHA-256 of
 * every project file esbuild read for them, the lock files (standing for the installed packages,
 * tools/file-digests.js), this file, synth.js (whose plugin it uses) and esbuild's version, so an edit
 * to any input builds the bundle again and an unchanged input costs a `stat`. Two workers building the same bundle at the same time
 * both write the same bytes, each through a rename.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { build, version as esbuildVersion, type BuildOptions } from 'esbuild';
import { contentKey, digestFiles, keyInputs, readJsonFile, writeFileAtomically, type FileDigest } from '../../tools/file-digests';
import { projectPathsPlugin } from '../../synth';

/** The project root: the folder that holds main.ts and node_modules. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Where the bundles lie, relative to {@link PROJECT_ROOT}; the banner below depends on its depth. */
const CACHE_DIR = path.join('node_modules', '.cache', 'workshop-backend-test-bundles');

/** How many bundles of one entry are kept (a few, for branches switched back and forth). */
const KEPT_BUNDLES = 3;

/**
 * esbuild's options, with the input files the bundle's bytes. The project root is found at run time
 * from the bundle's own place in the cache folder, so project files' `__dirname` (see
 * {@link projectPathsPlugin}) names their folder in the project, as under tsx.
 */
const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${process.versions.node.split('.')[0]}`,
  // esbuild finds its native binary from its own package folder: it is loaded from node_modules.
  external: ['esbuild'],
  banner: { js: 'var __testBundleProjectRoot = require("node:path").resolve(__dirname, "..", "..", "..");' },
  // As synth.js: whitespace and syntax minified (less for V8 to scan); identifiers are not, so an
  // unexpected error's stack trace still names functions and classes. (keepNames would cost a third
  // more CPU per run, for the `name` of anonymous functions only.)
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: false,
  write: false,
  metafile: true,
  logLevel: 'silent',
};

/** The inputs of an entry's newest bundle. */
interface Manifest {
  readonly key: string;
  readonly inputs: Record<string, FileDigest>;
}

/**
 * The path of a CommonJS bundle of `entry` (a TypeScript file, relative to the project root, or
 * absolute inside it) with everything it imports except esbuild, built when no current one is in
 * the cache. Run it with `node <bundle> [args]`, or `require` it from `node -e`: its
 * `require.main === module` and its exports are the entry's.
 *
 * @throws Error from esbuild, naming the file and line, when the sources do not compile.
 */
export async function bundledEntry(entry: string): Promise<string> {
  const relativeEntry = path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, entry));
  const cacheDir = path.join(PROJECT_ROOT, CACHE_DIR);
  const slug = relativeEntry.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const manifestFile = path.join(cacheDir, `${slug}.inputs.json`);
  const bundleFile = (key: string): string => path.join(cacheDir, `${slug}.${key}.js`);

  const manifest = readJsonFile(manifestFile) as Manifest | undefined;
  if (typeof manifest?.key === 'string' && typeof manifest.inputs === 'object' && manifest.inputs !== null) {
    const current = digestFiles(PROJECT_ROOT, Object.keys(manifest.inputs), manifest.inputs);
    if (current && contentKey(current.digests, salt()) === manifest.key && existsSync(bundleFile(manifest.key))) {
      if (current.hashed > 0) writeFileAtomically(manifestFile, JSON.stringify({ key: manifest.key, inputs: current.digests }));
      return bundleFile(manifest.key);
    }
  }

  const result = await build({
    ...BUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [relativeEntry],
    outfile: `${slug}.js`,
    // synth.js's plugin: project files' `__dirname` and `__filename` name their folder in the project.
    plugins: [projectPathsPlugin(PROJECT_ROOT, '__testBundleProjectRoot')],
  });
  // This file and synth.js (its plugin) shape the bundle's bytes too.
  const inputs = keyInputs(PROJECT_ROOT, Object.keys(result.metafile!.inputs)).concat(path.relative(PROJECT_ROOT, __filename), 'synth.js');
  const current = digestFiles(PROJECT_ROOT, [...new Set(inputs)].sort());
  if (!current) throw new Error(`bundledEntry: an input of ${relativeEntry} vanished while it was being bundled`);
  const key = contentKey(current.digests, salt());
  mkdirSync(cacheDir, { recursive: true });
  writeFileAtomically(bundleFile(key), result.outputFiles![0].contents);
  writeFileAtomically(manifestFile, JSON.stringify({ key, inputs: current.digests }));
  pruneBundles(cacheDir, slug);
  return bundleFile(key);
}

/** What a bundle's key depends on besides its input files: esbuild's version and the options. */
function salt(): string {
  return JSON.stringify({ esbuild: esbuildVersion, options: BUILD_OPTIONS });
}

/** Deletes all but the {@link KEPT_BUNDLES} newest bundles of the entry `slug`. */
function pruneBundles(cacheDir: string, slug: string): void {
  const pattern = new RegExp(`^${slug}\\.[0-9a-f]{64}\\.js$`);
  const bundles = readdirSync(cacheDir)
    .filter((name) => pattern.test(name))
    .map((name) => ({ name, mtimeMs: statSync(path.join(cacheDir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { name } of bundles.slice(KEPT_BUNDLES)) rmSync(path.join(cacheDir, name), { force: true });
}
