/**
 * The naming convention of the CI roles and the OIDC subjects they trust (config/ci.ts): the one
 * place the ci-access stacks, `npm run environments -- --json` and the workflows take them from.
 * __tests__/workflow-subjects.test.ts checks the workflows' jobs against the synthesized roles.
 */
import {
  ciAccessStackName,
  ciAccounts,
  ciRoleArn,
  ciRoleName,
  ciRolesOf,
  oidcSubjects,
  repositorySubjectPrefixes,
  trustedClaim,
} from '../../config/ci';
import type { GitHubRepository } from '../../config/repository';

const classic: GitHubRepository = { owner: 'octo-org', name: 'workshop-backend', defaultBranch: 'main' };
const immutable: GitHubRepository = { ...classic, ownerId: '1234567', repositoryId: '890123456' };

describe('CI role names and ARNs', () => {
  it('names the plan and drift roles once per account and the apply role after its environment', () => {
    expect(ciRoleName('plan')).toBe('workshop-backend-ci-plan');
    expect(ciRoleName('drift')).toBe('workshop-backend-ci-drift');
    expect(ciRoleName('apply', 'prod')).toBe('workshop-backend-ci-apply-prod');
  });

  it('keeps the longest apply role name (a 20-character environment) within IAM\'s 64 characters', () => {
    expect(ciRoleName('apply', 'a'.repeat(20)).length).toBeLessThanOrEqual(64);
  });

  it('fails, as a bug, when an apply role is asked for without its environment', () => {
    expect(() => ciRoleName('apply')).toThrow(/an apply role belongs to one environment/);
  });

  it("gives a pinned environment's roles as ARNs in its account, its GitHub environment and the stack that creates them", () => {
    expect(ciRolesOf({ environment: 'prod', account: '111122223333' })).toEqual({
      planRoleArn: 'arn:aws:iam::111122223333:role/workshop-backend-ci-plan',
      driftRoleArn: 'arn:aws:iam::111122223333:role/workshop-backend-ci-drift',
      applyRoleArn: 'arn:aws:iam::111122223333:role/workshop-backend-ci-apply-prod',
      githubEnvironment: 'prod',
      ciAccessStack: 'ci-access-111122223333',
    });
    expect(ciRoleArn('444455556666', 'x')).toBe('arn:aws:iam::444455556666:role/x');
    expect(ciAccessStackName('444455556666')).toBe('ci-access-444455556666');
  });

  it('gives an environment without an account no roles: CI does not deploy it', () => {
    expect(ciRolesOf({ environment: 'dev', account: null })).toBeNull();
  });

  it('lists each account once, with its environments in configuration order', () => {
    expect(
      ciAccounts([
        { environment: 'dev', account: null },
        { environment: 'prod', account: '111122223333' },
        { environment: 'qa', account: '444455556666' },
        { environment: 'staging', account: '111122223333' },
      ]),
    ).toEqual([
      { account: '111122223333', stackName: 'ci-access-111122223333', environments: ['prod', 'staging'] },
      { account: '444455556666', stackName: 'ci-access-444455556666', environments: ['qa'] },
    ]);
  });
});

describe('OIDC subjects', () => {
  it('trusts pull requests for plan, the default branch for drift, and the GitHub environment for apply', () => {
    expect(trustedClaim('plan', classic)).toBe('pull_request');
    expect(trustedClaim('drift', classic)).toBe('ref:refs/heads/main');
    expect(trustedClaim('drift', { ...classic, defaultBranch: 'trunk' })).toBe('ref:refs/heads/trunk');
    expect(trustedClaim('apply', classic, 'prod')).toBe('environment:prod');
  });

  it('gives the classic subject only when the repository has no ids', () => {
    expect(repositorySubjectPrefixes(classic)).toEqual(['repo:octo-org/workshop-backend']);
    expect(oidcSubjects(classic, 'pull_request')).toEqual(['repo:octo-org/workshop-backend:pull_request']);
  });

  it('gives the classic and the immutable subject when the ids are configured', () => {
    expect(oidcSubjects(immutable, 'environment:prod')).toEqual([
      'repo:octo-org/workshop-backend:environment:prod',
      'repo:octo-org@1234567/workshop-backend@890123456:environment:prod',
    ]);
  });
});
