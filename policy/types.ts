/**
 * The vocabulary of the policy pack: a rule reads the synthesized Terraform JSON of one stack
 * (the `cdk.tf.json` document) and returns one evaluation per resource it applies to.
 */

/** The synthesized Terraform JSON of one stack, as `stack.toTerraform()` returns it. */
export interface TerraformDocument {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly [key: string]: unknown;
}

/** One resource (or data source) of the document. */
export interface TfResource {
  /** Terraform type, e.g. `aws_db_instance`. */
  readonly type: string;
  /** Terraform name (the cdktf `friendlyUniqueId`), e.g. `database_instance_A1B2C3`. */
  readonly name: string;
  /** Terraform address: `aws_db_instance.database_instance_A1B2C3`, or `data.<type>.<name>`. */
  readonly address: string;
  /** Construct path cdktf records under `//.metadata.path`, when present. */
  readonly constructPath?: string;
  /** The resource's arguments, snake_case, exactly as synthesized. */
  readonly body: Record<string, unknown>;
}

/** `error` fails synth; `warning` is printed and shown in the table. */
export type Severity = 'error' | 'warning';

/** The verdict of one rule on one resource (or on `stack`, for a rule that reads the whole document). */
export interface Verdict {
  /** Terraform address of the resource the verdict is about, or `stack`. */
  readonly address: string;
  /** True when the resource complies. */
  readonly compliant: boolean;
  /** What is wrong (for a failure) or what was checked (for a pass), one line. */
  readonly message?: string;
  /**
   * A finer key for the finding, matched by a suppression's `appliesTo` (as cdk-nag's
   * `Policy::<arn>` / `Resource::*`); e.g. the managed policy ARN an attachment grants.
   */
  readonly finding?: string;
}

/**
 * What a rule reports when the stack holds nothing it checks (cdk-nag's `NOT_APPLICABLE`): one per
 * rule and stack, so `npm run policy` shows that the rule ran without counting it as a pass.
 * Build it with `orNotApplicable` (policy/rule-helpers.ts).
 */
export interface NotApplicable {
  readonly address: 'stack';
  readonly notApplicable: true;
  /** What the rule looked for, e.g. `nothing to check: no aws_db_instance`. */
  readonly message: string;
}

/** One entry of a rule's report on a stack. */
export type Evaluation = Verdict | NotApplicable;

/** One policy rule: a small pure function plus the metadata the table and docs print. */
export interface Rule {
  /** Stable id, `WB-<SERVICE>-<WHAT>`; suppressions reference it. */
  readonly id: string;
  /** One line: what a compliant resource looks like. */
  readonly title: string;
  /** The scanner ids this rule mirrors (Checkov, Trivy/tfsec, cdk-nag); empty for project-only rules. */
  readonly mirrors: readonly string[];
  readonly severity: Severity;
  /** Why it matters and how to fix it. */
  readonly explanation: string;
  /** Evaluates the rule over the whole document (graph rules need more than one resource). */
  evaluate(doc: TerraformDocument): Evaluation[];
}
