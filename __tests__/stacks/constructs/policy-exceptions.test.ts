/** The suppressions the stacks declare: typed rule ids, and reasons the engine accepts. */
import { TerraformStack } from 'cdktf';
import { POLICY_EXCEPTION_REASONS, suppress, suppressWhen } from '../../../stacks/constructs/policy-exceptions';
import { reasonProblem } from '../../../policy/suppressions';
import { testApp } from '../../support/synth';

describe('suppress and suppressWhen', () => {
  it('take only rule ids of the registry: a misspelled id fails to compile', () => {
    const stack = new TerraformStack(testApp(), 'typed');
    // Checked by `tsc --noEmit` (`npm test`): the directive itself fails the build if the line compiles.
    // @ts-expect-error 'WB-RDS-MULTI-AZZ' is not a RuleId
    suppressWhen(false, stack, 'WB-RDS-MULTI-AZZ', 'multiAz');
    suppress(stack, 'WB-RDS-MULTI-AZ', 'multiAz');
    expect(stack.node.metadata.map((m) => (m.data as { ruleId: string }).ruleId)).toEqual(['WB-RDS-MULTI-AZ']);
  });

  it('suppress always; suppressWhen only when its condition holds', () => {
    const stack = new TerraformStack(testApp(), 'conditions');
    suppressWhen(false, stack, 'WB-RDS-DELETION-PROTECTION', 'deletionProtection');
    suppressWhen(true, stack, 'WB-RDS-MULTI-AZ', 'multiAz');
    suppress(stack, 'WB-RDS-ENHANCED-MONITORING', 'enhancedMonitoring');
    expect(stack.node.metadata.map((m) => (m.data as { ruleId: string }).ruleId)).toEqual(['WB-RDS-MULTI-AZ', 'WB-RDS-ENHANCED-MONITORING']);
  });

  it.each(Object.entries(POLICY_EXCEPTION_REASONS))('gives %s a reason the engine accepts (one full sentence or more)', (_name, reason) => {
    expect(reasonProblem(reason)).toBeUndefined();
  });
});
