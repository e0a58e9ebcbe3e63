import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { contentKey, digestFiles, keyInputs } from '../../tools/file-digests';
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
