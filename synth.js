'use strict';
/**
 * The synth entry point: `npm run synth`, and through `cdktf.json`'s `app` also `cdktf synth`,
 * `cdktf deploy` and `cdktf diff`. It synthesizes exactly what main.ts run from source does (with
 * `node --require tsx/cjs main.ts`, say): byte-identical output, the same messages and exit codes
 * (__tests__/synth.test.ts compares its output with main.ts's `synthApp` run from the sources). It
 * takes a fraction of the time by not redoing work whose inputs did not change:
 *
 * 1. **The app is bundled once.** esbuild bundles `main.ts` and everything it imports (node_modules
 *    included, except esbuild itself) into one CommonJS file under
 *    `node_modules/.cache/workshop-backend-synth/`, named by a SHA-256 of every project file esbuild
 *    read for it, the lock files (standing for the installed packages, see tools/file-digests.js),
 *    this file and esbuild's version: no TypeScript loader runs, no module is resolved on disk, and
 *    any edit to an input gives a new name and a rebuild (about 1 s). After a hand edit inside
 *    node_modules, run `node synth.js --rebuild`.
 * 2. **Checking the inputs costs a `stat` per file.** Each input's digest is kept with its size and
 *    modification time, as git's index does; a file is read and hashed again only when those changed.
 * 3. **V8 does not compile the bundle again.** Its code cache, taken after the first synth that ran the
 *    bundle (so it covers the functions that synth compiled, not only the top level), is kept beside it:
 *    `module.enableCompileCache` where Node.js has it (22.1 and later), `vm.Script` cached data before;
 *    one per set of node flags (`cdktf synth` sets NODE_OPTIONS, `npm run synth` does not).
 *
 * `node --require tsx/cjs main.ts` stays the slow path that needs no cache, e.g. to debug with source
 * stack traces. Run `node synth.js --rebuild` to bundle again whatever the cache holds.
 */
const { isAscii } = require('node:buffer');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const { contentKey, digestFiles, keyInputs, readJsonFile, writeFileAtomically } = require('./tools/file-digests');

/** Where bundles, their code caches and the input manifest live, relative to the project root. */
const CACHE_DIR = path.join('node_modules', '.cache', 'workshop-backend-synth');

/** The manifest's file name inside {@link CACHE_DIR}. */
const MANIFEST_FILE = 'inputs.json';

/** How many bundles {@link pruneBundles} keeps. */
const KEPT_BUNDLES = 3;

/**
 * The module the bundle starts from. `synth(projectRoot)` sets the root that project files'
 * `__dirname` resolves against (see {@link projectPathsPlugin}) before main.ts and its imports
 * initialise, then synthesizes as main.ts does when run directly.
 */
const ENTRY_NAME = '<synth-entry>.ts';
const ENTRY_SOURCE = `
export function synth(projectRoot: string): number {
  __projectRoot = projectRoot;
  return require('./main').synthApp();
}
declare let __projectRoot: string;
`;

/**
 * esbuild options that, with the input files, determine the bundle's bytes. Whitespace and syntax
 * are minified (a third less to read and for V8 to scan, about a tenth of the synth's time);
 * identifiers are not, so an unexpected error's stack trace still names functions and classes.
 * @type {import('esbuild').BuildOptions}
 */
const BUILD_OPTIONS = {
  bundle: true,
  minifyWhitespace: true,
  minifySyntax: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // esbuild locates its native binary from its own package folder, so it cannot be bundled; the
  // app loads it only to bundle the Lambda when the Lambda's own cache misses.
  external: ['esbuild'],
  banner: { js: 'var __projectRoot;' },
  write: false,
  metafile: true,
  logLevel: 'silent',
};

/**
 * @typedef {object} Manifest The inputs of the newest bundle.
 * @property {string} key The bundle's key: the {@link contentKey} of the inputs below.
 * @property {Record<string, import('./tools/file-digests').FileDigest>} inputs Every file esbuild
 *   read for it, by path relative to the project root, plus this file and esbuild's package.json.
 */

/**
 * @typedef {object} AppBundle The bundled app, ready to load.
 * @property {string} file Absolute path of the bundle.
 * @property {string} codeCacheFile Absolute path of the V8 code cache beside it for this process's V8
 *   flags (present or not), see {@link v8FlagsKey}.
 * @property {string} key SHA-256 of its inputs, hex: the bundle's file name without `.js`.
 * @property {boolean} built Whether this call ran esbuild (false: the cached bundle was current).
 * @property {string} [temporaryDir] Set when the cache folder could not be written (a read-only
 *   node_modules): the bundle lies in this folder under the system's temp folder instead, and
 *   `main` removes it after the synth.
 */

/**
 * Returns the app bundle for `projectRoot`, building it only when an input changed.
 *
 * @param {string} projectRoot The folder that holds main.ts and node_modules.
 * @param {{ rebuild?: boolean }} [options] `rebuild`: bundle again even when the cache is current.
 * @returns {Promise<AppBundle>}
 * @throws Error from esbuild, naming the file and line, when the sources do not compile.
 */
