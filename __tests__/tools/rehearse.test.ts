/**
 * The stack rehearsal of `npm run rehearse` (tools/rehearse/stack.ts) against a real moto server,
 * the real terraform and the real hashicorp/aws provider: a deliberately broken scratch copy of a
 * synthesized stack fails at apply, and the failure names the step, the resource and the AWS error;
 * the same copy spelled right applies. The full rehearsal of every stack (minutes) is `.ci/run`'s.
 *
 * Needs moto (`python3 -m pip install 'moto[server]==5.2.1'`) and the provider: locally, without
 * them, the tests are skipped with a notice; under CI=true they fail, naming what is missing.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { dev } from '../support/environments';
import { missingPrerequisites, terraformVersion } from '../../tools/rehearse';
import { installedMotoVersion } from '../../tools/rehearse/moto-server';
import { rehearseStack, type StackRehearsal } from '../../tools/rehearse/stack';
import { RehearsalFailure } from '../../tools/rehearse/terraform-steps';
import { PROVIDER_SOURCE } from '../support/offline-terraform';
import { scratchDir } from '../support/scratch';
import { synthStack } from '../support/synth';

const missing = missingPrerequisites(process.env, { terraform: terraformVersion(), source: PROVIDER_SOURCE, moto: installedMotoVersion() });
const SLOW = 300_000;

/** The policy the Lambda's role attaches, and a misspelling of it that AWS does not have. */
const POLICY = 'AWSLambdaVPCAccessExecutionRole';
const MISSPELLED = 'AWSLambdaVPCAccesExecutionRole';

/**
 * dev's Lambda role and its attachment of {@link POLICY}, with the provider, data sources and
 * terraform settings of the synthesized stack: the part of dev that references an AWS-managed
 * policy, applied in seconds rather than the minutes of the whole stack.
 */
function roleWithManagedPolicy(policy: string): Record<string, any> {
  const { doc } = synthStack(dev);
  const pick = (type: string, prefix: string) => Object.fromEntries(Object.entries(doc.resource[type]).filter(([name]) => name.startsWith(prefix)));
  const attachments = pick('aws_iam_role_policy_attachment', `function_policy-${POLICY}`);
  expect(Object.keys(attachments)).toHaveLength(1);
  const copy = JSON.parse(JSON.stringify({ ...doc, output: undefined, resource: { aws_iam_role: pick('aws_iam_role', 'function_role'), aws_iam_role_policy_attachment: attachments } }));
  for (const body of Object.values<any>(copy.resource.aws_iam_role_policy_attachment)) body.policy_arn = String(body.policy_arn).replace(POLICY, policy);
  return copy;
}

/** Rehearses `doc` up to its first apply on a moto server of its own; resolves with the failure, or undefined. */
async function applyOnly(doc: Record<string, any>, reports: string[]): Promise<RehearsalFailure | undefined> {
  const handle: StackRehearsal = {};
  try {
    await rehearseStack(
      {
        name: 'scratch',
        doc,
        dir: path.join(scratchDir('rehearse-'), 'stack'),
        source: PROVIDER_SOURCE!,
        pluginCacheDir: path.join(os.homedir(), '.terraform.d', 'plugin-cache'),
        backend: { kind: 'local' },
        report: (text) => reports.push(text),
        applyOnly: true,
      },
      handle,
    );
    return undefined;
  } catch (error) {
    if (error instanceof RehearsalFailure) return error;
    throw error;
  } finally {
    await handle.server?.stop();
  }
}

if (missing.length > 0 && process.env.CI === 'true') {
  describe('the stack rehearsal', () => {
    it('has terraform, the hashicorp/aws provider and moto (CI=true: missing is a failure, not a skip)', () => {
      throw new Error(`missing: ${missing.join('; ')}`);
    });
  });
} else if (missing.length > 0) {
  console.warn(`__tests__/tools/rehearse.test.ts SKIPPED: missing ${missing.join('; ')}`);
  describe.skip(`the stack rehearsal (skipped: missing ${missing.join('; ')})`, () => {
    it('needs terraform, the provider and moto', () => undefined);
  });
} else {
  describe(`the stack rehearsal (hashicorp/aws ${PROVIDER_SOURCE!.version}, moto ${installedMotoVersion()})`, () => {
    let broken: { failure: RehearsalFailure | undefined; reports: string[] };
    let control: { failure: RehearsalFailure | undefined; reports: string[] };

    beforeAll(async () => {
      const run = async (policy: string) => {
        const reports: string[] = [];
        return { failure: await applyOnly(roleWithManagedPolicy(policy), reports), reports };
      };
      [broken, control] = await Promise.all([run(MISSPELLED), run(POLICY)]);
    }, SLOW);

    it('fails a copy with a misspelled AWS-managed policy ARN at apply, naming the attachment and the AWS error', () => {
      const failure = broken.failure!;
      expect(failure).toBeInstanceOf(RehearsalFailure);
      expect(failure.step).toBe('apply');
      expect(failure.resource).toMatch(new RegExp(`^aws_iam_role_policy_attachment\\.function_policy-${POLICY}_[0-9A-F]{8}$`));
      expect(failure.awsError).toMatchObject({ service: 'IAM', operation: 'AttachRolePolicy', httpStatus: 404, code: 'NoSuchEntity' });
      expect(failure.awsError!.message).toContain(`arn:aws:iam::aws:policy/service-role/${MISSPELLED}`);
      expect(failure.message).toMatch(new RegExp(`^FAILED at apply: aws_iam_role_policy_attachment\\.function_policy-${POLICY}_\\w+: NoSuchEntity: .*${MISSPELLED}.* \\(IAM AttachRolePolicy, HTTP 404\\)$`));
    });

    it('applies the same copy with the ARN spelled right: the misspelling alone fails it', () => {
      expect(control.failure).toBeUndefined();
      expect(control.reports.find((r) => r.startsWith('apply:'))).toMatch(/^apply: ok, 2 added \(\d+ s\)$/);
    });

    it('reports one line per step, with its time', () => {
      expect(control.reports[0]).toMatch(/^moto on http:\/\/127\.0\.0\.1:\d+ \(pid \d+\), configured with lambda\.use_docker = false \(moto gap lambda-invoke-docker\) \(\d+ s\)$/);
      expect(control.reports).toContainEqual(expect.stringMatching(/^init: ok, local state \(\d+ s\)$/));
    });
  });
}
