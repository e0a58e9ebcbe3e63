/** Shapes most rules share: "every resource of type T must satisfy P". */
import { resources } from './terraform-json';
import type { Evaluation, TerraformDocument, TfResource, Verdict } from './types';

/**
 * The evaluations of a rule, or, when there are none, one stack-level `not-applicable` entry that
 * says what was looked for. Every rule reports at least one result per stack, so `npm run policy`
 * shows that it ran (a rule with no row looks skipped), and "nothing to check" is never counted as
 * a pass.
 */
export function orNotApplicable(evaluations: Evaluation[], lookedFor: string): Evaluation[] {
  return evaluations.length > 0 ? evaluations : [{ address: 'stack', notApplicable: true, message: `nothing to check: no ${lookedFor}` }];
}

/**
 * Builds an `evaluate` that checks each resource of the given types on its own (`not-applicable`
 * when there is none, see {@link orNotApplicable}).
 * `check` returns the failure message, or undefined when the resource complies.
 */
export function eachResource(
  types: string | readonly string[],
  check: (r: TfResource, doc: TerraformDocument) => string | undefined,
  passMessage = 'compliant',
): (doc: TerraformDocument) => Evaluation[] {
  const list = typeof types === 'string' ? [types] : types;
  return (doc) =>
    orNotApplicable(
      list.flatMap((t) =>
        resources(doc, t).map((r) => {
          const failure = check(r, doc);
          return failure === undefined
            ? { address: r.address, compliant: true, message: passMessage }
            : { address: r.address, compliant: false, message: failure };
        }),
      ),
      list.join(', '),
    );
}

/** Shorthand for a passing or failing evaluation. */
export function verdict(r: TfResource, failure: string | undefined, finding?: string): Verdict {
  return failure === undefined
    ? { address: r.address, compliant: true, message: 'compliant', finding }
    : { address: r.address, compliant: false, message: failure, finding };
}

/** True for a Postgres engine (`postgres`; Aurora is out of scope for these instance rules). */
export function isPostgres(r: TfResource): boolean {
  return r.body.engine === 'postgres';
}
