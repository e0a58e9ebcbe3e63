/**
 * Jest runs the TypeScript sources through ts-jest in transpile-only mode (tsconfig has
 * isolatedModules); `npm test` type-checks the whole project once with `tsc --noEmit` first.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFilesAfterEnv: ['<rootDir>/jest.setup.js'],
  testTimeout: 120000,
};
