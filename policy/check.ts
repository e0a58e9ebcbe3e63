/**
 * Hooks the policy pack into cdktf synth. `addPolicyChecks(app)` adds a {@link PolicyAspect} to every
 * stack; the aspect registers a node validation on the stack, which cdktf runs after all aspects
 * (`StackSynthesizer.synthesize` calls `invokeAspects` then `runAllValidations`) and before it
 * writes the stack. The validation reads the stack's final Terraform JSON (`stack.toTerraform()`,
 * tokens resolved, overrides applied). Warnings are printed and added as warning annotations. Errors
 * (failing error-severity rules and bad suppressions) throw a `UserError` listing every finding of
 * the stack (`errors.policyGateFailed`): synth stops before that stack is written, `main.ts` prints
 * the findings without a stack trace and exits 1. A thrown error, unlike an error annotation, cannot
 * be silenced by CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS (docs/security.md).
 */
import { Annotations, Aspects, TerraformStack, type IAspect } from 'cdktf';
import { errors } from '../config/errors';
import type { IConstruct } from 'constructs';
import { evaluatePolicy, type PolicyReport, type PolicyResult } from './engine';
import { ruleById } from './registry';
import { collectSuppressions } from './suppressions';
import type { Rule, TerraformDocument } from './types';

export interface PolicyCheckOptions {
  /** @default RULES - the registry */
  readonly rules?: readonly Rule[];
  /**
   * Where warnings are printed, one line each (cdktf's CLI prints annotations, `node main.ts` does not).
   * @default - console.warn (stderr)
   */
  readonly log?: (line: string) => void;
}

/** Evaluates one stack: its synthesized JSON and the suppressions declared in it. */
export function evaluateStack(stack: TerraformStack, rules?: readonly Rule[]): PolicyReport {
  return evaluateDocument(stack, stack.toTerraform() as TerraformDocument, rules);
}

function evaluateDocument(stack: TerraformStack, doc: TerraformDocument, rules?: readonly Rule[]): PolicyReport {
  return evaluatePolicy(doc, collectSuppressions(stack), { rules, stackPath: stack.node.path });
}

/**
 * Makes the stack's next `toTerraform()` return `doc` instead of resolving every token again, then
 * forget it. cdktf's StackSynthesizer calls `stack.toTerraform()` to write the stack right after
 * the validations (only file-copying custom synthesis and annotations come between, which do not
 * change the document), so the validation's document is the one it would compute: resolving each
 * stack once instead of twice saves about a tenth of a synth. A test checks the written JSON is
 * the same with and without the policy check.
 */
function reuseOnceForWriting(stack: TerraformStack, doc: TerraformDocument): void {
  const target = stack as unknown as { toTerraform?: () => unknown };
  target.toTerraform = () => {
    delete target.toTerraform;
    return doc;
  };
}

function findConstruct(stack: TerraformStack, path: string | undefined): IConstruct {
  if (!path) return stack;
  return stack.node.findAll().find((c) => c.node.path === path) ?? stack;
}

/** One line per finding: `[rule] address: what is wrong. The rule. Why and how to fix. (mirrors ...)`. */
function findingText(r: PolicyResult): string {
  const rule = ruleById(r.ruleId);
  return `[${r.ruleId}] ${r.address}: ${r.message}. ${rule?.title ?? ''}. ${rule?.explanation ?? ''} (mirrors ${rule?.mirrors.join(', ') || 'no scanner'})`;
}

/**
 * Annotates and prints the warnings of a report, then throws when it has errors.
 * @throws UserError (`errors.policyGateFailed`) listing every unsuppressed error and bad suppression
 */
function enforceReport(stack: TerraformStack, report: PolicyReport, log: (line: string) => void): void {
  const findings: string[] = [];
  for (const r of report.results.filter((x) => x.status === 'fail')) {
    if (r.severity === 'error') {
      findings.push(findingText(r));
    } else {
      Annotations.of(findConstruct(stack, r.constructPath)).addWarning(findingText(r));
      log(`policy warning: ${stack.node.id}: ${findingText(r)}`);
    }
  }
  for (const p of report.problems) findings.push(`[policy-suppression] ${p.constructPath}: ${p.message}`);
  if (findings.length > 0) throw errors.policyGateFailed(stack.node.id, findings);
}

/** The aspect: on a stack, registers the policy validation once. */
class PolicyAspect implements IAspect {
  private readonly registered = new WeakSet<TerraformStack>();

  constructor(private readonly options: PolicyCheckOptions = {}) {}

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.registered.has(node)) return;
    const stack = node;
    this.registered.add(stack);
    stack.node.addValidation({
      validate: () => {
        const doc = stack.toTerraform() as TerraformDocument;
        enforceReport(stack, evaluateDocument(stack, doc, this.options.rules), this.options.log ?? ((l: string) => console.warn(l)));
        reuseOnceForWriting(stack, doc);
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
