/** `npm run policy`'s summary: every status counted apart. */
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { evaluateStack, RULES } from '../../policy';
import { summaryLine } from '../../tools/policy';
import { scratchDir } from '../support/scratch';

describe('npm run policy', () => {
  it('counts not-applicable rules apart from passes in the summary line', () => {
    const stack = new TerraformStack(new App({ outdir: scratchDir('policy-summary-') }), 'empty');
    new AwsProvider(stack, 'aws', { region: 'ap-southeast-1' });
    // The three rules that forbid something anywhere in the stack pass; every other rule has nothing to check.
    expect(summaryLine({ stack: 'empty', report: evaluateStack(stack) })).toBe(
      `empty: 3 pass, ${RULES.length - 3} not applicable, 0 suppressed, 0 fail, 0 bad suppressions: clean`,
    );
  });
});
