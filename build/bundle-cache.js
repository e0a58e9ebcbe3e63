'use strict';
/**
 * The one cache of esbuild bundles: the synth bundle (synth.js), the Lambda's bundle
 * (stacks/constructs/lambda-bundle.ts) and the bundles tests run in child processes all keep their
 * output here, under `node_modules/.cache/workshop-backend/`.
 *
 * A bundle lies at `<entry>/<key>/<file name>`, where the key is a SHA-256 of the `salt` (esbuild's version
 * and the build options) and of the content of every project file esbuild read for it, plus the
 * lock files standing for everything installed in node_modules (as Vite keys its pre-bundled
 * dependencies). In each entry's folder, `inputs.json` lists the newest bundle's inputs
 * with their size and modification time, as git's index does: checking an unchanged input costs a
 * `stat`, and only a file whose size or time changed is read and hashed again. Each entry keeps its
 * {@link KEPT_BUNDLES} newest bundles (branches switched back and forth); older ones are deleted.
 *
 * After a hand edit inside node_modules (which the lock files do not show), delete the folder.
 * When node_modules cannot be written, the cache lives in the system's temporary folder instead.
 *
 * Plain CommonJS, so synth.js can load it before any TypeScript tooling; `tsc` checks it (checkJs).
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const writeFileAtomic = require('write-file-atomic');

/** The cache folder, relative to the project root. */
const CACHE_DIR = path.join('node_modules', '.cache', 'workshop-backend');

/**
 * This module's own SHA-256, part of every key: it holds the plugin below, which shapes bundles.
 */
const OWN_DIGEST = createHash('sha256').update(fs.readFileSync(__filename)).digest('hex');

/** How many bundles of one entry are kept. */
const KEPT_BUNDLES = 3;

/**
 * The files that stand for everything installed in node_modules: the lock file, and the one npm
 * rewrites whenever it changes what is installed.
 */
const INSTALLED_PACKAGES_STATE = ['package-lock.json', path.join('node_modules', '.package-lock.json')];

/**
 * @typedef {object} FileDigest What is remembered of one file.
 * @property {number} size Size in bytes when it was hashed.
 * @property {number} mtimeMs Modification time when it was hashed, in milliseconds since the epoch.
 * @property {string} sha256 SHA-256 of its bytes, hex.
 */

/**
 * @typedef {object} BundleSpec What identifies a bundle in the cache.
 * @property {string} root The project root: the folder that holds node_modules.
 * @property {string} entry A name for the entry, in file-name characters (`synth-app`, `lambda-node24`).
 * @property {string} salt Everything besides the input files that shapes the bytes: esbuild's
 *   version and the build options, as one string.
 * @property {string} [fileName] The bundle's file name in its folder. Default: `<entry>.js`.
 */

/**
 * @typedef {object} BuildOutput What a build callback returns.
 * @property {Uint8Array} contents The bundle's bytes.
 * @property {readonly string[]} inputs Every file esbuild read, relative to the root (its metafile's
 *   `inputs`); files that shape the bytes besides (a plugin's module, say) may be added.
 */

/**
 * @typedef {object} CachedBundle A bundle in the cache.
 * @property {string} file Its absolute path.
 * @property {string} key SHA-256 of its salt and inputs, hex.
 * @property {boolean} built Whether this call ran the build (false: the cached bundle was current).
 */

/**
 * The bundle of `spec` from the cache, or built by `build` and stored when no current one is there.
 * Two processes building the same bundle at once both write the same bytes, each through a rename.
 *
 * @param {BundleSpec} spec
 * @param {() => Promise<BuildOutput>} build Runs esbuild (asynchronously: plugins need its async API).
 * @returns {Promise<CachedBundle>}
 * @throws whatever `build` throws (esbuild's message names the file and line of each error)
 */
async function cachedBundle(spec, build) {
  return lookup(spec) ?? store(spec, await build());
}

/**
 * {@link cachedBundle} for a synchronous build (esbuild's `buildSync`, which runs no plugins), for
 * callers that cannot wait: a construct's constructor.
 *
 * @param {BundleSpec} spec
 * @param {() => BuildOutput} build
 * @returns {CachedBundle}
 */
function cachedBundleSync(spec, build) {
  return lookup(spec) ?? store(spec, build());
}

/**
 * @param {BundleSpec} spec
 * @returns {CachedBundle | undefined} the current bundle, when the manifest's inputs are unchanged
 */
function lookup(spec) {
  for (const dir of cacheDirs(spec.root)) {
    const manifestFile = path.join(dir, spec.entry, 'inputs.json');
    const manifest = readJsonFile(manifestFile);
    if (!isManifest(manifest)) continue;
    const current = digestFiles(spec.root, Object.keys(manifest.inputs), manifest.inputs);
    if (!current) continue;
    const key = contentKey(current.digests, saltOf(spec));
    const file = bundleFile(dir, spec, key);
    if (key !== manifest.key || !fs.existsSync(file)) continue;
    // Touched but unchanged files: remember their new times, so the next check is a stat again.
    if (current.hashed > 0) tryWrite(() => writeFileAtomically(manifestFile, JSON.stringify({ key, inputs: current.digests })));
    return { file, key, built: false };
  }
  return undefined;
}

