/**
 * Hooks the policy pack into cdktf synth. `addPolicyChecks(app)` adds a {@link PolicyAspect} to every
 * stack; the aspect registers a node validation on the stack, which cdktf runs after all aspects
 * (`StackSynthesizer.synthesize` calls `invokeAspects` then `runAllValidations`). The validation reads
 * the stack's final Terraform JSON (`stack.toTerraform()`, tokens resolved, overrides applied) and
 * reports through annotations: an error annotation makes `app.synth()` throw
 * (`encounteredAnnotationWithLevelError`), a warning is printed.
 *
 * Errors are also printed and set `process.exitCode = 1`: with CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS
 * set (which cdktf's own error message suggests), cdktf neither throws nor prints error annotations,
 * and synth would exit 0 on a failing rule (README, "Security").
 */
import { Annotations, Aspects, TerraformStack, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { evaluatePolicy, type PolicyReport } from './engine';
import { ruleById } from './registry';
import { collectSuppressions } from './suppressions';
import type { Rule, TerraformDocument } from './types';

export interface PolicyCheckOptions {
  /** @default RULES - the registry */
  readonly rules?: readonly Rule[];
  /**
   * Where findings are printed, errors and warnings, one line each (cdktf's CLI prints annotations,
   * `tsx main.ts` does not, and no one does with CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS set).
   * @default - console.warn (stderr)
   */
  readonly log?: (line: string) => void;
  /**
   * Called once per stack that has an error (a failing error-severity rule or a bad suppression), so
   * the process fails even when cdktf is told to continue past error annotations.
   * @default - sets `process.exitCode = 1`
   */
  readonly fail?: () => void;
}

/** Evaluates one stack: its synthesized JSON and the suppressions declared in it. */
export function evaluateStack(stack: TerraformStack, rules?: readonly Rule[]): PolicyReport {
  const doc = stack.toTerraform() as TerraformDocument;
  return evaluatePolicy(doc, collectSuppressions(stack), { rules, stackPath: stack.node.path });
}

function findConstruct(stack: TerraformStack, path: string | undefined): IConstruct {
  if (!path) return stack;
  return stack.node.findAll().find((c) => c.node.path === path) ?? stack;
}

/**
 * Turns a report into annotations on the constructs concerned, and prints each finding.
 * @returns the number of errors: failing error-severity results and suppression problems
 */
export function annotateReport(stack: TerraformStack, report: PolicyReport, log: (line: string) => void): number {
  let errors = 0;
  for (const r of report.results.filter((x) => x.status === 'fail')) {
    const rule = ruleById(r.ruleId);
    const text = `[${r.ruleId}] ${r.address}: ${r.message}. ${rule?.title ?? ''}. ${rule?.explanation ?? ''} (mirrors ${rule?.mirrors.join(', ') || 'no scanner'})`;
    if (r.severity === 'error') {
      errors += 1;
      Annotations.of(findConstruct(stack, r.constructPath)).addError(text);
      log(`policy error: ${stack.node.id}: ${text}`);
    } else {
      Annotations.of(findConstruct(stack, r.constructPath)).addWarning(text);
      log(`policy warning: ${stack.node.id}: ${text}`);
    }
  }
  for (const p of report.problems) {
    errors += 1;
    const text = `[policy-suppression] ${p.message}`;
    Annotations.of(findConstruct(stack, p.constructPath)).addError(text);
    log(`policy error: ${stack.node.id}: ${p.constructPath}: ${text}`);
  }
  return errors;
}

/** The default {@link PolicyCheckOptions.fail}: the process exits non-zero once synth returns. */
function failProcess(): void {
  process.exitCode = 1;
}

/** The aspect: on a stack, registers the policy validation once. */
export class PolicyAspect implements IAspect {
  private readonly registered = new WeakSet<TerraformStack>();

  constructor(private readonly options: PolicyCheckOptions = {}) {}

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.registered.has(node)) return;
    const stack = node;
    this.registered.add(stack);
    stack.node.addValidation({
      validate: () => {
        const log = this.options.log ?? ((l: string) => console.warn(l));
        const errors = annotateReport(stack, evaluateStack(stack, this.options.rules), log);
        if (errors > 0) {
          log(`policy: ${stack.node.id}: ${errors} error(s); synth fails (README, "Security")`);
          (this.options.fail ?? failProcess)();
        }
        return [];
      },
    });
  }
}

/**
 * Adds the policy check to every stack under `scope` (call it after the stacks exist, before
 * `app.synth()`). Aspects on the App itself are not applied by cdktf, hence one per stack.
 */
export function addPolicyChecks(scope: IConstruct, options: PolicyCheckOptions = {}): void {
  const aspect = new PolicyAspect(options);
  scope.node
    .findAll()
    .filter((c): c is TerraformStack => TerraformStack.isStack(c))
    .forEach((stack) => Aspects.of(stack).add(aspect));
}
