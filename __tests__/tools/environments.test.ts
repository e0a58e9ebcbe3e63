import { ENVIRONMENT_DEFINITIONS } from '../../config/environments';
import { deployedByCi, environmentSummaries, main } from '../../tools/environments';
import { DEV_DEFINITION, PROD_DEFINITION } from '../support/environments';

/** Runs `npm run environments -- <argv>` in-process; returns the exit code and what it printed. */
function run(argv: string[], definitions = [DEV_DEFINITION, PROD_DEFINITION]): { code: number; out: string } {
  let out = '';
  const code = main(argv, (t) => void (out += t), definitions);
  return { code, out };
}

const prodSummary = {
  environment: 'prod',
  profile: 'production',
  region: 'ap-southeast-1',
  account: '111122223333',
  planRoleArn: 'arn:aws:iam::111122223333:role/workshop-backend-ci-plan',
  driftRoleArn: 'arn:aws:iam::111122223333:role/workshop-backend-ci-drift',
  applyRoleArn: 'arn:aws:iam::111122223333:role/workshop-backend-ci-apply-prod',
  githubEnvironment: 'prod',
  ciAccessStack: 'ci-access-111122223333',
};

describe('npm run environments', () => {
  it('prints every environment as JSON with the ARNs of the roles its CI jobs assume, null where it has no account', () => {
    const { code, out } = run(['--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([
      {
        environment: 'dev',
        profile: 'workshop',
        region: 'ap-southeast-1',
        account: null,
        planRoleArn: null,
        driftRoleArn: null,
        applyRoleArn: null,
        githubEnvironment: null,
        ciAccessStack: null,
      },
      prodSummary,
    ]);
  });

  it('with --ci, prints only the environments CI plans and applies: those pinned to an account', () => {
    expect(JSON.parse(run(['--json', '--ci']).out)).toEqual([prodSummary]);
    expect(environmentSummaries([DEV_DEFINITION]).filter(deployedByCi)).toEqual([]);
  });

  it('follows the list: a new environment in another account gets roles in that account', () => {
    const staging = { environment: 'staging', profile: 'production' as const, region: 'eu-west-1', account: '444455556666' };
    expect(JSON.parse(run(['--json', '--ci', 'staging'], [DEV_DEFINITION, PROD_DEFINITION, staging]).out)).toEqual([
      expect.objectContaining({
        environment: 'staging',
        region: 'eu-west-1',
        planRoleArn: 'arn:aws:iam::444455556666:role/workshop-backend-ci-plan',
        applyRoleArn: 'arn:aws:iam::444455556666:role/workshop-backend-ci-apply-staging',
        ciAccessStack: 'ci-access-444455556666',
      }),
    ]);
  });

  it('prints the shipped list by default', () => {
    expect(JSON.parse(run(['--json'], [...ENVIRONMENT_DEFINITIONS]).out).map((e: { environment: string }) => e.environment)).toEqual(
      ENVIRONMENT_DEFINITIONS.map((d) => d.environment),
    );
  });

  it('rejects an unknown environment with exit code 1, naming the known ones', () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(run(['--json', 'nosuch']).code).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('STACK: received "nosuch"; allowed: one of the app\'s stacks: dev, prod');
    } finally {
      stderr.mockRestore();
    }
  });
});