/**
 * @param {BundleSpec} spec
 * @param {BuildOutput} output
 * @returns {CachedBundle}
 */
function store(spec, output) {
  const current = digestFiles(spec.root, keyInputs(spec.root, output.inputs));
  if (!current) throw new Error(`bundle-cache: an input of ${spec.entry} vanished while it was being bundled; run the command again`);
  const key = contentKey(current.digests, saltOf(spec));
  for (const dir of cacheDirs(spec.root)) {
    const file = bundleFile(dir, spec, key);
    const written = tryWrite(() => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeFileAtomically(file, output.contents);
      writeFileAtomically(path.join(dir, spec.entry, 'inputs.json'), JSON.stringify({ key, inputs: current.digests }));
      prune(path.join(dir, spec.entry));
    });
    if (written) return { file, key, built: true };
  }
  throw new Error(`bundle-cache: neither ${path.join(spec.root, CACHE_DIR)} nor the temporary folder can be written`);
}

/**
 * @param {BundleSpec} spec
 * @returns {string} the spec's salt and this module's digest
 */
function saltOf(spec) {
  return `${OWN_DIGEST}\0${spec.salt}`;
}

/**
 * The cache folder in the project's node_modules, then one in the system's temporary folder (named
 * by the root's hash) for a node_modules that cannot be written.
 * @param {string} root
 * @returns {string[]}
 */
function cacheDirs(root) {
  const rootHash = createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16);
  return [path.join(root, CACHE_DIR), path.join(os.tmpdir(), `workshop-backend-cache-${rootHash}`)];
}

/**
 * @param {string} dir The cache folder.
 * @param {BundleSpec} spec
 * @param {string} key
 * @returns {string} the path of the bundle of `spec` with `key`
 */
function bundleFile(dir, spec, key) {
  return path.join(dir, spec.entry, key, spec.fileName ?? `${spec.entry}.js`);
}

/**
 * Deletes all but the {@link KEPT_BUNDLES} newest bundle folders of an entry.
 * @param {string} entryDir
 */
