/**
 * `npm run cdk-terrain`: performs the move from cdktf to CDK Terrain (docs/cdk-terrain.md) on a
 * scratch copy of the repository, never in place, and proves it with the copy's own type check and
 * tests. Prints each step with its time; exits 1 when any step fails (and keeps the copy to look at).
 *
 *   npm run cdk-terrain                 # copy, swap packages, rewrite imports, npm install, tsc -b, npm test
 *   npm run cdk-terrain -- --synth      # also npm run synth in the copy
 *   npm run cdk-terrain -- --terraform  # also npm run test:terraform in the copy (minutes; the provider
 *                                       # version the new bindings wrap, from a mirror or the registry)
 *   npm run cdk-terrain -- --keep       # keep the copy when everything passes
 *
 * The target versions are below; CDKTN_VERSION, CDKTN_PROVIDER_AWS_VERSION and CONSTRUCTS_VERSION
 * override them (for example to try a new release before bumping them here).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

/** What the copy moves to: releases that exist on npm, and a `constructs` that cdktn 0.24 accepts (>=10.6 <10.8). */
export const TARGET = {
  cdktn: process.env.CDKTN_VERSION ?? '0.24.0',
  providerAws: process.env.CDKTN_PROVIDER_AWS_VERSION ?? '25.7.0',
  constructs: process.env.CONSTRUCTS_VERSION ?? '10.7.2',
};

/** Each package of the project's (cdktf) and its CDK Terrain name; the CLI's binary is `cdktn`. */
export const PACKAGE_RENAMES: Readonly<Record<string, string>> = {
  cdktf: 'cdktn',
  'cdktf-cli': 'cdktn-cli',
  '@cdktf/provider-aws': '@cdktn/provider-aws',
};

/** The module prefixes an import may start with, and the CDK Terrain one each becomes. */
export const MODULE_RENAMES: Readonly<Record<string, string>> = { cdktf: 'cdktn', '@cdktf/provider-aws': '@cdktn/provider-aws' };

/** The one module allowed to import cdktf's internals (`cdktf/lib/...`). */
export const INTERNALS_MODULE = 'stacks/cdktf-internals.ts';

