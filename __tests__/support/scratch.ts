import { mkdtempSync, rmSync } from 'node:fs';
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
