import { UserError } from '../../config/errors';
import { PLACEHOLDER_OWNERS, REPOSITORY, validateRepository, type GitHubRepository } from '../../config/repository';
import { userErrorProblems } from '../support/config';

const valid: GitHubRepository = { owner: 'octo-org', name: 'workshop-backend', defaultBranch: 'main' };

/** The problems validation reports, one line each; [] when it accepts the repository. */
const problemsOf = (repository: GitHubRepository): string[] => userErrorProblems(() => validateRepository(repository));

describe('the GitHub repository of the workflows', () => {
  it('ships a valid repository whose owner is an obvious placeholder', () => {
    expect(problemsOf(REPOSITORY)).toEqual([]);
    expect(PLACEHOLDER_OWNERS).toContain(REPOSITORY.owner);
  });

  it('accepts a repository with both immutable ids', () => {
    expect(problemsOf({ ...valid, ownerId: '1234567', repositoryId: '890123456' })).toEqual([]);
  });

  it.each([
    ['an owner with a leading hyphen', { owner: '-octo' }, 'owner: received "-octo"; allowed: a GitHub user or organization: 1 to 39 letters, digits or single hyphens'],
    ['an owner with a slash', { owner: 'octo/org' }, 'owner: received "octo/org"; allowed: a GitHub user or organization'],
    ['a name with a space', { name: 'workshop backend' }, 'name: received "workshop backend"; allowed: a GitHub repository name: 1 to 100 letters, digits, ".", "_" or "-"'],
    ['a name of ".."', { name: '..' }, 'name: received ".."; allowed: a GitHub repository name'],
    ['an id that is not a number', { ownerId: 'octo', repositoryId: '1' }, 'ownerId: received "octo"; allowed: the numeric id GitHub gives it'],
    ['an id given as a number', { ownerId: 1234567 as never, repositoryId: '1' }, 'ownerId: received 1234567; allowed: the numeric id GitHub gives it, as a string of digits'],
    ['one id without the other', { ownerId: '1234567' }, 'repositoryId: received nothing (the field is missing); allowed: a numeric id whenever ownerId is set: the immutable subject names both'],
    ['a branch with ".."', { defaultBranch: 'a..b' }, 'defaultBranch: received "a..b"; allowed: a branch name such as "main"'],
  ])('rejects %s, naming the field, the value and what is allowed', (_name, change, message) => {
    expect(problemsOf({ ...valid, ...change })).toEqual([expect.stringContaining(message)]);
  });

  it('reports every problem at once as a user error that says where to fix them', () => {
    expect(() => validateRepository({ owner: '', name: '', defaultBranch: '' })).toThrow(UserError);
    expect(() => validateRepository({ owner: '', name: '', defaultBranch: '' })).toThrow(/Invalid GitHub repository \(config\/repository\.ts\):[\s\S]*owner:[\s\S]*name:[\s\S]*defaultBranch:[\s\S]*Fix: change these fields of REPOSITORY in config\/repository\.ts/);
  });
});
