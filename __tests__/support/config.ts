import { UserError } from '../../config/errors';
import { validateEnvironmentConfig } from '../../config/schema';

/**
 * The problems of the UserError `work` throws, one line each; `[]` when it returns. Any error other
 * than a UserError propagates.
 */
export function userErrorProblems(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    if (error instanceof UserError) return [...error.problems];
    throw error;
  }
  return [];
}

/** The problems `validateEnvironmentConfig` reports for `input`, one line each; `[]` when it accepts the input. */
export function problemsOf(input: unknown): string[] {
  return userErrorProblems(() => validateEnvironmentConfig(input));
}
