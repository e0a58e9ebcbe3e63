/** Shapes most rules share: "every resource of type T must satisfy P". */
import { resources } from './terraform-json';
import type { Evaluation, TerraformDocument, TfResource } from './types';

/**
 * Builds an `evaluate` that checks each resource of the given types on its own.
 * `check` returns the failure message, or undefined when the resource complies.
 */
export function eachResource(
  types: string | readonly string[],
  check: (r: TfResource, doc: TerraformDocument) => string | undefined,
  passMessage = 'compliant',
): (doc: TerraformDocument) => Evaluation[] {
  const list = typeof types === 'string' ? [types] : types;
  return (doc) =>
    list.flatMap((t) =>
      resources(doc, t).map((r) => {
        const failure = check(r, doc);
        return failure === undefined
          ? { address: r.address, compliant: true, message: passMessage }
          : { address: r.address, compliant: false, message: failure };
      }),
    );
}

/** Shorthand for a passing or failing evaluation. */
export function verdict(r: TfResource, failure: string | undefined, finding?: string): Evaluation {
  return failure === undefined
    ? { address: r.address, compliant: true, message: 'compliant', finding }
    : { address: r.address, compliant: false, message: failure, finding };
}

/** True for a Postgres engine (`postgres`; Aurora is out of scope for these instance rules). */
export function isPostgres(r: TfResource): boolean {
  return r.body.engine === 'postgres';
}
