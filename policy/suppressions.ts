/**
 * The suppression API the stacks use, next to the resource a suppression concerns:
 *
 *   suppressRule(this.instance, {
 *     ruleId: 'WB-RDS-MULTI-AZ',
 *     reason: 'dev is a workshop environment torn down after each session; Multi-AZ doubles the instance cost.',
 *   });
 *
 * A suppression is stored as construct metadata (like cdk-nag's `cdk_nag` metadata), recorded with the
 * construct's path. The engine maps it to the Terraform resources whose `//.metadata.path` is that path or
 * lies under it, so a suppression on a wrapper construct covers the resources it composes.
 */
import type { IConstruct } from 'constructs';
import type { RuleId } from './registry';

/** Metadata type under which suppressions are stored on a construct node. */
const SUPPRESSION_METADATA_TYPE = 'workshop-backend/policy-suppression';

export interface PolicySuppression {
  /** The rule to suppress, e.g. `WB-RDS-MULTI-AZ`: an id of the registry (a typo fails to compile). */
  readonly ruleId: RuleId;
  /** Why the finding is acceptable here: at least one full sentence (20+ characters, 4+ words, ending with a period). */
  readonly reason: string;
  /**
   * Limits the suppression to these findings (matched exactly against a finding's key, e.g.
   * `Policy::arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`). Each entry must match a finding.
   * @default - every finding of the rule on the resource
   */
  readonly appliesTo?: readonly string[];
}

/** A suppression together with the construct path it was declared on. */
export interface RecordedSuppression extends PolicySuppression {
  readonly constructPath: string;
}

/** Suppresses one rule on `scope` (a resource, or a construct whose resources it covers). */
export function suppressRule(scope: IConstruct, suppression: PolicySuppression): void {
  scope.node.addMetadata(SUPPRESSION_METADATA_TYPE, { ...suppression }, { stackTrace: false });
}

/** Every suppression declared on `root` or below it. */
export function collectSuppressions(root: IConstruct): RecordedSuppression[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === SUPPRESSION_METADATA_TYPE)
      .map((m) => ({ ...(m.data as PolicySuppression), constructPath: c.node.path })),
  );
}

// One rule for every reason, a suppression's or a waiver's (config/ validates waivers with it).
export { reasonProblem } from '../config/errors';
