/**
 * The parts of the CDK Terrain move (`npm run cdk-terrain`, tools/cdk-terrain/move.ts) that need no
 * network: the import rewrite over every source file of the tree, checked against TypeScript's own
 * reading of the imports; the package swap; and the lists the move relies on. The move itself runs
 * in the weekly workflow .github/workflows/cdk-terrain.yml.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  deepImportsOutsideInternals,
  importSpecifiers,
  INTERNALS_MODULE,
  PROVIDER_PIN,
  rewriteImports,
  swapPackages,
  TARGET,
  TEST_ADJUSTMENTS,
} from '../../tools/cdk-terrain/move';
import { repositoryFiles } from '../../tools/doc-links';
import { AWS_PROVIDER_VERSION } from '../../stacks/provider';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
// This file's samples are import statements inside strings, which the rewrite changes as well.
const sources = repositoryFiles(PROJECT_ROOT).filter((f) => /\.[cm]?[jt]s$/.test(f) && f !== path.relative(PROJECT_ROOT, __filename));
const isCdktf = (specifier: string) => /^(cdktf|@cdktf\/provider-aws)(\/|$)/.test(specifier);
const asCdktn = (specifier: string) => specifier.replace(/^cdktf(?=\/|$)/, 'cdktn').replace(/^@cdktf\/provider-aws(?=\/|$)/, '@cdktn/provider-aws');

describe('the CDK Terrain move', () => {
  it('rewrites every import of cdktf and its AWS bindings in the tree to the cdktn one, as TypeScript reads the imports', () => {
    const wrong: string[] = [];
    let rewritten = 0;
    for (const file of sources) {
      const before = importSpecifiers(read(file));
      const after = importSpecifiers(rewriteImports(read(file)));
      const expected = before.map(asCdktn);
      if (JSON.stringify(after) !== JSON.stringify(expected)) wrong.push(`${file}: ${after.filter((s, i) => s !== expected[i]).join(', ')}`);
      rewritten += before.filter(isCdktf).length;
    }
    expect(wrong).toEqual([]);
    expect(rewritten).toBeGreaterThan(100);
  });

  it('rewrites every form of import, and leaves strings that are not module names alone', () => {
    const source = [
      "import { App } from 'cdktf';",
      'import type {} from "cdktf/lib/testing/adapters/jest";',
      "export { Vpc } from '@cdktf/provider-aws/lib/vpc';",
      "import 'cdktf';",
      "const s = require('cdktf/lib/synthesize/synthesizer') as typeof import('cdktf');",
      "const tags = { ManagedBy: 'cdktf' }; const cli = require('cdktf-cli');",
    ].join('\n');
    expect(rewriteImports(source)).toBe(
      [
        "import { App } from 'cdktn';",
        'import type {} from "cdktn/lib/testing/adapters/jest";',
        "export { Vpc } from '@cdktn/provider-aws/lib/vpc';",
        "import 'cdktn';",
        "const s = require('cdktn/lib/synthesize/synthesizer') as typeof import('cdktn');",
        "const tags = { ManagedBy: 'cdktf' }; const cli = require('cdktf-cli');",
      ].join('\n'),
    );
    // The stacks' ManagedBy tag is a value on every resource: the move leaves it to the team.
    expect(rewriteImports(read('config/environments.ts'))).toBe(read('config/environments.ts'));
  });

  it(`finds imports of cdktf internals (cdktf/lib/...) only in ${INTERNALS_MODULE}`, () => {
    expect(deepImportsOutsideInternals(PROJECT_ROOT, sources)).toEqual([]);
    expect(importSpecifiers(read(INTERNALS_MODULE)).filter((s) => s.startsWith('cdktf/lib/')).length).toBeGreaterThan(0);
  });

  it('swaps the packages in package.json for CDK Terrain releases, each where it was, and the npm scripts to the cdktn binary', () => {
    const before = JSON.parse(read('package.json'));
    const after = JSON.parse(swapPackages(read('package.json')));
    expect(after.dependencies).toMatchObject({ cdktn: TARGET.cdktn, '@cdktn/provider-aws': TARGET.providerAws, constructs: TARGET.constructs });
    expect(after.devDependencies['cdktn-cli']).toBe(TARGET.cdktn);
    const names = [...Object.keys(after.dependencies), ...Object.keys(after.devDependencies)];
    expect(names.filter((n) => /cdktf/.test(n))).toEqual([]);
    expect(Object.keys(after.dependencies).indexOf('cdktn')).toBe(Object.keys(before.dependencies).indexOf('cdktf'));
    // cdktn 0.24 and its provider packages accept constructs >=10.6.0 <10.8.0.
    expect(TARGET.constructs).toMatch(/^10\.[67]\.\d+$/);
    expect(after.scripts.deploy).toBe('CHECKPOINT_DISABLE=1 cdktn deploy');
    expect(Object.values(after.scripts).filter((s) => /(^|\s)cdktf /.test(s as string))).toEqual([]);
  });

  it('knows where the AWS provider pin is, and every test it adjusts still has the text it replaces', () => {
    expect(read(PROVIDER_PIN.file).match(new RegExp(PROVIDER_PIN.pattern, 'g'))).toEqual([`export const AWS_PROVIDER_VERSION = '${AWS_PROVIDER_VERSION}'`]);
    for (const a of TEST_ADJUSTMENTS) expect(read(a.file)).toContain(a.from);
  });
});
