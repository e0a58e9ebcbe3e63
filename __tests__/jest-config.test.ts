/**
 * jest.config.js gives every test and hook the same timeout in both projects. Jest reads
 * `testTimeout` from the global configuration only (jest-circus takes `globalConfig.testTimeout`),
 * so a `testTimeout` inside a project is ignored and hooks that start PostgreSQL or run `terraform
 * init` on a loaded machine failed at Jest's 5000 ms default.
 */
const JEST_DEFAULT_TIMEOUT_MS = 5000;

describe('jest configuration', () => {
  let waitedInHookMs = 0;

  beforeAll(async () => {
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, JEST_DEFAULT_TIMEOUT_MS + 500));
    waitedInHookMs = Date.now() - start;
  });

  it('lets a hook run longer than Jest\'s 5000 ms default', () => {
    expect(waitedInHookMs).toBeGreaterThan(JEST_DEFAULT_TIMEOUT_MS);
  });
});
