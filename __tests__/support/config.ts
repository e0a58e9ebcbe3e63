import { UserError } from '../../config/errors';
import { validateEnvironmentConfig } from '../../config/schema';

/**
 * The problems `validateEnvironmentConfig` reports for `input`, one line each; `[]` when it accepts
 * the input. Any error other than a UserError propagates.
 */
export function problemsOf(input: unknown): string[] {
  try {
    validateEnvironmentConfig(input);
  } catch (error) {
    if (error instanceof UserError) return [...error.problems];
    throw error;
  }
  return [];
}
