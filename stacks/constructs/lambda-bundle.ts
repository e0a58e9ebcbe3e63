import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync, version as esbuildVersion, type BuildOptions } from 'esbuild';
import { ZipFile } from 'yazl';
import { cachedBundleSync, writeFileAtomically } from '../../build/bundle-cache';
import { HANDLER_ENTRY } from '../../config/names';

/** The module esbuild starts from by default; its `handler` export is the Lambda handler. */
export const LAMBDA_ENTRY_POINT = HANDLER_ENTRY;

/** The file name inside the zip, so the Lambda `handler` attribute is `index.handler`. */
export const BUNDLE_FILE_NAME = 'index.js';

/**
 * The zip entries' modification time. Zip stores local time with 2-second precision from 1980
 * on; a fixed value keeps the archive's bytes free of the build machine's clock and time zone.
 */
const ZIP_ENTRY_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/**
 * esbuild's `target` for a Lambda Node.js runtime identifier: `nodejs24.x` gives `node24`.
 *
 * @throws Error naming the runtime when it is not a `nodejs<major>.x` identifier.
 */
export function esbuildTargetFor(runtime: string): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match) throw new Error(`esbuildTargetFor: runtime: received "${runtime}"; allowed: a Lambda Node.js runtime such as "nodejs24.x"`);
  return `node${match[1]}`;
}

/** What {@link bundleLambda} produced. */
export interface LambdaBundle {
  /** The bundled handler: one CommonJS file, `index.js`, exporting `handler`. */
  readonly code: Buffer;
  /** The zip's bytes: {@link BUNDLE_FILE_NAME}, then the extra files, stored without compression. */
  readonly zip: Buffer;
  /** The module bundled, relative to the project root (`BundleLambdaOptions.entry`). */
  readonly entry: string;
  /**
   * Base64 of the zip's SHA-256: the value AWS reports as the function's `CodeSha256` and
   * Terraform's `filebase64sha256()` computes, used as `source_code_hash`.
   */
  readonly sourceCodeHash: string;
}

/** Options of {@link bundleLambda}. */
export interface BundleLambdaOptions {
  /**
   * The project root, that holds `lambda-src/` and `node_modules/`.
   * @default - the parent folder of `stacks/`
   */
  readonly projectRoot?: string;
  /**
   * esbuild's `target`, from the Lambda runtime with {@link esbuildTargetFor}.
   * @default 'node22'
   */
  readonly target?: string;
  /**
   * Whether to reuse and keep bundles in the project's bundle cache (build/bundle-cache.js).
   * @default true
   */
  readonly diskCache?: boolean;
  /**
   * The module to bundle, relative to `projectRoot`; it exports `handler`.
   * @default LAMBDA_ENTRY_POINT (`lambda-src/handler.ts`)
   */
  readonly entry?: string;
  /**
   * Files the zip carries beside {@link BUNDLE_FILE_NAME}, by their path inside the zip (forward
   * slashes), such as the migrations the migration function reads from `migrations/` next to its code.
   * @default - none
   */
  readonly extraFiles?: readonly ZipEntry[];
}

/** One file of a Lambda zip besides the code: its path inside the zip and its bytes. */
export interface ZipEntry {
  readonly name: string;
  readonly contents: Buffer | string;
}

/** esbuild options that, with `target` and the input files, determine the bundle's bytes. */
export const BUILD_OPTIONS: BuildOptions = {
  entryPoints: [LAMBDA_ENTRY_POINT],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // The ES module builds of the AWS SDK and @smithy packages, which esbuild can tree-shake: about a
  // quarter smaller than their CommonJS builds (platform 'node' prefers `main`), so faster to load.
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  legalComments: 'none',
  // pg requires 'pg-native' only when asked for the native driver, which we never do.
  external: ['pg-native'],
  write: false,
  outfile: BUNDLE_FILE_NAME,
  logLevel: 'silent',
};

const cache = new Map<string, LambdaBundle>();

/**
 * Bundles a handler (`lambda-src/handler.ts` by default) with esbuild into one minified CommonJS
 * file and zips it, with any extra files beside it.
 *
 * The result is byte-for-byte reproducible: esbuild's output depends only on the sources
 * (paths are relative to `projectRoot`), and the zip has one entry with a fixed time, fixed
 * permissions and no compression, so neither the clock nor the zlib build of the machine that
 * runs synth changes the bytes or `sourceCodeHash`. A plan reviewed in CI then shows a code
 * change only when the code changed. The AWS SDK is bundled too rather than taken from the
 * runtime, so the version that runs is the one the lock file pins.
 *
 * Results are memoized per `projectRoot` and `target`, so one synth bundles once for all stacks,
 * and kept in the project's bundle cache (build/bundle-cache.js), keyed by esbuild's version, the
 * options and the content of every input: an unchanged source skips esbuild (about 250 ms of each
 * synth) and any edit rebuilds.
 *
 * @throws Error from esbuild, naming the file and line, when the sources do not compile.
 */
