'use strict';
/**
 * The synth entry point: `npm run synth`, and through `cdktf.json`'s `app` also `cdktf synth`,
 * `cdktf deploy` and `cdktf diff`. It synthesizes exactly what main.ts run from source does (with
 * `node --require tsx/cjs main.ts`, say): byte-identical output, the same messages and exit codes
 * (__tests__/synth.test.ts checks it). It is faster because:
 *
 * 1. **The app is bundled once.** esbuild bundles the app (stacks/app.ts and everything it imports,
 *    node_modules included, except esbuild itself) into one CommonJS file, kept in the project's one
 *    bundle cache (build/bundle-cache.js): no TypeScript loader runs and no module is resolved on
 *    disk; any edit to an input gives a new bundle.
 * 2. **V8 does not compile the bundle again.** Node.js's own compile cache
 *    (`module.enableCompileCache`), one per set of node flags: V8 rejects a cache made under other
 *    flags, and `cdktf synth` runs the app with NODE_OPTIONS=--max-old-space-size=4096 where
 *    `npm run synth` does not, so one shared cache would be rebuilt on every switch between them.
 *
 * `node --require tsx/cjs main.ts` stays the path that needs no cache.
 */
const { createHash } = require('node:crypto');
const Module = require('node:module');
const path = require('node:path');
const { cachedBundle, projectPathsPlugin, CACHE_DIR } = require('./build/bundle-cache');

/** The bundle's name in the cache. */
const ENTRY = 'synth-app';

/**
 * The module the bundle starts from. `synth(projectRoot)` sets the root that project files'
 * `__dirname` resolves against (build/bundle-cache.js's `projectPathsPlugin`) before the app's
 * modules initialise, so the bundle serves every copy of the project that shares a node_modules.
 */
const ENTRY_NAME = '<synth-entry>.ts';
const ENTRY_SOURCE = `
export function synth(projectRoot: string, stacks: readonly string[]): number {
  __projectRoot = projectRoot;
  return require('./stacks/app').synthApp({ stacks });
}
declare let __projectRoot: string;
`;

/**
 * esbuild options that, with the input files, determine the bundle's bytes. Whitespace and syntax
 * are minified (a third less to read and for V8 to scan); identifiers are not, so an unexpected
 * error's stack trace still names functions and classes.
 * @type {import('esbuild').BuildOptions}
 */
const BUILD_OPTIONS = {
  bundle: true,
  minifyWhitespace: true,
  minifySyntax: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  // esbuild locates its native binary from its own package folder, so it cannot be bundled; the
  // app loads it only to bundle the Lambda when the Lambda's cached bundle is not current.
  external: ['esbuild'],
  banner: { js: 'var __projectRoot;' },
  // An inline source map (mappings only, the sources stay on disk), read only when an unexpected
  // error is reported (`readableStack`): turning on Node.js's source map support instead would
  // parse the 2 MB map on every synth, half again the synth's time.
  sourcemap: 'inline',
  sourcesContent: false,
  write: false,
  metafile: true,
  logLevel: 'silent',
};

/**
 * Returns the app bundle for `projectRoot` from the cache, building it when an input changed.
 *
 * @param {string} projectRoot The folder that holds main.ts and node_modules.
 * @returns {Promise<import('./build/bundle-cache').CachedBundle>}
 * @throws Error from esbuild, naming the file and line, when the sources do not compile.
 */
async function appBundle(projectRoot) {
  // esbuild runs plugins only in its asynchronous API.
  const esbuild = require('esbuild');
  const options = BUILD_OPTIONS;
  const salt = JSON.stringify({ esbuild: esbuild.version, options, entry: ENTRY_SOURCE });
  return cachedBundle({ root: projectRoot, entry: ENTRY, salt }, async () => {
    const result = await esbuild.build({
      ...options,
      absWorkingDir: projectRoot,
      stdin: { contents: ENTRY_SOURCE, resolveDir: projectRoot, sourcefile: ENTRY_NAME, loader: 'ts' },
      outfile: `${ENTRY}.js`,
      plugins: [projectPathsPlugin(projectRoot, '__projectRoot')],
    });
    const inputs = Object.keys(/** @type {import('esbuild').Metafile} */ (result.metafile).inputs).filter((input) => input !== ENTRY_NAME);
    return { contents: /** @type {import('esbuild').OutputFile[]} */ (result.outputFiles)[0].contents, inputs };
  });
}

/**
 * The folder of Node.js's compile cache for this process's node flags, on its command line and in
 * NODE_OPTIONS.
 * @param {string} projectRoot
 * @returns {string}
 */
function compileCacheDir(projectRoot) {
  const flags = createHash('sha256').update(JSON.stringify([process.execArgv, process.env.NODE_OPTIONS ?? ''])).digest('hex').slice(0, 16);
  return path.join(projectRoot, CACHE_DIR, 'node-compile-cache', flags);
}

/**
 * Synthesizes the app at `projectRoot` and returns the exit code, as `main.ts` run directly does.
 * @param {string} [projectRoot]
 * @param {(text: string) => void} [stderr] Where a build error goes (the app writes its own errors to process.stderr).
 * @param {readonly string[]} [stacks] Stack names given on the command line (`npm run synth -- dev`):
 *   each must exist; every stack is written all the same.
 * @returns {Promise<number>}
 */
async function main(projectRoot = __dirname, stderr = (/** @type {string} */ text) => void process.stderr.write(text), stacks = process.argv.slice(2)) {
  let bundle;
  try {
    bundle = await appBundle(projectRoot);
  } catch (error) {
    // esbuild's message names the file, line and column of each error.
    stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  Module.enableCompileCache(compileCacheDir(projectRoot));
  const app = /** @type {{ synth(projectRoot: string, stacks: readonly string[]): number }} */ (require(bundle.file));
  try {
    return app.synth(projectRoot, stacks);
  } catch (error) {
    // A bug (user errors were printed and gave 1 inside): its stack, mapped to the TypeScript
    // sources, and not Node's default report, which quotes the minified bundle line that threw.
    stderr(`${readableStack(error, bundle.file, projectRoot)}\n`);
    return 1;
  }
}

/**
 * `error`'s stack with every frame in the bundle mapped to its TypeScript file, line and column
 * through the bundle's inline source map (Node.js's public `module.SourceMap`); frames elsewhere,
 * and the whole stack when the map cannot be read, stay as they are.
 * @param {unknown} error
 * @param {string} bundleFile
 * @param {string} projectRoot The folder the map's sources are relative to.
 * @returns {string}
 */
function readableStack(error, bundleFile, projectRoot) {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  let map;
  try {
    const source = require('node:fs').readFileSync(bundleFile, 'latin1');
    const url = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(source);
    if (!url) return stack;
    map = new Module.SourceMap(JSON.parse(Buffer.from(url[1], 'base64').toString('utf8')));
  } catch {
    return stack;
  }
  const escaped = bundleFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return stack.replace(new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g'), (frame, line, column) => {
    const entry = /** @type {{ originalSource?: string, originalLine?: number, originalColumn?: number }} */ (
      map.findEntry(Number(line) - 1, Number(column) - 1)
    );
    if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return frame;
    return `${path.resolve(projectRoot, entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

module.exports = { appBundle, compileCacheDir, main, readableStack };

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code || process.exitCode;
  });
}
