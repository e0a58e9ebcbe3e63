/** The policy pack's public surface, for main.ts, the stacks and tools/policy.ts. */
export { addPolicyChecks, evaluateStack, type PolicyCheckOptions } from './check';
export { isClean, type PolicyReport, type PolicyResult, type ResultStatus } from './engine';
export { RULES, type RuleId } from './registry';
export { suppressRule, type PolicySuppression } from './suppressions';
export { managedPolicyFinding } from './iam';
export { NEWEST_NODEJS_RUNTIME } from './rules/lambda/latest-runtime';