export function bundleLambda(options: BundleLambdaOptions = {}): LambdaBundle {
  const projectRoot = options.projectRoot ?? path.resolve(__dirname, '..', '..');
  const target = options.target ?? 'node22';
  const diskCache = options.diskCache ?? true;
  const entry = options.entry ?? LAMBDA_ENTRY_POINT;
  const extraFiles = (options.extraFiles ?? []).map((f) => ({ name: f.name, contents: Buffer.from(f.contents) }));
  const extraKey = createHash('sha256');
  for (const f of extraFiles) extraKey.update(`${f.name}\0${f.contents.length}\0`).update(f.contents);
  const key = `${projectRoot}\0${target}\0${diskCache}\0${entry}\0${extraKey.digest('hex')}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const code = diskCache ? cachedBuild(projectRoot, target, entry) : build(projectRoot, target, entry).code;
  const zip = zipFiles([{ name: BUNDLE_FILE_NAME, contents: code }, ...extraFiles]);
  const bundle: LambdaBundle = {
    entry,
    code,
    zip,
    sourceCodeHash: createHash('sha256').update(zip).digest('base64'),
  };
  cache.set(key, bundle);
  return bundle;
}

/**
 * Writes the bundle's zip to `<outDir>/lambda.zip` (creating `outDir`) and returns the file's path.
 * cdktf's `TerraformAsset` then copies it into the stack's output under a content hash.
 *
 * @default outDir - none: the zip is kept in the project's bundle cache (build/bundle-cache.js),
 *   named by its content, so repeated synths reuse one file and old zips are pruned
 */
export function writeLambdaZip(bundle: LambdaBundle, outDir?: string): string {
  if (outDir === undefined) {
    const projectRoot = path.resolve(__dirname, '..', '..');
    const salt = createHash('sha256').update(bundle.zip).digest('hex');
    // One cache entry per handler: the zips of one synth's functions then never prune each other.
    return cachedBundleSync({ root: projectRoot, entry: `${cacheEntryName(bundle.entry)}-zip`, salt, fileName: 'lambda.zip' }, () => ({ contents: bundle.zip, inputs: [] })).file;
  }
  const file = path.join(outDir, 'lambda.zip');
  mkdirSync(outDir, { recursive: true });
  writeFileAtomically(file, bundle.zip);
  return file;
}

function cachedBuild(projectRoot: string, target: string, entry: string): Buffer {
  const salt = JSON.stringify({ esbuildVersion, target, BUILD_OPTIONS, entry });
  const bundle = cachedBundleSync({ root: projectRoot, entry: `${cacheEntryName(entry)}-${target}`, salt }, () => {
    const { code, inputs } = build(projectRoot, target, entry);
    return { contents: code, inputs };
  });
  return readFileSync(bundle.file);
}

/**
 * The bundle cache keeps a few bundles per entry name (build/bundle-cache.js), so each handler has
 * its own: `lambda` for the default one (its name before there were others), `lambda-<module>` for another.
 */
function cacheEntryName(entry: string): string {
  return entry === LAMBDA_ENTRY_POINT ? 'lambda' : `lambda-${entry.replace(/^lambda-src\//, '').replace(/\.ts$/, '').replace(/[^A-Za-z0-9-]/g, '-')}`;
}

function build(projectRoot: string, target: string, entry: string): { code: Buffer; inputs: string[] } {
  const result = buildSync({ ...BUILD_OPTIONS, entryPoints: [entry], absWorkingDir: projectRoot, target, metafile: true });
  return { code: Buffer.from(result.outputFiles![0].contents), inputs: Object.keys(result.metafile!.inputs).sort() };
}

function zipFiles(files: readonly { name: string; contents: Buffer }[]): Buffer {
  const zip = new ZipFile();
  for (const { name, contents } of files) {
    // forceDosTimestamp: without it yazl adds an extended-timestamp field holding the UTC time,
    // which turns the fixed local date into a different instant in every time zone.
    zip.addBuffer(contents, name, { mtime: ZIP_ENTRY_MTIME, mode: 0o100644, compress: false, forceDosTimestamp: true });
  }
  zip.end();
  // For a stored (uncompressed) in-memory entry yazl writes the whole archive synchronously.
  const chunks: Buffer[] = [];
  let chunk: Buffer | null;
  while ((chunk = zip.outputStream.read() as Buffer | null) !== null) chunks.push(chunk);
  const archive = Buffer.concat(chunks);
  const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
  if (archive.length < 22 || archive.readUInt32LE(archive.length - 22) !== END_OF_CENTRAL_DIRECTORY) {
    throw new Error('bundleLambda: the zip stream ended early; yazl no longer writes stored entries synchronously');
  }
  return archive;
}
