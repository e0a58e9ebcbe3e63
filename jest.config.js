/**
 * Jest runs the TypeScript sources through ts-jest in transpile-only mode (tsconfig has
 * isolatedModules); `npm test` type-checks the whole project once with `tsc --noEmit` first.
 *
 * Two projects: `unit` (synthesized JSON, pure functions; `npm run test:unit`) and `integration`
 * (a real PostgreSQL, the real terraform binary, an S3-compatible server, child processes). The
 * integration list below is the one place that says which is which; `npm test` runs both.
 */
const INTEGRATION = [
  '<rootDir>/__tests__/lambda-src/db.test.ts',
  '<rootDir>/__tests__/lambda-src/handler.test.ts',
  '<rootDir>/__tests__/lambda-src/secrets.test.ts',
  '<rootDir>/__tests__/stacks/constructs/lambda-artifact.test.ts',
  '<rootDir>/__tests__/stacks/constructs/lambda-bundle.test.ts',
  '<rootDir>/__tests__/stacks/state-backend.test.ts',
  '<rootDir>/__tests__/policy/check.test.ts',
  '<rootDir>/__tests__/tools/plan-review.test.ts',
  '<rootDir>/__tests__/main.test.ts',
  '<rootDir>/__tests__/workflows.test.ts',
  '<rootDir>/__tests__/synth.test.ts',
];

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFilesAfterEnv: ['<rootDir>/jest.setup.js'],
  testTimeout: 120000,
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...INTEGRATION] },
    { ...common, displayName: 'integration', testMatch: INTEGRATION },
  ],
};
