/** The engine's statuses: what a rule's evaluations become in the report. */
import { evaluatePolicy } from '../../policy/engine';
import { orNotApplicable } from '../../policy/rule-helpers';
import type { Evaluation, Rule } from '../../policy/types';

/** A rule that reports `evaluations` whatever the document. */
function ruleReporting(evaluations: Evaluation[]): Rule {
  return { id: 'WB-TEST-RULE', title: 't', mirrors: [], severity: 'error', explanation: 'Fix: x', evaluate: () => evaluations };
}

describe('evaluatePolicy', () => {
  it('reports not-applicable, not pass, with what the rule looked for, when a rule has nothing to check', () => {
    const rule = ruleReporting(orNotApplicable([], 'aws_db_instance'));
    expect(evaluatePolicy({}, [], { rules: [rule], stackPath: 'dev' }).results).toEqual([
      { ruleId: 'WB-TEST-RULE', severity: 'error', address: 'stack', constructPath: 'dev', status: 'not-applicable', message: 'nothing to check: no aws_db_instance' },
    ]);
  });

  it('reports not-applicable for a rule that returns no evaluation at all, so no rule goes missing from the table', () => {
    const { results } = evaluatePolicy({}, [], { rules: [ruleReporting([])], stackPath: 'dev' });
    expect(results).toEqual([expect.objectContaining({ ruleId: 'WB-TEST-RULE', address: 'stack', status: 'not-applicable', message: 'nothing to check' })]);
  });

  it('keeps the verdicts of a rule that has something to check', () => {
    const rule = ruleReporting(orNotApplicable([{ address: 'aws_db_instance.db', compliant: true }], 'aws_db_instance'));
    expect(evaluatePolicy({}, [], { rules: [rule] }).results).toEqual([
      expect.objectContaining({ address: 'aws_db_instance.db', status: 'pass', message: 'compliant' }),
    ]);
  });
});
