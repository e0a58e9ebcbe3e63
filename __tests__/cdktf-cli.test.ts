/**
 * The cdktf CLI (`npx cdktf deploy`, `diff`, `synth`) runs on the project's Node.js: it loads
 * node-pty, whose prebuilt binaries stop at Node.js 22, so on 24 the package's install script
 * (allowed in package.json's `allowScripts`) compiles it.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '..');

describe('the cdktf CLI on this Node.js', () => {
  it("loads the CLI's terminal module, node-pty, built for this Node.js", () => {
    const result = spawnSync(process.execPath, ['-e', "require('@cdktf/node-pty-prebuilt-multiarch'); process.stdout.write('loaded')"], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('loaded');
  });

  it('lets npm run the install script that builds it', () => {
    const { allowScripts } = require(path.join(PROJECT_ROOT, 'package.json')) as { allowScripts: Record<string, boolean> };
    expect(allowScripts['@cdktf/node-pty-prebuilt-multiarch']).toBe(true);
  });
});
