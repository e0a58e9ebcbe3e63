import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cachedBundle, cachedBundleSync, contentKey, digestFiles, keyInputs, CACHE_DIR, KEPT_BUNDLES } from '../../build/bundle-cache';
import { scratchDir } from '../support/scratch';

function project(): string {
  const root = scratchDir('digests-');
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  return root;
}

describe('digestFiles', () => {
  it('reuses a known digest while size and time match, without reading the file', () => {
    const root = project();
    const first = digestFiles(root, ['src/a.ts'])!;
    // Same size and time, other bytes: only a reader of the file would notice.
    const known = { 'src/a.ts': { ...first.digests['src/a.ts'], sha256: 'remembered' } };

    const again = digestFiles(root, ['src/a.ts'], known)!;

    expect(first.hashed).toBe(1);
    expect(again).toEqual({ digests: known, hashed: 0 });
  });

  it('hashes again a file whose time changed, and gives the same key when its bytes did not', () => {
    const root = project();
    const first = digestFiles(root, ['src/a.ts'])!;
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, 'src', 'a.ts'), later, later);

    const touched = digestFiles(root, ['src/a.ts'], first.digests)!;

    expect(touched.hashed).toBe(1);
    expect(contentKey(touched.digests)).toBe(contentKey(first.digests));
  });

  it('gives another key when a file changes, and undefined when one is gone', () => {
    const root = project();
    const first = digestFiles(root, ['src/a.ts'])!;
    writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 22;\n');

    expect(contentKey(digestFiles(root, ['src/a.ts'], first.digests)!.digests)).not.toBe(contentKey(first.digests));
    expect(digestFiles(root, ['src/a.ts', 'src/gone.ts'])).toBeUndefined();
  });

  it('keys by content and salt, not by where the files lie', () => {
    const [one, two] = [project(), project()];
    const key = (root: string, salt?: string) => contentKey(digestFiles(root, ['src/a.ts'])!.digests, salt);

    expect(key(one)).toBe(key(two));
    expect(key(one, 'esbuild 1')).not.toBe(key(one, 'esbuild 2'));
  });
});

describe('keyInputs', () => {
  it('replaces the files inside node_modules by the lock files that exist', () => {
    const root = project();
    writeFileSync(path.join(root, 'package-lock.json'), '{}');

    expect(keyInputs(root, ['src/a.ts', 'node_modules/pg/lib/index.js', '../elsewhere/node_modules/cdktf/lib/index.js'])).toEqual([
      'package-lock.json',
      'src/a.ts',
    ]);
  });
});

describe('cachedBundle', () => {
  /** A build callback that "bundles" src/a.ts by copying it, and counts its runs. */
  function copyBuild(root: string): { build: () => { contents: Buffer; inputs: string[] }; runs: () => number } {
    let runs = 0;
    return {
      build: () => {
        runs += 1;
        return { contents: readFileSync(path.join(root, 'src', 'a.ts')), inputs: ['src/a.ts'] };
      },
      runs: () => runs,
    };
  }

  it('builds once, then returns the stored bundle while the inputs and the salt are unchanged', async () => {
    const root = project();
    const { build, runs } = copyBuild(root);
    const spec = { root, entry: 'copy', salt: 'v1' };

    const first = await cachedBundle(spec, async () => build());
    const second = cachedBundleSync(spec, build);
    const otherSalt = cachedBundleSync({ ...spec, salt: 'v2' }, build);

    expect(first.built).toBe(true);
    expect(second).toEqual({ ...first, built: false });
    expect(otherSalt.built).toBe(true);
    expect(runs()).toBe(2);
    expect(readFileSync(first.file, 'utf8')).toBe('export const a = 1;\n');
    expect(path.relative(root, first.file)).toBe(path.join(CACHE_DIR, 'copy', first.key, 'copy.js'));
  });

  it('builds again when an input changes, and keeps only the newest bundles of the entry', () => {
    const root = project();
    const { build } = copyBuild(root);
    const keys = new Set<string>();
    for (let i = 0; i < KEPT_BUNDLES + 2; i += 1) {
      writeFileSync(path.join(root, 'src', 'a.ts'), `export const a = ${i};\n`);
      const bundle = cachedBundleSync({ root, entry: 'copy', salt: '', fileName: 'copy.txt' }, build);
      expect(bundle.built).toBe(true);
      keys.add(bundle.key);
    }

    expect(keys.size).toBe(KEPT_BUNDLES + 2);
    const kept = readdirSync(path.join(root, CACHE_DIR, 'copy')).filter((name) => /^[0-9a-f]{64}$/.test(name));
    expect(kept).toHaveLength(KEPT_BUNDLES);
  });

  it('keeps the cache in the temporary folder when node_modules cannot be written', () => {
    const root = project();
    // What a read-only node_modules does to the writes (root ignores file modes): the cache folder is a file.
    mkdirSync(path.join(root, path.dirname(CACHE_DIR)), { recursive: true });
    writeFileSync(path.join(root, CACHE_DIR), 'not a folder');
    const { build, runs } = copyBuild(root);

    const first = cachedBundleSync({ root, entry: 'copy', salt: '' }, build);
    const second = cachedBundleSync({ root, entry: 'copy', salt: '' }, build);

    expect(path.relative(root, first.file).startsWith('..')).toBe(true);
    expect(second).toEqual({ ...first, built: false });
    expect(runs()).toBe(1);
    expect(readFileSync(path.join(root, CACHE_DIR), 'utf8')).toBe('not a folder');
    rmSync(path.resolve(first.file, '..', '..', '..'), { recursive: true, force: true });
  });
});
