/**
 * Jest runs the TypeScript sources through esbuild (esbuild-jest-transform), which only strips
 * types (tsconfig has isolatedModules); `npm test` type-checks the whole project once with `tsc -b`
 * first, incrementally (its build info is in node_modules/.cache/tsc/). esbuild does not hoist
 * `jest.mock` calls above the imports as babel and ts-jest do: put a module mock in a setup file, or
 * require the mocked module after the `jest.mock` call.
 *
 * Three projects; the two lists below are the one place that says which file is in which:
 * - `unit`: synthesized JSON and pure functions (`npm run test:unit`);
 * - `integration`: a real PostgreSQL, the real terraform binary, an S3-compatible server, child
 *   processes. `npm test` runs these two;
 * - `terraform`: the real Terraform AWS provider validating and planning our stacks
 *   (`npm run test:terraform`). Every run of the provider loads its 700 MB binary and its whole schema,
 *   4 to 7 s of CPU per terraform command, so these alone outlast the rest of the suite several
 *   times; CI (.ci/run and the pull request workflow) runs them after `npm test`. A test file that
 *   plans with the provider (it imports support/offline-terraform) belongs here, which
 *   __tests__/jest-config.test.ts checks.
 *
 * `testTimeout` sits at the top level: Jest reads it from the global configuration only, and ignores
 * it inside a project (where it left every hook and test at the 5000 ms default).
 */
const TERRAFORM_PROVIDER = [
  // Also applies with the provider, against a moto server (npm run rehearse).
  '<rootDir>/__tests__/tools/rehearse.test.ts',
  '<rootDir>/__tests__/tools/validate.test.ts',
  // Synthesizes, gates and plans a scratch copy with a second function.
  '<rootDir>/__tests__/config/add-function.test.ts',
  '<rootDir>/__tests__/stacks/change-impact.test.ts',
  '<rootDir>/__tests__/tools/plan-review-state-operations.test.ts',
  '<rootDir>/__tests__/tools/plan-review-migrations.test.ts',
];

const INTEGRATION = [
  '<rootDir>/__tests__/layers.test.ts',
  '<rootDir>/__tests__/cdktf-cli.test.ts',
  '<rootDir>/__tests__/config/add-environment.test.ts',
  '<rootDir>/__tests__/support/requirements.test.ts',
  '<rootDir>/__tests__/lambda-src/actions.test.ts',
  '<rootDir>/__tests__/lambda-src/db.test.ts',
  '<rootDir>/__tests__/lambda-src/handler.test.ts',
  '<rootDir>/__tests__/lambda-src/migrate.test.ts',
  '<rootDir>/__tests__/lambda-src/secrets.test.ts',
  '<rootDir>/__tests__/stacks/constructs/lambda-artifact.test.ts',
  '<rootDir>/__tests__/stacks/constructs/lambda-bundle.test.ts',
  '<rootDir>/__tests__/stacks/state-backend.test.ts',
  '<rootDir>/__tests__/policy/check.test.ts',
  '<rootDir>/__tests__/tools/plan-review.test.ts',
  // A moto server (child process), the real AWS SDK, the function check's PostgreSQL.
  '<rootDir>/__tests__/tools/rehearse/moto-gaps-probes.test.ts',
  '<rootDir>/__tests__/tools/rehearse/function-check.test.ts',
  '<rootDir>/__tests__/main.test.ts',
  '<rootDir>/__tests__/workflows.test.ts',
  '<rootDir>/__tests__/jest-config.test.ts',
  '<rootDir>/__tests__/synth.test.ts',
];

/**
 * esbuild's options for each test and source file: CommonJS for jest's module registry, the
 * language level of the Node.js that runs the tests, inline source maps so stack traces name the
 * TypeScript lines, and tsconfig.json itself (esbuild reads its class-field and import settings).
 */
const ESBUILD_TRANSFORM = {
  format: 'cjs',
  target: `node${process.versions.node.split('.')[0]}`,
  sourcemap: 'inline',
  tsconfigRaw: require('node:fs').readFileSync(require('node:path').join(__dirname, 'tsconfig.json'), 'utf8'),
};

const common = {
  testEnvironment: '<rootDir>/__tests__/support/node-environment.js',
  roots: ['<rootDir>/__tests__'],
  transform: {
    '^.+\\.ts$': ['esbuild-jest-transform', ESBUILD_TRANSFORM],
    // github-slugger 2 is ESM-only and jest's module runtime loads CommonJS on Node 20, so its one
    // file is transformed to CommonJS as well (Node 24.9+ would load it natively).
    '/node_modules/github-slugger/.+\\.js$': ['esbuild-jest-transform', ESBUILD_TRANSFORM],
  },
  transformIgnorePatterns: ['/node_modules/(?!github-slugger/)'],
  setupFilesAfterEnv: ['<rootDir>/jest.setup.js'],
};

module.exports = {
  // A global option: jest-circus reads the run's value, not a project's.
  testTimeout: 120000,
  // One worker per core. jest's default (cores - 1) runs everything in one process on a 2-core
  // machine, while the integration tests spend much of their time waiting for child processes.
  maxWorkers: '100%',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...INTEGRATION, ...TERRAFORM_PROVIDER] },
    {
      ...common,
      displayName: 'integration',
      testMatch: INTEGRATION,
      // One PostgreSQL for the run, each test file in its own role and database (local/postgres.ts).
      globalSetup: '<rootDir>/__tests__/support/postgres-global-setup.ts',
      globalTeardown: '<rootDir>/__tests__/support/postgres-global-teardown.ts',
    },
    { ...common, displayName: 'terraform', testMatch: TERRAFORM_PROVIDER },
  ],
};
