/** The policy pack's public surface, for main.ts, the stacks and tools/policy.ts. */
export { addPolicyChecks, evaluateStack, PolicyAspect, type PolicyCheckOptions } from './check';
export { evaluatePolicy, isClean, blockingFailures, type PolicyReport, type PolicyResult, type ResultStatus } from './engine';
export { RULES, ruleById } from './registry';
export { suppressRule, suppressRules, type PolicySuppression } from './suppressions';
export type { Rule, Evaluation, Severity } from './types';
