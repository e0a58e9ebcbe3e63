import type { Rule } from '../../types';
import { blocks, isTrue, resources } from '../../terraform-json';
import { orNotApplicable } from '../../rule-helpers';

/**
 * The arguments that give an AWS resource a name that must be unique in the account and region.
 * Each has a `*_prefix` twin (or none exists, and then create_before_destroy cannot work at all).
 */
export const UNIQUE_NAME_ARGUMENTS = ['name', 'identifier', 'bucket', 'function_name'] as const;

export const terraformCreateBeforeDestroyNamePrefix = {
  id: 'WB-TF-CBD-NAME-PREFIX' as const,
  title: 'No resource combines create_before_destroy with a fixed name',
  mirrors: [],
  severity: 'error',
  explanation:
    'create_before_destroy creates the replacement while the old resource still exists, so a fixed name collides ' +
    '(AlreadyExists) on any replacement. Fix: name_prefix (or identifier_prefix, bucket_prefix) instead of the ' +
    'fixed name, and reference the resource by its id or name attribute.',
  evaluate: (doc) =>
    orNotApplicable(
      resources(doc)
        .filter((r) => blocks(r.body.lifecycle).some((l) => isTrue(l.create_before_destroy)))
        .map((r) => {
          const fixed = UNIQUE_NAME_ARGUMENTS.filter((a) => typeof r.body[a] === 'string');
          return fixed.length === 0
            ? { address: r.address, compliant: true, message: 'create_before_destroy with a generated name' }
            : { address: r.address, compliant: false, message: `create_before_destroy with a fixed ${fixed.join(', ')}: use the *_prefix argument` };
        }),
      'resource with create_before_destroy',
    ),
} satisfies Rule;
