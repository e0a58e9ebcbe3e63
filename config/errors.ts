/**
 * The one error model for everything a user can get wrong: an environment's configuration, the
 * `TF_STATE_*` backend variables, a stack's props, and the policy gate. Every such failure is a
 * {@link UserError} built by one of the {@link errors} factories (in the manner of cdktf's
 * `lib/errors.ts`), so every message has the same shape: what is wrong, one line per problem
 * (field, value received, what is allowed), and how to fix it. `main.ts` catches this one type
 * and prints the message without a stack trace; any other error is a bug and keeps its trace.
 */

/** What the user got wrong, for callers that branch on it. */
export type UserErrorKind = 'configuration' | 'state-backend' | 'stack-props' | 'policy' | 'cost' | 'repository';

/** A mistake in the user's input: printed as its message alone, with exit code 1. */
export class UserError extends Error {
  /** What was wrong. */
  readonly kind: UserErrorKind;
  /** One line per problem found, each `<field>: received <value>; allowed: <...>`. */
  readonly problems: readonly string[];
  /** How to fix it, one sentence. */
  readonly fix: string;

  constructor(kind: UserErrorKind, summary: string, problems: readonly string[], fix: string) {
    super(`${summary}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix: ${fix}`);
    this.name = 'UserError';
    this.kind = kind;
    this.problems = problems;
    this.fix = fix;
  }

  /** True for a {@link UserError}, also across copies of this module (tsx and jest may load two). */
  static is(error: unknown): error is UserError {
    return error instanceof UserError || (error instanceof Error && error.name === 'UserError' && 'problems' in error);
  }
}

/** Formats one problem: the dotted field path, the value received, and what is allowed. */
export function invalidField(field: string, received: unknown, allowed: string): string {
  return `${field}: received ${describe(received)}; allowed: ${allowed}`;
}

const CONFIGURATION_FIX =
  'change these fields in config/environments.ts; docs/configuration.md lists every field with its unit, meaning and the value of each environment.';

/** The error factories; tests match the messages they build. */
export const errors: {
  readonly invalidEnvironment: (environment: string, problems: readonly string[]) => UserError;
  readonly invalidEnvironments: (failures: readonly { environment: string; problems: readonly string[] }[]) => UserError;
  readonly invalidStateBackend: (problems: readonly string[]) => UserError;
  readonly invalidRepository: (problems: readonly string[]) => UserError;
  readonly invalidProps: (owner: string, problems: readonly string[]) => UserError;
  readonly policyGateFailed: (stack: string, findings: readonly string[]) => UserError;
  readonly costEstimateFailed: (problems: readonly string[]) => UserError;
  readonly unknownStacks: (command: string, unknown: readonly string[], known: readonly string[]) => UserError;
} = {
  /** One environment's configuration (config/environments.ts) is invalid. */
  invalidEnvironment: (environment: string, problems: readonly string[]): UserError =>
    new UserError(
      'configuration',
      `Invalid configuration for environment "${environment}" (config/environments.ts)`,
      problems,
      CONFIGURATION_FIX,
    ),
  /** Several environments are invalid: all their problems at once, each prefixed with its environment. */
  invalidEnvironments: (failures: readonly { environment: string; problems: readonly string[] }[]): UserError =>
    failures.length === 1
      ? errors.invalidEnvironment(failures[0].environment, failures[0].problems)
      : new UserError(
          'configuration',
          `Invalid configuration for environments ${failures.map((f) => `"${f.environment}"`).join(', ')} (config/environments.ts)`,
          failures.flatMap((f) => f.problems.map((p) => `${f.environment}: ${p}`)),
          CONFIGURATION_FIX,
        ),
  /** The `TF_STATE_*` environment variables are invalid. */
  invalidStateBackend: (problems: readonly string[]): UserError =>
    new UserError(
      'state-backend',
      'Invalid state backend settings in the environment',
      problems,
      'set or unset these variables; docs/team-setup.md describes the shared S3 state.',
    ),
  /** The GitHub repository of config/repository.ts is invalid. */
  invalidRepository: (problems: readonly string[]): UserError =>
    new UserError(
      'repository',
      'Invalid GitHub repository (config/repository.ts)',
      problems,
      "change these fields of REPOSITORY in config/repository.ts to your repository's, as GitHub shows them; docs/team-setup.md explains where to find the ids.",
    ),
  /** A stack or construct was given invalid props. */
  invalidProps: (owner: string, problems: readonly string[]): UserError =>
    new UserError('stack-props', `Invalid props for ${owner}`, problems, `pass props in the allowed ranges to ${owner}.`),
  /** The policy gate found unsuppressed errors or bad suppressions in a stack. */
  policyGateFailed: (stack: string, findings: readonly string[]): UserError =>
    new UserError(
      'policy',
      `Policy check failed for stack "${stack}" (${findings.length} finding(s))`,
      findings,
      'fix the resource, or suppress the rule next to it with a reason; docs/security.md explains both.',
    ),
  /** A command was asked for stacks the app does not build. */
  unknownStacks: (command: string, unknown: readonly string[], known: readonly string[]): UserError =>
    new UserError(
      'stack-props',
      `${command}: no stack named ${unknown.map((s) => `"${s}"`).join(', ')}`,
      unknown.map((s) => invalidField('STACK', s, `one of the app's stacks: ${known.join(', ')}`)),
      'name stacks of config/environments.ts (state-bootstrap only exists when TF_STATE_BUCKET is set; state-bootstrap-<account> and ci-access-<account> follow the environments); `npm run environments` lists them.',
    ),
  /** `npm run cost` cannot price what it was given: a usage override, a stack, a Region or a resource without a price. */
  costEstimateFailed: (problems: readonly string[]): UserError =>
    new UserError(
      'cost',
      'Cannot estimate the cost',
      problems,
      'pass usage overrides as --usage <name>=<non-negative number>, or add the missing price (or the Region\'s prices) with its source URL and the day it was read to tools/cost/prices.ts; docs/operations.md describes both.',
    ),
};

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * Why a reason (a policy suppression's or a waiver's) is not acceptable, or undefined when it is one
 * sentence or more.
 */
export function reasonProblem(reason: unknown): string | undefined {
  if (typeof reason !== 'string' || reason.trim() === '') return 'has no reason';
  const text = reason.trim();
  const words = text.split(/\s+/).length;
  if (text.length < 20 || words < 4 || !/[.!?]$/.test(text)) {
    return `has a reason that is not a sentence ("${text}"); write at least one full sentence (20+ characters, 4+ words, ending with a period)`;
  }
  return undefined;
}
