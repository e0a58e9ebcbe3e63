import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const PROJECT_ROOT = path.join(__dirname, '..');

/** The project's jest configuration, as jest loads it. */
const config = require(path.join(PROJECT_ROOT, 'jest.config.js')) as {
  testTimeout?: number;
  projects: Array<{ displayName: string; testMatch: string[]; testPathIgnorePatterns?: string[] }>;
};

/** The files a project lists by path (integration, terraform), relative to the project root. */
const listed = (name: string): string[] =>
  config.projects.find((p) => p.displayName === name)!.testMatch.map((m) => path.relative(PROJECT_ROOT, m.replace('<rootDir>', PROJECT_ROOT)));

/** Every test file under __tests__, relative to the project root. */
const testFiles = (readdirSync(path.join(PROJECT_ROOT, '__tests__'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join('__tests__', f));

describe('jest.config.js', () => {
  it('sets the test and hook timeout globally, where jest-circus reads it, and in no project, where it would be ignored', () => {
    expect(config.testTimeout).toBeGreaterThanOrEqual(60_000);
    for (const project of config.projects) expect(project).not.toHaveProperty('testTimeout');
  });

  it('puts exactly the files that plan with the real AWS provider in the terraform project, out of npm test', () => {
    const planning = testFiles.filter((f) => /from '(\.\.\/)+support\/offline-terraform'/.test(readFileSync(path.join(PROJECT_ROOT, f), 'utf8')));
    expect(planning.length).toBeGreaterThan(0);
    expect(listed('terraform').sort()).toEqual(planning.sort());
    const npmTest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts.test as string;
    expect(npmTest).toMatch(/--selectProjects unit integration$/);
  });

  it('lists only files that exist, each in one project at most', () => {
    const integration = listed('integration');
    const terraform = listed('terraform');
    for (const file of [...integration, ...terraform]) expect(testFiles).toContain(file);
    expect(integration.filter((f) => terraform.includes(f))).toEqual([]);
    const unit = config.projects.find((p) => p.displayName === 'unit')!;
    for (const file of [...integration, ...terraform]) expect(unit.testPathIgnorePatterns).toContain(`<rootDir>/${file}`);
  });

  it('has CI rehearse every synthesized stack after the tests, with no stack named', () => {
    const ci = readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm run test:terraform\nnpm run synth\nnpm run rehearse$/m);
  });

  it('has CI run the terraform project after npm test', () => {
    const ci = readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm test\nnpm run test:terraform$/m);
  });
});

describe('the test environment (support/node-environment.js)', () => {
  it("maps an error's stack to the TypeScript line that threw", () => {
    const error = new Error('here');
    expect(error.stack?.split('\n')[1]).toMatch(/__tests__\/jest-config\.test\.ts:\d+:\d+\)$/);
  });

  it("keeps the top ten frames of a cdktf token's creation stack, the first of them in cdktf", () => {
    const { Lazy, Tokenization } = require('cdktf') as typeof import('cdktf');
    // A token made 30 calls down: its full creation stack would be over 40 frames.
    const deep = (depth: number): unknown => (depth === 0 ? Tokenization.reverseString(Lazy.stringValue({ produce: () => 'x' })).tokens[0] : deep(depth - 1));
    const token = deep(30) as { creationStack: string[] };
    expect(token.creationStack).toHaveLength(10);
    expect(token.creationStack[0]).toMatch(/node_modules\/cdktf\//);
  });
});
