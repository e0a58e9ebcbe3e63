/** The exceptions the stacks declare: typed rule ids, reasons the engine accepts, and exceptions that follow the profile. */
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { POLICY_EXCEPTION_REASONS, PROFILE_EXCEPTIONS, setPolicyProfile, suppress, suppressWhen } from '../../../stacks/constructs/policy-exceptions';
import { reasonProblem } from '../../../policy/suppressions';
import { PROFILE_NAMES } from '../../../config/types';
import { testApp } from '../../support/synth';

const ruleIds = (stack: TerraformStack): string[] => stack.node.metadata.map((m) => (m.data as { ruleId: string }).ruleId);

describe('suppress and suppressWhen', () => {
  it('take only rule ids of the registry: a misspelled id fails to compile', () => {
    const stack = new TerraformStack(testApp(), 'typed');
    // Checked by `tsc --noEmit` (`npm test`): the directive itself fails the build if the line compiles.
    // @ts-expect-error 'WB-RDS-MULTI-AZZ' is not a RuleId
    suppressWhen(false, stack, 'WB-RDS-MULTI-AZZ', 'multiAz');
    suppress(stack, 'WB-RDS-ENHANCED-MONITORING', 'enhancedMonitoring');
    expect(ruleIds(stack)).toEqual(['WB-RDS-ENHANCED-MONITORING']);
  });

  it('suppresses a workshop-profile exception only when the control is off', () => {
    const stack = new TerraformStack(testApp(), 'workshop');
    setPolicyProfile(stack, 'workshop');
    suppressWhen(false, stack, 'WB-RDS-DELETION-PROTECTION', 'deletionProtection');
    suppressWhen(true, stack, 'WB-RDS-MULTI-AZ', 'multiAz');
    expect(stack.node.metadata.map((m) => m.data)).toEqual([{ ruleId: 'WB-RDS-MULTI-AZ', reason: PROFILE_EXCEPTIONS.workshop.multiAz, appliesTo: undefined }]);
  });

  it('suppresses no protection in a production-profile stack, nor in a stack that states no profile', () => {
    const production = new TerraformStack(testApp(), 'production');
    setPolicyProfile(production, 'production');
    const unstated = new TerraformStack(testApp(), 'unstated');
    for (const stack of [production, unstated]) {
      suppressWhen(true, stack, 'WB-RDS-MULTI-AZ', 'multiAz');
      suppressWhen(true, stack, 'WB-RDS-DELETION-PROTECTION', 'deletionProtection');
      suppressWhen(true, stack, 'WB-RDS-FINAL-SNAPSHOT', 'finalSnapshot');
      suppressWhen(true, stack, 'WB-LAMBDA-TRACING', 'tracingPassThrough');
      expect(ruleIds(stack)).toEqual(['WB-LAMBDA-TRACING']);
    }
  });

  it.each([
    ['workshop', [{ ruleId: 'WB-LAMBDA-NO-MASTER-SECRET', reason: POLICY_EXCEPTION_REASONS.migrationFunction }, { ruleId: 'WB-LAMBDA-NO-MASTER-SECRET', reason: PROFILE_EXCEPTIONS.workshop.masterSecretFunction }]],
    ['production', [{ ruleId: 'WB-LAMBDA-NO-MASTER-SECRET', reason: POLICY_EXCEPTION_REASONS.migrationFunction }]],
  ] as const)('lets the migration function read the master secret in every profile, and an application function only in the workshop profile (%s)', (profile, expected) => {
    const stack = new TerraformStack(testApp(), profile);
    setPolicyProfile(stack, profile);
    const migration = new Construct(stack, 'migrations');
    const application = new Construct(stack, 'app');
    // As the stack owner declares them (issue 20): the migration function always, an application function when it logs in with the master secret.
    suppress(migration, 'WB-LAMBDA-NO-MASTER-SECRET', 'migrationFunction');
    suppressWhen(true, application, 'WB-LAMBDA-NO-MASTER-SECRET', 'masterSecretFunction');
    suppressWhen(false, stack, 'WB-LAMBDA-NO-MASTER-SECRET', 'masterSecretFunction');
    const declared = [stack, migration, application].flatMap((c) => c.node.metadata.map((m) => m.data as { ruleId: string; reason: string }));
    expect(declared.map(({ ruleId, reason }) => ({ ruleId, reason }))).toEqual(expected);
  });

  it.each([
    ...Object.entries(POLICY_EXCEPTION_REASONS),
    ...PROFILE_NAMES.flatMap((profile) => Object.entries(PROFILE_EXCEPTIONS[profile]).map(([name, reason]) => [`${profile}.${name}`, reason])),
  ])('gives %s a reason the engine accepts (one full sentence or more)', (_name, reason) => {
    expect(reasonProblem(reason)).toBeUndefined();
  });

  it.each(Object.entries(PROFILE_EXCEPTIONS.workshop))("names the workshop profile in the reason of the workshop's %s exception", (_name, reason) => {
    expect(reason).toMatch(/^The workshop profile /);
  });
});
