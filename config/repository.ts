/**
 * The GitHub repository whose workflows deploy the environments. The CI roles' trust conditions are
 * derived from it (config/ci.ts), never typed by hand: GitHub puts the owner and the name, and for
 * repositories created since 2026-07-15 their immutable ids, into the subject of every OIDC token
 * (docs/team-setup.md, "3. CI roles").
 *
 * Replace before deploying a ci-access stack: `your-github-owner` is a placeholder, which synth points
 * out until it is changed. Spell the owner and the name exactly as GitHub shows them: IAM compares
 * the subject claim case-sensitively.
 */
import { errors, invalidField } from './errors';

/** A GitHub repository, as its OIDC tokens name it. */
export interface GitHubRepository {
  /** The user or organization that owns the repository, e.g. `octo-org`: 1 to 39 letters, digits or single hyphens. */
  readonly owner: string;
  /** The repository's name, e.g. `workshop-backend`: 1 to 100 letters, digits, `.`, `_` or `-`. */
  readonly name: string;
  /**
   * The owner's numeric id (`repository_owner_id` of the token; `gh api users/<owner> --jq .id`).
   * With {@link repositoryId}, the roles also admit GitHub's immutable subject format
   * `repo:<owner>@<ownerId>/<name>@<repositoryId>:...`, which repositories created since 2026-07-15 get.
   * @default - none: the roles admit only the classic subject `repo:<owner>/<name>:...`
   */
  readonly ownerId?: string;
  /**
   * The repository's numeric id (`repository_id` of the token; `gh api repos/<owner>/<name> --jq .id`).
   * Set it together with {@link ownerId}.
   * @default - none: see `ownerId`
   */
  readonly repositoryId?: string;
  /**
   * The branch pull requests merge into, which apply and drift run on (`ref:refs/heads/<branch>`).
   * The workflows in .github/workflows name the same branch; __tests__/workflow-subjects.test.ts
   * checks that they agree.
   */
  readonly defaultBranch: string;
}

/** The repository of this project's workflows. Replace the placeholder owner with yours. */
export const REPOSITORY: GitHubRepository = {
  owner: 'your-github-owner',
  name: 'workshop-backend',
  defaultBranch: 'main',
};

/** Owners that are placeholders, which synth points out while they are in {@link REPOSITORY}. */
export const PLACEHOLDER_OWNERS: readonly string[] = ['your-github-owner'];

/** GitHub login rules: https://docs.github.com/en/enterprise-cloud@latest/admin/managing-iam/iam-configuration-reference/username-considerations-for-external-authentication */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;
const NUMERIC_ID = /^[1-9]\d{0,19}$/;
/** Git branch names (git check-ref-format), simplified to what a workflow's `branches:` names. */
const BRANCH = /^(?!\/|.*\/$|.*\/\/|.*\.\.|.*@\{)[A-Za-z0-9._/-]{1,255}$/;

/**
 * Checks a repository's fields and returns it.
 * @throws UserError (`errors.invalidRepository`) naming each invalid field, the value and what is allowed
 */
export function validateRepository(repository: GitHubRepository): GitHubRepository {
  const problems: string[] = [];
  if (typeof repository.owner !== 'string' || !OWNER.test(repository.owner)) {
    problems.push(invalidField('owner', repository.owner, 'a GitHub user or organization: 1 to 39 letters, digits or single hyphens, not starting or ending with a hyphen'));
  }
  if (typeof repository.name !== 'string' || !NAME.test(repository.name) || repository.name === '.' || repository.name === '..') {
    problems.push(invalidField('name', repository.name, 'a GitHub repository name: 1 to 100 letters, digits, ".", "_" or "-", not "." or ".."'));
  }
  for (const field of ['ownerId', 'repositoryId'] as const) {
    const value = repository[field];
    if (value !== undefined && (typeof value !== 'string' || !NUMERIC_ID.test(value))) {
      problems.push(invalidField(field, value, 'the numeric id GitHub gives it, as a string of digits such as "123456789", or leave it out'));
    }
  }
  if ((repository.ownerId === undefined) !== (repository.repositoryId === undefined)) {
    const [set, missing] = repository.ownerId === undefined ? ['repositoryId', 'ownerId'] : ['ownerId', 'repositoryId'];
    problems.push(invalidField(missing, undefined, `a numeric id whenever ${set} is set: the immutable subject names both; set both or neither`));
  }
  if (typeof repository.defaultBranch !== 'string' || !BRANCH.test(repository.defaultBranch)) {
    problems.push(invalidField('defaultBranch', repository.defaultBranch, 'a branch name such as "main"'));
  }
  if (problems.length > 0) throw errors.invalidRepository(problems);
  return repository;
}
