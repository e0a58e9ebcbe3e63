import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let root: string | undefined;

/**
 * A new folder under this test file's scratch folder; {@link removeScratch} (called after every
 * test file by jest.setup.js) deletes them all.
 */
export function scratchDir(prefix: string): string {
  root ??= mkdtempSync(path.join(os.tmpdir(), 'workshop-backend-test-'));
  return mkdtempSync(path.join(root, prefix));
}

/** Deletes every folder {@link scratchDir} made. */
export function removeScratch(): void {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

/** Every file under `dir`, by path relative to it, with its bytes: to compare two folders byte for byte. */
export function fileTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const absolute = path.join(entry.parentPath, entry.name);
      files.set(path.relative(dir, absolute), readFileSync(absolute));
    }
  }
  return files;
}
