/**
 * Hooks the policy pack into cdktf synth. `addPolicyChecks(app)` adds a {@link PolicyAspect} to every
 * stack; the aspect registers a node validation on the stack, which cdktf runs after all aspects
 * (`StackSynthesizer.synthesize` calls `invokeAspects` then `runAllValidations`). The validation reads
 * the stack's final Terraform JSON (`stack.toTerraform()`, tokens resolved, overrides applied) and
 * reports through annotations: an error annotation makes `app.synth()` throw
 * (`encounteredAnnotationWithLevelError`), a warning is printed.
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
   * Where warnings are printed (cdktf's CLI prints annotations, `tsx main.ts` does not).
   * @default - console.warn
   */
  readonly log?: (line: string) => void;
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

/** Turns a report into annotations on the constructs concerned. */
export function annotateReport(stack: TerraformStack, report: PolicyReport, log: (line: string) => void): void {
  for (const r of report.results.filter((x) => x.status === 'fail')) {
    const rule = ruleById(r.ruleId);
    const text = `[${r.ruleId}] ${r.address}: ${r.message}. ${rule?.title ?? ''}. ${rule?.explanation ?? ''} (mirrors ${rule?.mirrors.join(', ') || 'no scanner'})`;
    if (r.severity === 'error') {
      Annotations.of(findConstruct(stack, r.constructPath)).addError(text);
    } else {
      Annotations.of(findConstruct(stack, r.constructPath)).addWarning(text);
      log(`policy warning: ${stack.node.id}: ${text}`);
    }
  }
  for (const p of report.problems) {
    Annotations.of(findConstruct(stack, p.constructPath)).addError(`[policy-suppression] ${p.message}`);
  }
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
        annotateReport(stack, evaluateStack(stack, this.options.rules), this.options.log ?? ((l) => console.warn(l)));
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
