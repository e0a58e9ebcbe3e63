/** `npm run policy`'s summary: every status counted apart. */
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { evaluateStack, RULES } from '../../policy';
import { main, summaryLine } from '../../tools/policy';
import type { EnvironmentConfig } from '../../config/types';
import { prod } from '../support/environments';
import { withField } from '../support/synth';
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

describe('npm run policy on a production-profile environment', () => {
  /** Runs the command in this process with `environments`, capturing stdout, stderr and the exit code. */
  function run(argv: string[], environments: readonly EnvironmentConfig[]): { code: number; out: string; err: string } {
    const out: string[] = [];
    const err: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((text: string | Uint8Array) => (err.push(String(text)), true));
    try {
      return { code: main(argv, {}, environments), out: out.join('\n'), err: err.join('') };
    } finally {
      log.mockRestore();
      write.mockRestore();
    }
  }
  const singleAz = withField(prod, 'database.multiAz', false) as EnvironmentConfig;

  it('fails a protection turned off without a waiver, naming the rule', () => {
    const { code, out } = run(['prod', '--failures'], [singleAz]);
    expect(code).toBe(1);
    expect(out).toMatch(/prod +WB-RDS-MULTI-AZ +aws_db_instance\.\S+ +FAIL/);
    expect(out).toContain('Waivers: none');
  });

  it('shows the waiver that accepts it, with its expiry and reason, and passes', () => {
    const waiver = { ruleId: 'WB-RDS-MULTI-AZ', reason: 'Single-AZ during the pilot, accepted by the platform team.', expires: '2999-12-31' };
    const { code, out } = run(['prod'], [{ ...singleAz, waivers: [waiver] }]);
    expect(code).toBe(0);
    expect(out).toContain('Waivers (1), each until the date it names (config/environments.ts):');
    expect(out).toMatch(/prod +WB-RDS-MULTI-AZ +aws_db_instance\.\S+ +Waiver until 2999-12-31: Single-AZ during the pilot, accepted by the platform team\./);
  });

  it('refuses an unknown stack with exit code 1', () => {
    const { code, err } = run(['nosuch'], [prod]);
    expect(code).toBe(1);
    expect(err).toContain('npm run policy: no stack named "nosuch"');
    expect(err).toContain("one of the app's stacks: prod, state-bootstrap");
  });
});