async function appBundle(projectRoot, options = {}) {
  const cacheDir = path.join(projectRoot, CACHE_DIR);
  const manifestFile = path.join(cacheDir, MANIFEST_FILE);
  const manifest = readManifest(manifestFile);
  if (manifest && !options.rebuild) {
    const current = digestFiles(projectRoot, Object.keys(manifest.inputs), manifest.inputs);
    if (current && contentKey(current.digests) === manifest.key) {
      const located = locate(cacheDir, manifest.key, false);
      if (fs.existsSync(located.file)) {
        // Touched but unchanged files: remember their new times, so the next check is a stat again.
        if (current.hashed > 0) writeCacheFile(() => writeFileAtomically(manifestFile, JSON.stringify({ key: manifest.key, inputs: current.digests })));
        return located;
      }
    }
  }
  return build(projectRoot, cacheDir, manifestFile);
}

/**
 * Bundles the app, writes the bundle under its key and the manifest of its inputs.
 * @param {string} projectRoot
 * @param {string} cacheDir
 * @param {string} manifestFile
 * @returns {Promise<AppBundle>}
 */
async function build(projectRoot, cacheDir, manifestFile) {
  // esbuild runs plugins only in its asynchronous API.
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    ...BUILD_OPTIONS,
    absWorkingDir: projectRoot,
    stdin: { contents: ENTRY_SOURCE, resolveDir: projectRoot, sourcefile: ENTRY_NAME, loader: 'ts' },
    outfile: 'synth-app.js',
    plugins: [projectPathsPlugin(projectRoot)],
  });
  const inputs = keyInputs(
    projectRoot,
    Object.keys(/** @type {import('esbuild').Metafile} */ (result.metafile).inputs).filter((input) => input !== ENTRY_NAME),
  )
    // This file holds the build options, and esbuild's version may change its output.
    .concat(path.relative(projectRoot, __filename), path.relative(projectRoot, require.resolve('esbuild/package.json')));
  const current = digestFiles(projectRoot, [...new Set(inputs)].sort());
  if (!current) throw new Error('synth.js: an input of the app bundle vanished while it was being bundled; run the synth again');
  const key = contentKey(current.digests);
  const contents = /** @type {import('esbuild').OutputFile[]} */ (result.outputFiles)[0].contents;
  const located = locate(cacheDir, key, true);
  const cached = writeCacheFile(() => {
    fs.mkdirSync(cacheDir, { recursive: true });
    writeFileAtomically(located.file, contents);
  });
  if (!cached) {
    const temporaryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'workshop-backend-synth-'));
    const temporary = { ...locate(temporaryDir, key, true), temporaryDir };
    fs.writeFileSync(temporary.file, contents);
    return temporary;
  }
  writeCacheFile(() => {
    writeFileAtomically(manifestFile, JSON.stringify({ key, inputs: current.digests }));
    pruneBundles(cacheDir, KEPT_BUNDLES);
  });
  return located;
}

/**
 * Runs `write`, a write to the cache folder; a folder that cannot be written (a read-only
 * node_modules) only costs later synths the work the cache would have saved.
 * @param {() => void} write
 * @returns {boolean} whether the write succeeded
 */
