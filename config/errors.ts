/**
 * Error factories for configuration and construct input, so every message has the same shape
 * (which environment, which field, the value received, what is allowed, how to fix it) and
 * tests can match them.
 */

/** Thrown when an environment's configuration is invalid; synth stops before building anything. */
export class ConfigurationError extends Error {
  /** One line per problem found, each `<field>: received <value>; allowed: <...>`. */
  readonly problems: readonly string[];

  constructor(environment: string, problems: readonly string[]) {
    super(
      `Invalid configuration for environment "${environment}" (config/environments.ts):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigurationError';
    this.problems = problems;
  }
}

/** Thrown when several environments are invalid: every environment's problems at once. */
export class ConfigurationErrors extends Error {
  readonly errors: readonly ConfigurationError[];

  constructor(errors: readonly ConfigurationError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigurationErrors';
    this.errors = errors;
  }
}

/** Formats one problem: the dotted field path, the value received, and what is allowed. */
export function invalidField(field: string, received: unknown, allowed: string): string {
  return `${field}: received ${describe(received)}; allowed: ${allowed}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