function prune(entryDir) {
  const bundles = fs
    .readdirSync(entryDir)
    .filter((name) => /^[0-9a-f]{64}$/.test(name))
    .map((name) => ({ name, mtimeMs: fs.statSync(path.join(entryDir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { name } of bundles.slice(KEPT_BUNDLES)) fs.rmSync(path.join(entryDir, name), { recursive: true, force: true });
}

/**
 * @param {unknown} value
 * @returns {value is { key: string, inputs: Record<string, FileDigest> }}
 */
function isManifest(value) {
  const manifest = /** @type {{ key?: unknown, inputs?: unknown } | undefined} */ (value);
  return typeof manifest?.key === 'string' && typeof manifest.inputs === 'object' && manifest.inputs !== null && !Array.isArray(manifest.inputs);
}

/**
 * Runs a write to the cache; a folder that cannot be written only costs the work the cache saves.
 * @param {() => void} write
 * @returns {boolean} whether the write succeeded
 */
function tryWrite(write) {
  try {
    write();
    return true;
  } catch {
    return false;
  }
}

/**
 * The digests of `files`, paths relative to `root`. A digest in `known` is reused when the file's
 * size and modification time still match it; any other file is read and hashed.
 *
 * @param {string} root The folder `files` are relative to.
 * @param {readonly string[]} files The files, relative to `root`.
 * @param {Readonly<Record<string, FileDigest>>} [known] Digests from an earlier call, by the same relative paths.
 * @returns {{ digests: Record<string, FileDigest>, hashed: number } | undefined} the digests by
 *   path and how many files had to be read; undefined when a file does not exist
 */
function digestFiles(root, files, known = {}) {
  /** @type {Record<string, FileDigest>} */
  const digests = {};
  let hashed = 0;
  for (const file of files) {
    const absolute = path.join(root, file);
    const stat = fs.statSync(absolute, { throwIfNoEntry: false });
    if (!stat) return undefined;
    const previous = Object.prototype.hasOwnProperty.call(known, file) ? known[file] : undefined;
    if (previous && previous.size === stat.size && previous.mtimeMs === stat.mtimeMs && typeof previous.sha256 === 'string') {
      digests[file] = previous;
      continue;
    }
    hashed += 1;
    digests[file] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: createHash('sha256').update(fs.readFileSync(absolute)).digest('hex') };
  }
  return { digests, hashed };
}

/**
 * The files a bundle's key is computed from, given the inputs esbuild reports (relative to `root`):
 * the project's own inputs, with every file inside node_modules replaced by
 * {@link INSTALLED_PACKAGES_STATE} (those of them that exist). Checking two files instead of the
 * 500-odd package files of a bundle saves about a tenth of a synth.
 *
 * @param {string} root
 * @param {readonly string[]} inputs
 * @returns {string[]} sorted, without duplicates
 */
function keyInputs(root, inputs) {
  const own = inputs.filter((input) => !input.split(/[\\/]/).includes('node_modules'));
  const state = INSTALLED_PACKAGES_STATE.filter((file) => fs.existsSync(path.join(root, file)));
  return [...new Set([...own, ...state])].sort();
}

/**
 * A SHA-256 over every file's path and content digest, in path order, after `salt`: the same
 * contents give the same key wherever the files lie and whatever their times.
 *
 * @param {Readonly<Record<string, FileDigest>>} digests
 * @param {string} [salt] What else the key depends on (tool versions, options), hashed first.
 * @returns {string} hex
 */
function contentKey(digests, salt = '') {
  const hash = createHash('sha256').update(salt).update('\0');
  for (const file of Object.keys(digests).sort()) hash.update(`${file}\0${digests[file].sha256}\0`);
  return hash.digest('hex');
}

/**
 * Reads a JSON file; undefined when it is missing or not JSON.
 * @param {string} file
 * @returns {unknown}
 */
function readJsonFile(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Writes `contents` to `file` through a temporary file and a rename (write-file-atomic), so a
 * process running at the same time reads the old file or the new one, never half. No fsync: a
 * cache file lost in a crash is only rebuilt.
 * @param {string} file
 * @param {string | Uint8Array} contents
 */
function writeFileAtomically(file, contents) {
  writeFileAtomic.sync(file, typeof contents === 'string' ? contents : Buffer.from(contents), { fsync: false });
}

/**
 * An esbuild plugin for the project's own TypeScript files (not node_modules) that use `__dirname`
 * or `__filename`: in one bundle every module would otherwise see the bundle's folder. Each use
 * becomes the module's original path, joined at run time to the value of `rootVariable`, which the
 * bundle's banner or entry sets, so a bundle does not depend on where it or the project lies (the
 * tests synthesize copies of the project that share one node_modules).
 * @param {string} projectRoot
 * @param {string} rootVariable The bundle's variable that holds the project root at run time.
 * @returns {import('esbuild').Plugin}
 */
function projectPathsPlugin(projectRoot, rootVariable) {
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
        const contents = source.replace(/\b__dirname\b/g, at(path.posix.dirname(posix))).replace(/\b__filename\b/g, at(posix));
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * esbuild's options for {@link bundleEntry}: CommonJS for Node.js, whitespace and syntax minified
 * (less for V8 to scan) but not identifiers, so an unexpected error's stack still names functions.
 * @type {import('esbuild').BuildOptions}
 */
const ENTRY_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${process.versions.node.split('.')[0]}`,
  // esbuild finds its native binary from its own package folder: it is loaded from node_modules.
  external: ['esbuild'],
  minifyWhitespace: true,
  minifySyntax: true,
  write: false,
  metafile: true,
  logLevel: 'silent',
};

/**
 * A CommonJS bundle of the TypeScript file `entry` with everything it imports except esbuild,
 * from the cache or built: run it with `node <file> [args]` (its `require.main === module` is the
 * entry's), or `require` it. Project files' `__dirname` name their folder under `root`.
 *
 * @param {string} root The project root.
 * @param {string} entry The entry, relative to `root`, e.g. `tools/plan-review.ts`.
 * @returns {Promise<CachedBundle>}
 * @throws Error from esbuild, naming the file and line, when the sources do not compile.
 */
async function bundleEntry(root, entry) {
  const esbuild = require('esbuild');
  const absoluteRoot = path.resolve(root);
  const options = { ...ENTRY_BUILD_OPTIONS, banner: { js: `var __entryProjectRoot = ${JSON.stringify(absoluteRoot)};` } };
  const name = `entry-${entry.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}`;
  const spec = { root: absoluteRoot, entry: name, salt: JSON.stringify({ esbuild: esbuild.version, options }) };
  return cachedBundle(spec, async () => {
    const result = await esbuild.build({
      ...options,
      absWorkingDir: absoluteRoot,
      entryPoints: [entry],
      outfile: `${name}.js`,
      plugins: [projectPathsPlugin(absoluteRoot, '__entryProjectRoot')],
    });
    return { contents: /** @type {import('esbuild').OutputFile[]} */ (result.outputFiles)[0].contents, inputs: Object.keys(/** @type {import('esbuild').Metafile} */ (result.metafile).inputs) };
  });
}

module.exports = {
  bundleEntry,
  cachedBundle,
  cachedBundleSync,
  projectPathsPlugin,
  digestFiles,
  keyInputs,
  contentKey,
  readJsonFile,
  writeFileAtomically,
  CACHE_DIR,
  KEPT_BUNDLES,
  INSTALLED_PACKAGES_STATE,
};