/** Where the AWS provider pin lives; the copy pins the version its new bindings were generated from. */
export const PROVIDER_PIN = { file: 'stacks/provider.ts', pattern: /(export const AWS_PROVIDER_VERSION = ')([^']+)(')/ };

/**
 * Tests that assert on cdktf itself rather than on our stacks, and what they assert in the copy.
 * Each `from` must be found, so this list cannot outlive the test it adjusts.
 */
export const TEST_ADJUSTMENTS: readonly { file: string; from: string; to: string; why: string }[] = [
  {
    file: '__tests__/jest-config.test.ts',
    from: 'node_modules\\/cdktf\\/',
    to: 'node_modules\\/cdktn\\/',
    why: "a token's creation stack starts in the renamed package's folder",
  },
];

/**
 * Tests that check the cdktf tree the move starts from, which the copy no longer is. The copy keeps
 * each file (documents point to it) with one skipped test in its place, which jest lists as skipped.
 */
export const TESTS_SKIPPED_IN_COPY: readonly string[] = ['__tests__/tools/cdk-terrain.test.ts'];

/** Matches the start of a module specifier of `from '...'`, `import '...'`, `require('...')` or `import('...')`. */
const SPECIFIER = /(\bfrom\s*|\bimport\s*|\brequire\(\s*|\bimport\(\s*)(['"])(@cdktf\/provider-aws|cdktf)(?=['"/])/g;

/** `source` with every import or require of cdktf or its AWS bindings taken from CDK Terrain instead; other strings stay. */
export function rewriteImports(source: string): string {
  return source.replace(SPECIFIER, (_match, keyword: string, quote: string, name: string) => `${keyword}${quote}${MODULE_RENAMES[name]}`);
}

/** The module specifiers `text` imports or requires, as TypeScript's own pre-processor finds them. */
export function importSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The files (relative to `root`) that import `cdktf/lib/...`, other than {@link INTERNALS_MODULE}. */
export function deepImportsOutsideInternals(root: string, files: readonly string[]): string[] {
  return files.filter(
    (f) => f !== INTERNALS_MODULE && /\.[cm]?[jt]s$/.test(f) && importSpecifiers(readFileSync(path.join(root, f), 'utf8')).some((s) => s.startsWith('cdktf/lib/')),
  );
}

/** The tracked files of the repository at `root` that exist in its work tree (the copy includes uncommitted edits). */
export function trackedFiles(root: string): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\0')
    .filter((f) => f !== '' && existsSync(path.join(root, f)));
}

/** package.json's text with the cdktf packages swapped for CDK Terrain's (each where it was), and npm scripts running `cdktn`. */
export function swapPackages(packageJson: string, target = TARGET): string {
  const pkg = JSON.parse(packageJson) as Record<'dependencies' | 'devDependencies' | 'scripts', Record<string, string>>;
  const versions: Record<string, string> = { cdktn: target.cdktn, 'cdktn-cli': target.cdktn, '@cdktn/provider-aws': target.providerAws, constructs: target.constructs };
  for (const key of ['dependencies', 'devDependencies'] as const) {
    pkg[key] = Object.fromEntries(
      Object.entries(pkg[key]).map(([name, version]) => {
        const renamed = PACKAGE_RENAMES[name] ?? name;
        return [renamed, versions[renamed] ?? version];
      }),
    );
  }
  for (const [name, command] of Object.entries(pkg.scripts)) pkg.scripts[name] = command.replace(/(^|\s)cdktf(?= )/g, '$1cdktn');
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

function run(cwd: string, command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function edit(file: string, change: (text: string) => string): boolean {
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (after !== before) writeFileSync(file, after);
  return after !== before;
}

function main(argv: string[]): number {
  const unknown = argv.filter((a) => !['--synth', '--terraform', '--keep'].includes(a));
  if (unknown.length > 0) {
    console.error(`cdk-terrain: unknown option ${unknown.join(' ')} (options: --synth, --terraform, --keep)`);
    return 2;
  }
  const source = path.resolve(__dirname, '..', '..');
  const copy = mkdtempSync(path.join(tmpdir(), 'cdk-terrain-'));
  // mkdtemp makes a 0700 folder; the tests run PostgreSQL's binaries from the copy's node_modules
  // as the user `postgres` when the suite runs as root, and that user must enter it.
  chmodSync(copy, 0o755);
  const started = Date.now();
  const steps: [name: string, step: () => string | void][] = [
    [`check that cdktn ${TARGET.cdktn}, @cdktn/provider-aws ${TARGET.providerAws} and constructs ${TARGET.constructs} exist on npm`, () => {
      for (const spec of [`cdktn@${TARGET.cdktn}`, `cdktn-cli@${TARGET.cdktn}`, `@cdktn/provider-aws@${TARGET.providerAws}`, `constructs@${TARGET.constructs}`]) {
        if (execFileSync('npm', ['view', spec, 'version'], { encoding: 'utf8' }).trim() === '') throw new Error(`${spec} is not on npm`);
      }
    }],
    [`copy the tracked files to ${copy}`, () => {
      const files = trackedFiles(source);
      for (const f of files) {
        mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
        copyFileSync(path.join(source, f), path.join(copy, f));
      }
      return `${files.length} files`;
    }],
    [`check that only ${INTERNALS_MODULE} imports cdktf/lib/`, () => {
      const others = deepImportsOutsideInternals(copy, trackedFiles(source));
      if (others.length > 0) throw new Error(`deep cdktf imports outside ${INTERNALS_MODULE}: ${others.join(', ')}`);
    }],
    ['swap the packages in package.json', () => {
      edit(path.join(copy, 'package.json'), (text) => swapPackages(text));
    }],
    ['rewrite the imports', () => {
      const changed = trackedFiles(source).filter((f) => /\.[cm]?[jt]s$/.test(f) && edit(path.join(copy, f), rewriteImports));
      return `${changed.length} files`;
    }],
    ['adjust the tests that assert on cdktf itself', () => {
      for (const a of TEST_ADJUSTMENTS) {
        if (!edit(path.join(copy, a.file), (t) => t.split(a.from).join(a.to))) throw new Error(`${a.file} no longer has ${a.from}: update TEST_ADJUSTMENTS`);
      }
      for (const f of TESTS_SKIPPED_IN_COPY) {
        if (!existsSync(path.join(copy, f))) throw new Error(`${f} does not exist: update TESTS_SKIPPED_IN_COPY`);
        writeFileSync(path.join(copy, f), "it.skip('checks the cdktf tree the move starts from, which this copy (npm run cdk-terrain) no longer is', () => {});\n");
      }
      return [...TEST_ADJUSTMENTS.map((a) => `${a.file}: ${a.why}`), ...TESTS_SKIPPED_IN_COPY.map((f) => `${f} skipped`)].join('; ');
    }],
    ['npm install', () => run(copy, 'npm', ['install', '--no-audit', '--no-fund'])],
    [`pin the AWS provider (${PROVIDER_PIN.file}) to the version @cdktn/provider-aws was generated from`, () => {
      const bindings = JSON.parse(readFileSync(path.join(copy, 'node_modules', '@cdktn', 'provider-aws', 'package.json'), 'utf8'));
      const version: string | undefined = bindings.cdktf?.provider?.version;
      if (!version) throw new Error('@cdktn/provider-aws/package.json names no provider version (cdktf.provider.version)');
      let previous = '';
      if (!edit(path.join(copy, PROVIDER_PIN.file), (t) => t.replace(PROVIDER_PIN.pattern, (_m, a, v, b) => ((previous = v), `${a}${version}${b}`)))) {
        throw new Error(`${PROVIDER_PIN.file}: no AWS_PROVIDER_VERSION to change (or it is already ${version})`);
      }
      return `${previous} -> ${version}`;
    }],
    ['npx tsc -b', () => run(copy, 'npx', ['tsc', '-b'])],
    ['npm test', () => run(copy, 'npm', ['test'])],
  ];
  if (argv.includes('--synth')) steps.push(['npm run synth', () => run(copy, 'npm', ['run', 'synth'])]);
  if (argv.includes('--terraform')) steps.push(['npm run test:terraform', () => run(copy, 'npm', ['run', 'test:terraform'])]);
  for (const [index, [name, step]] of steps.entries()) {
    const t0 = Date.now();
    console.log(`\n==> [${index + 1}/${steps.length}] ${name}`);
    try {
      const note = step();
      console.log(`    ok (${seconds(Date.now() - t0)}${note ? `; ${note}` : ''})`);
    } catch (error) {
      console.error(`    FAILED (${seconds(Date.now() - t0)}): ${(error as Error).message}\n    the copy is kept in ${copy}`);
      return 1;
    }
  }
  console.log(`\ncdk-terrain: the move passed in ${seconds(Date.now() - started)} (cdktn ${TARGET.cdktn}, @cdktn/provider-aws ${TARGET.providerAws}, constructs ${TARGET.constructs}, node ${process.version})`);
  if (argv.includes('--keep')) console.log(`the copy is kept in ${copy}`);
  else rmSync(copy, { recursive: true, force: true });
  return 0;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

if (require.main === module) process.exitCode = main(process.argv.slice(2));
