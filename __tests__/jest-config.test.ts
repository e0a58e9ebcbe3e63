import * as path from 'node:path';

/** The project's jest configuration, as jest loads it. */
const config = require(path.join(__dirname, '..', 'jest.config.js')) as { testTimeout?: number; projects: Record<string, unknown>[] };

describe('jest.config.js', () => {
  it('sets the test and hook timeout globally, where jest-circus reads it, and in no project, where it would be ignored', () => {
    expect(config.testTimeout).toBeGreaterThanOrEqual(60_000);
    for (const project of config.projects) expect(project).not.toHaveProperty('testTimeout');
  });
});
