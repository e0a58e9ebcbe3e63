/** The suppression API and the synth hook: what a suppression may and may not do. */
import { UserError } from '../../config/errors';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { addPolicyChecks, evaluateStack, suppressRule } from '../../policy';
import { compliantFixture } from '../support/policy-fixture';

const VPC_ACCESS = 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole';
const REASON = 'dev is torn down after each workshop session; Multi-AZ would double the instance cost.';

describe('policy suppressions', () => {
  it('turns a failure into "suppressed" with the reason when declared on the resource', () => {
    const f = compliantFixture();
    f.db.addOverride('multi_az', false);
    suppressRule(f.db, { ruleId: 'WB-RDS-MULTI-AZ', reason: REASON });
    const report = evaluateStack(f.stack);
    expect(report.problems).toEqual([]);
    expect(report.results.filter((r) => r.status !== 'pass')).toEqual([
      expect.objectContaining({ ruleId: 'WB-RDS-MULTI-AZ', status: 'suppressed', reason: REASON }),
    ]);
  });

  it('covers the resources under a wrapper construct when declared on the wrapper', () => {
    const f = compliantFixture();
    f.db.addOverride('multi_az', false);
    suppressRule(f.stack, { ruleId: 'WB-RDS-MULTI-AZ', reason: REASON });
    expect(evaluateStack(f.stack).results.find((r) => r.ruleId === 'WB-RDS-MULTI-AZ')?.status).toBe('suppressed');
  });

  it('rejects a suppression without a reason, and keeps the finding failing', () => {
    const f = compliantFixture();
    f.db.addOverride('multi_az', false);
    suppressRule(f.db, { ruleId: 'WB-RDS-MULTI-AZ', reason: '' });
    const report = evaluateStack(f.stack);
    expect(report.problems).toEqual([expect.objectContaining({ ruleId: 'WB-RDS-MULTI-AZ', message: expect.stringMatching(/has no reason/) })]);
    expect(report.results.find((r) => r.ruleId === 'WB-RDS-MULTI-AZ')?.status).toBe('fail');
  });

  it('rejects a reason that is not a sentence', () => {
    const f = compliantFixture();
    f.db.addOverride('multi_az', false);
    suppressRule(f.db, { ruleId: 'WB-RDS-MULTI-AZ', reason: 'cost' });
    expect(evaluateStack(f.stack).problems[0].message).toMatch(/not a sentence/);
  });

  it('rejects a suppression of an unknown rule id: it does not compile, and synth rejects one that gets past the types', () => {
    const f = compliantFixture();
    // The type-level test (`tsc --noEmit` in `npm test`): ruleId is a RuleId of the registry, so a
    // misspelled id is a compile error, and this directive fails the build if it ever compiles.
    // @ts-expect-error 'WB-RDS-NO-SUCH-RULE' is not a RuleId
    suppressRule(f.db, { ruleId: 'WB-RDS-NO-SUCH-RULE', reason: REASON });
    expect(evaluateStack(f.stack).problems).toEqual([expect.objectContaining({ message: 'suppresses unknown rule id WB-RDS-NO-SUCH-RULE' })]);
  });

  it('rejects a suppression that matches no finding', () => {
    const f = compliantFixture();
    suppressRule(f.db, { ruleId: 'WB-RDS-MULTI-AZ', reason: REASON });
    expect(evaluateStack(f.stack).problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/matches no finding/) })]);
  });

  it('limits a suppression to the findings named in appliesTo', () => {
    const f = compliantFixture();
    const attachment = new IamRolePolicyAttachment(f.stack, 'vpc-access', { role: f.fnRole.name, policyArn: VPC_ACCESS });
    suppressRule(attachment, {
      ruleId: 'WB-IAM-NO-WILDCARD-RESOURCE',
      reason: 'AWS documents ec2:CreateNetworkInterface and friends as requiring Resource "*" for Lambda in a VPC.',
      appliesTo: [`Policy::${VPC_ACCESS}`],
    });
    const report = evaluateStack(f.stack);
    expect(report.problems).toEqual([]);
    expect(report.results.find((r) => r.ruleId === 'WB-IAM-NO-WILDCARD-RESOURCE' && r.finding === `Policy::${VPC_ACCESS}`)).toEqual(
      expect.objectContaining({ status: 'suppressed', finding: `Policy::${VPC_ACCESS}` }),
    );
  });

  it('rejects an appliesTo entry that matches no finding, and does not suppress other findings', () => {
    const f = compliantFixture();
    const attachment = new IamRolePolicyAttachment(f.stack, 'vpc-access', { role: f.fnRole.name, policyArn: VPC_ACCESS });
    suppressRule(attachment, {
      ruleId: 'WB-IAM-NO-WILDCARD-RESOURCE',
      reason: 'This names the wrong policy, so it must not hide the real finding.',
      appliesTo: ['Policy::arn:aws:iam::aws:policy/SomethingElse'],
    });
    const report = evaluateStack(f.stack);
    expect(report.results.find((r) => r.ruleId === 'WB-IAM-NO-WILDCARD-RESOURCE' && r.finding === `Policy::${VPC_ACCESS}`)?.status).toBe('fail');
    expect(report.problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/matches no finding/) })]);
  });
});

describe('policy check on synth', () => {
  /** Options that record the warnings the check prints. */
  function recorder(): { lines: string[]; options: { log: (l: string) => void } } {
    const lines: string[] = [];
    return { lines, options: { log: (l) => lines.push(l) } };
  }

  it('lets a compliant stack synthesize, printing nothing', () => {
    const f = compliantFixture();
    const r = recorder();
    addPolicyChecks(f.app, r.options);
    expect(() => f.app.synth()).not.toThrow();
    expect(r.lines).toEqual([]);
  });

  it('fails synth with a UserError naming the stack and the rule when a stack violates a rule', () => {
    const f = compliantFixture();
    f.db.addOverride('storage_encrypted', false);
    addPolicyChecks(f.app, recorder().options);
    expect(() => f.app.synth()).toThrow(UserError);
    expect(() => f.app.synth()).toThrow(/Policy check failed for stack "fixture"[\s\S]*\[WB-RDS-STORAGE-ENCRYPTED\] aws_db_instance\.db/);
  });

  it('fails synth on an unjustified suppression', () => {
    const f = compliantFixture();
    f.db.addOverride('multi_az', false);
    suppressRule(f.db, { ruleId: 'WB-RDS-MULTI-AZ', reason: ' ' });
    addPolicyChecks(f.app, recorder().options);
    expect(() => f.app.synth()).toThrow(/\[policy-suppression\] fixture\/db: suppression of WB-RDS-MULTI-AZ has no reason/);
  });

  it('reports a warning-level failure as a printed warning, not an error', () => {
    const f = compliantFixture();
    f.db.addOverride('multi_az', false);
    const warningRule = {
      id: 'WB-RDS-MULTI-AZ', title: 't', mirrors: [], severity: 'warning' as const, explanation: 'Fix: x',
      evaluate: () => [{ address: 'aws_db_instance.db', compliant: false, message: 'multi_az is not true' }],
    };
    const r = recorder();
    addPolicyChecks(f.app, { ...r.options, rules: [warningRule] });
    expect(() => f.app.synth()).not.toThrow();
    expect(r.lines).toEqual([expect.stringMatching(/policy warning: fixture: \[WB-RDS-MULTI-AZ\]/)]);
  });
});
