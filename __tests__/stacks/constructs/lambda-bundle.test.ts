import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLE_FILE_NAME, bundleLambda, esbuildTargetFor, writeLambdaZip, type LambdaBundle } from '../../../stacks/constructs/lambda-bundle';
import { bundleEntry } from '../../../build/bundle-cache';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

/** The SHA-256 of `bytes`, hex: how these tests compare whole bundles and zips. */
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * stacks/constructs/lambda-bundle.ts as one CommonJS file (build/bundle-cache.js, bundleEntry), so a child process
 * loads it without a TypeScript loader; its esbuild run of the Lambda is the child's own.
 */
let moduleBundle: string;

/** Bundles in a separate node process, from another working directory and time zone. */
function bundleInChildProcess(cwd: string, timeZone: string, diskCache: boolean): { hash: string; sha: string } {
  const script = `
    const { bundleLambda } = require(${JSON.stringify(moduleBundle)});
    const b = bundleLambda({ diskCache: ${diskCache} });
    process.stdout.write(JSON.stringify({ hash: b.sourceCodeHash, sha: require('crypto').createHash('sha256').update(b.zip).digest('hex') }));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd,
    env: { ...process.env, TZ: timeZone },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('bundleLambda', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'bundle-test-'));
    moduleBundle = (await bundleEntry(projectRoot, 'stacks/constructs/lambda-bundle.ts')).file;
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('produces a zip with one stored index.js whose source_code_hash is the base64 SHA-256 of the zip', () => {
    const bundle = bundleLambda();
    expect(bundle.sourceCodeHash).toBe(createHash('sha256').update(bundle.zip).digest('base64'));
    const zipFile = path.join(scratch, 'lambda.zip');
    writeFileSync(zipFile, bundle.zip);
    // The real unzip reads the archive the way Lambda's service does: one entry, stored, dated 1980.
    const listing = execFileSync('unzip', ['-Zl', zipFile], { encoding: 'utf8' });
    expect(listing).toMatch(new RegExp(`-rw-r--r--.*\\s${bundle.code.length}\\s.*stor 80-Jan-01 00:00 ${BUNDLE_FILE_NAME}`));
    // Compared by digest: toEqual walks a Buffer byte by byte, about a second of CPU for 400 KiB.
    expect(sha256(execFileSync('unzip', ['-p', zipFile, BUNDLE_FILE_NAME]))).toBe(sha256(bundle.code));
  });

  /** A bundle's identity: its source_code_hash and the SHA-256 of its zip. */
  const identity = (bundle: LambdaBundle) => ({ hash: bundle.sourceCodeHash, sha: sha256(bundle.zip) });

  it('gives the same bytes and hash from a fresh esbuild run in another folder and time zone as from the disk cache', () => {
    // A child process bundles from scratch (no disk cache) in a scratch folder at UTC+14; this
    // process reads node_modules/.cache/workshop-backend-lambda/ (or fills it, on a first run) from
    // the project folder in its own time zone. Zip entries carry local times: a bundle that took
    // the clock or the zone would differ.
    const kiritimati = bundleInChildProcess(scratch, 'Pacific/Kiritimati', false);
    expect(identity(bundleLambda({ diskCache: true }))).toEqual(kiritimati);
  });

  it('exports a handler from the bundled file', () => {
    const file = path.join(scratch, 'index.js');
    writeFileSync(file, bundleLambda().code);
    const out = execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(file)}).handler)`], { encoding: 'utf8' });
    expect(out).toBe('function');
  });

  it('targets the Node.js version of the Lambda runtime, and rejects what is not a Node.js runtime', () => {
    expect(esbuildTargetFor('nodejs24.x')).toBe('node24');
    expect(esbuildTargetFor('nodejs22.x')).toBe('node22');
    expect(() => esbuildTargetFor('python3.13')).toThrow('runtime: received "python3.13"; allowed: a Lambda Node.js runtime');
  });

  it("writes the zip under a temporary name of its own, so another synth's temporary file does not stop it", () => {
    const outDir = path.join(scratch, 'zip-beside-another-writer');
    // Where a concurrent writer that used a shared temporary name would be writing.
    mkdirSync(path.join(outDir, 'lambda.zip.tmp'), { recursive: true });
    const bundle = bundleLambda();
    const file = writeLambdaZip(bundle, outDir);
    expect(file).toBe(path.join(outDir, 'lambda.zip'));
    expect(sha256(readFileSync(file))).toBe(sha256(bundle.zip));
  });
});