function writeCacheFile(write) {
  try {
    write();
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes all but the `keep` newest bundles and their code caches, so edits do not pile up bundles
 * of a few MiB each. A few are kept because copies of the project may share one node_modules.
 * @param {string} cacheDir
 * @param {number} keep
 */
function pruneBundles(cacheDir, keep) {
  const bundles = fs
    .readdirSync(cacheDir)
    .filter((name) => /^[0-9a-f]{64}\.js$/.test(name))
    .map((name) => ({ name, mtimeMs: fs.statSync(path.join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { name } of bundles.slice(keep)) {
    fs.rmSync(path.join(cacheDir, name), { force: true });
    for (const file of fs.readdirSync(cacheDir)) {
      if (file.startsWith(`${name}.`) && file.endsWith('.v8-cache')) fs.rmSync(path.join(cacheDir, file), { force: true });
    }
  }
}

/**
 * An esbuild plugin for the project's own TypeScript files (not node_modules) that use `__dirname`
 * or `__filename`: in one bundle every module would otherwise see the bundle's folder. Each use
 * becomes the module's original path, joined at run time to the root `synth(projectRoot)` was given,
 * so the bundle does not depend on where it or the project lies (the tests synthesize copies of
 * the project that share one node_modules). The test bundles (__tests__/support/test-bundle.ts) use
 * it too, with a root variable of their own.
 * @param {string} projectRoot
 * @param {string} [rootVariable] The bundle's variable that holds the project root at run time.
 * @returns {import('esbuild').Plugin}
 */
function projectPathsPlugin(projectRoot, rootVariable = '__projectRoot') {
  return {
    name: 'project-paths',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.ts$/ }, (args) => {
        const relative = path.relative(projectRoot, args.path);
        if (relative.startsWith('..') || relative.split(path.sep).includes('node_modules')) return undefined;
        const source = fs.readFileSync(args.path, 'utf8');
        if (!/\b__(dirname|filename)\b/.test(source)) return { contents: source, loader: 'ts' };
        const posix = relative.split(path.sep).join('/');
        const at = (/** @type {string} */ p) => `require("node:path").join(${rootVariable}, ${JSON.stringify(p)})`;
        const contents = source
          .replace(/\b__dirname\b/g, at(path.posix.dirname(posix)))
          .replace(/\b__filename\b/g, at(posix));
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * @param {string} cacheDir
 * @param {string} key
 * @param {boolean} built
 * @returns {AppBundle}
 */
function locate(cacheDir, key, built) {
  const file = path.join(cacheDir, `${key}.js`);
  return { file, codeCacheFile: `${file}.${v8FlagsKey()}.v8-cache`, key, built };
}

/**
 * A short hash of what V8 checks a code cache against besides the source and its own version: the
 * flags given to node, on its command line and in NODE_OPTIONS. `cdktf synth` runs the app with
 * NODE_OPTIONS=--max-old-space-size=4096, `npm run synth` without it: with one cache for both, each
 * switch between them had V8 reject the cache and the synth compile and save it again (about
 * 100 ms). Each set of flags keeps a cache of its own.
 * @returns {string}
 */
function v8FlagsKey() {
  return createHash('sha256')
    .update(JSON.stringify([process.execArgv, process.env.NODE_OPTIONS ?? '']))
    .digest('hex')
    .slice(0, 16);
}

/**
 * @param {string} file
 * @returns {Manifest | undefined}
 */
function readManifest(file) {
  const manifest = /** @type {Partial<Manifest> | undefined} */ (readJsonFile(file));
  return typeof manifest?.key === 'string' && typeof manifest.inputs === 'object' && manifest.inputs !== null
    ? /** @type {Manifest} */ (manifest)
    : undefined;
}

/**
 * @typedef {object} LoadedBundle
 * @property {{ synth(projectRoot: string): number }} exports The bundle's exports.
 * @property {'accepted' | 'rejected' | 'absent' | 'node'} codeCache Whether V8 used the code cache
 *   beside the bundle, rejected it (another V8 or other flags), found none, or Node.js's own
 *   compile cache is in use.
 * @property {() => void} saveCodeCache Saves the code cache when there was none or V8 rejected it:
 *   call it once the code that should be covered has run.
 */

/**
 * Loads the bundle with V8's code cache and returns its exports.
 * @param {AppBundle} bundle
 * @param {string} projectRoot Where the bundle's `require` resolves packages from.
 * @returns {LoadedBundle}
 */
function loadBundle(bundle, projectRoot) {
  const moduleApi = /** @type {typeof Module & { enableCompileCache?: (dir: string) => unknown }} */ (Module);
  if (typeof moduleApi.enableCompileCache === 'function') {
    // Node.js 22.1+: its own cache, keyed by content and flushed at exit.
    moduleApi.enableCompileCache(path.join(path.dirname(bundle.file), 'node-compile-cache', v8FlagsKey()));
    return { exports: require(bundle.file), codeCache: 'node', saveCodeCache: () => undefined };
  }
  const bytes = fs.readFileSync(bundle.file);
  // esbuild writes ASCII (its default charset escapes everything else), and decoding ASCII as
  // Latin-1 gives the same string without UTF-8's validation: about 20 ms less of a 500 ms synth
  // for the 2 MB bundle.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    cachedData = fs.readFileSync(bundle.codeCacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle.file, cachedData });
  const bundleModule = { exports: {} };
  const wrapper = script.runInThisContext();
  wrapper.call(bundleModule.exports, bundleModule.exports, Module.createRequire(path.join(projectRoot, 'synth.js')), bundleModule, bundle.file, path.dirname(bundle.file));
  const codeCache = cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  const stale = codeCache !== 'accepted';
  return {
    exports: /** @type {{ synth(projectRoot: string): number }} */ (bundleModule.exports),
    codeCache,
    saveCodeCache: () => {
      if (!stale) return;
      writeCacheFile(() => writeFileAtomically(bundle.codeCacheFile, script.createCachedData()));
    },
  };
}

/**
 * Synthesizes the app at `projectRoot` and returns the exit code, as `main.ts` run directly does.
 * @param {string} [projectRoot]
 * @param {readonly string[]} [argv] `--rebuild` bundles again whatever the cache holds
 * @param {(text: string) => void} [stderr] Where a build error goes (the app writes its own errors to process.stderr).
 * @returns {Promise<number>}
 */
async function main(projectRoot = __dirname, argv = process.argv.slice(2), stderr = (/** @type {string} */ text) => void process.stderr.write(text)) {
  let bundle;
  try {
    bundle = await appBundle(projectRoot, { rebuild: argv.includes('--rebuild') });
  } catch (error) {
    // esbuild's message names the file, line and column of each error.
    stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  try {
    const loaded = loadBundle(bundle, projectRoot);
    const code = loaded.exports.synth(projectRoot);
    loaded.saveCodeCache();
    return code;
  } finally {
    if (bundle.temporaryDir !== undefined) fs.rmSync(bundle.temporaryDir, { recursive: true, force: true });
  }
}

module.exports = { appBundle, loadBundle, main, projectPathsPlugin, CACHE_DIR };

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code || process.exitCode;
  });
}
