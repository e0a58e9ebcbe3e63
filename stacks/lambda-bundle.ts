import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { ZipFile } from 'yazl';

/** The folder of the Lambda's source, relative to the project root. */
export const LAMBDA_SOURCE_DIR = 'lambda-src';

/** The module esbuild starts from; its `handler` export is the Lambda handler. */
export const LAMBDA_ENTRY_POINT = 'lambda-src/handler.ts';

/** The file name inside the zip, so the Lambda `handler` attribute is `index.handler`. */
export const BUNDLE_FILE_NAME = 'index.js';

/**
 * The zip entries' modification time. Zip stores local time with 2-second precision from 1980
 * on; a fixed value keeps the archive's bytes free of the build machine's clock and time zone.
 */
const ZIP_ENTRY_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** What {@link bundleLambda} produced. */
export interface LambdaBundle {
  /** The bundled handler: one CommonJS file, `index.js`, exporting `handler`. */
  readonly code: Buffer;
  /** The zip's bytes: one entry, {@link BUNDLE_FILE_NAME}, stored without compression. */
  readonly zip: Buffer;
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
   * esbuild's `target`, derived from the Lambda runtime (`nodejs22.x` gives `node22`).
   * @default 'node22'
   */
  readonly target?: string;
}

const cache = new Map<string, LambdaBundle>();

/**
 * Bundles `lambda-src/handler.ts` with esbuild into one minified CommonJS file and zips it.
 *
 * The result is byte-for-byte reproducible: esbuild's output depends only on the sources
 * (paths are relative to `projectRoot`), and the zip has one entry with a fixed time, fixed
 * permissions and no compression, so neither the clock nor the zlib build of the machine that
 * runs synth changes the bytes or `sourceCodeHash`. A plan reviewed in CI then shows a code
 * change only when the code changed. The AWS SDK is bundled too rather than taken from the
 * runtime, so the version that runs is the one the lock file pins.
 *
 * Results are memoized per `projectRoot` and `target`: one synth bundles once for all stacks.
 *
 * @throws Error from esbuild, naming the file and line, when the sources do not compile.
 */
export function bundleLambda(options: BundleLambdaOptions = {}): LambdaBundle {
  const projectRoot = options.projectRoot ?? path.resolve(__dirname, '..');
  const target = options.target ?? 'node22';
  const key = `${projectRoot}\0${target}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const result = buildSync({
    absWorkingDir: projectRoot,
    entryPoints: [LAMBDA_ENTRY_POINT],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target,
    minify: true,
    keepNames: true,
    legalComments: 'none',
    // pg requires 'pg-native' only when asked for the native driver, which we never do.
    external: ['pg-native'],
    write: false,
    outfile: BUNDLE_FILE_NAME,
    logLevel: 'silent',
  });
  const code = Buffer.from(result.outputFiles[0].contents);
  const zip = zipSingleFile(BUNDLE_FILE_NAME, code);
  const bundle: LambdaBundle = {
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
 */
export function writeLambdaZip(bundle: LambdaBundle, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'lambda.zip');
  writeFileSync(file, bundle.zip);
  return file;
}

function zipSingleFile(name: string, contents: Buffer): Buffer {
  const zip = new ZipFile();
  zip.addBuffer(contents, name, { mtime: ZIP_ENTRY_MTIME, mode: 0o100644, compress: false });
  zip.end();
  const chunks: Buffer[] = [];
  // yazl's output stream is fed synchronously for in-memory entries when compress is false,
  // but it is still a stream: collect it synchronously through its internal buffer.
  let chunk: Buffer | null;
  while ((chunk = zip.outputStream.read() as Buffer | null) !== null) chunks.push(chunk);
  return Buffer.concat(chunks);
}
