/**
 * How CI reaches AWS, in one place: GitHub Actions' OIDC provider, the names of the roles the
 * workflows assume in each account, and the OIDC subject each role trusts. The ci-access stacks
 * create the roles by these names with these trust conditions (stacks/ci-access-stack.ts);
 * `npm run environments -- --json` gives the workflows their ARNs (tools/environments.ts); and
 * __tests__/workflow-subjects.test.ts checks every workflow job against the synthesized roles.
 *
 * One ci-access stack per account that an environment is pinned to:
 * - a plan role, assumed by pull request jobs (subject `pull_request`);
 * - a drift role, assumed by the daily drift job on the default branch (`ref:refs/heads/<branch>`);
 * - one apply role per environment, assumed by that environment's apply job, which runs in the
 *   GitHub environment of the same name (`environment:<name>`).
 * An environment without an account has no roles: CI neither plans nor applies it.
 */
import type { GitHubRepository } from './repository';
import type { EnvironmentConfig } from './types';

/**
 * GitHub Actions' OIDC identity provider, as an AWS account registers it.
 * Source: https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
 */
export const GITHUB_OIDC = {
  /** The issuer URL of the provider (`aws_iam_openid_connect_provider.url`). */
  url: 'https://token.actions.githubusercontent.com',
  /** The issuer's host: IAM names the token's claims `<host>:sub` and `<host>:aud` in conditions. */
  host: 'token.actions.githubusercontent.com',
  /** The audience aws-actions/configure-aws-credentials requests, and the provider's only client id. */
  audience: 'sts.amazonaws.com',
} as const;

/** The condition keys of the token's subject and audience. */
export const OIDC_CONDITION_KEYS = {
  subject: `${GITHUB_OIDC.host}:sub`,
  audience: `${GITHUB_OIDC.host}:aud`,
} as const;

/** The roles CI assumes: read-only `plan` and `drift` per account, `apply` per environment. */
export const CI_ROLE_KINDS = ['plan', 'drift', 'apply'] as const;

/** One of {@link CI_ROLE_KINDS}. */
export type CiRoleKind = (typeof CI_ROLE_KINDS)[number];

/** What each CI role is for: the workflow jobs that assume it. Its IAM description and the docs say so. */
export const CI_ROLE_PURPOSES: Readonly<Record<CiRoleKind, string>> = {
  plan: 'pull request plans of the account\'s stacks (plan.yml)',
  drift: 'the daily drift check of the account\'s stacks from the default branch (drift.yml)',
  apply: "its environment's apply on merge (apply.yml), in the GitHub environment of the same name",
};

/** The first part of every CI role's name. */
export const CI_ROLE_NAME_PREFIX = 'workshop-backend-ci';

/**
 * A CI role's name: `workshop-backend-ci-plan`, `workshop-backend-ci-drift`, or
 * `workshop-backend-ci-apply-<environment>` (at most 46 characters, within IAM's 64).
 */
export function ciRoleName(kind: CiRoleKind, environment?: string): string {
  if (kind === 'apply') {
    if (environment === undefined) throw new Error('ciRoleName: an apply role belongs to one environment; pass its name');
    return `${CI_ROLE_NAME_PREFIX}-apply-${environment}`;
  }
  return `${CI_ROLE_NAME_PREFIX}-${kind}`;
}

/**
 * The ARN of role `roleName` in `account`. The partition is `aws`: every Region of config/regions.ts
 * is a commercial Region.
 */
export function ciRoleArn(account: string, roleName: string): string {
  return `arn:aws:iam::${account}:role/${roleName}`;
}

/** The first part of every ci-access stack's id. */
export const CI_ACCESS_STACK_PREFIX = 'ci-access';

/** The id of the stack that creates the OIDC provider and the CI roles of `account`: `ci-access-<account>`. */
export function ciAccessStackName(account: string): string {
  return `${CI_ACCESS_STACK_PREFIX}-${account}`;
}

/**
 * The GitHub environment an environment's apply job runs in: the environment's own name, so its
 * approval rules and its apply role belong to it alone.
 */
export function githubEnvironmentName(environment: string): string {
  return environment;
}

/** What CI needs of one environment: its roles and the stack that creates them. */
export interface CiRoles {
  /** The read-only role of the environment's account that pull request plans assume. */
  readonly planRoleArn: string;
  /** The read-only role of the environment's account that the daily drift check assumes. */
  readonly driftRoleArn: string;
  /** The environment's own role that its apply job assumes. */
  readonly applyRoleArn: string;
  /** The GitHub environment the apply job runs in (its approval rules guard the apply). */
  readonly githubEnvironment: string;
  /** The stack that creates the roles: `ci-access-<account>`. */
  readonly ciAccessStack: string;
}

/** The roles of an environment, or `null` when it is not pinned to an account (CI does not deploy it). */
export function ciRolesOf(config: Pick<EnvironmentConfig, 'environment' | 'account'>): CiRoles | null {
  if (config.account === null) return null;
  return {
    planRoleArn: ciRoleArn(config.account, ciRoleName('plan')),
    driftRoleArn: ciRoleArn(config.account, ciRoleName('drift')),
    applyRoleArn: ciRoleArn(config.account, ciRoleName('apply', config.environment)),
    githubEnvironment: githubEnvironmentName(config.environment),
    ciAccessStack: ciAccessStackName(config.account),
  };
}

/** One account CI deploys to, and its environments. */
export interface CiAccount {
  readonly account: string;
  /** {@link ciAccessStackName} of the account. */
  readonly stackName: string;
  /** The environments pinned to it, in configuration order. */
  readonly environments: readonly string[];
}

/** The accounts of the pinned environments, each once, in the order the environments name them. */
export function ciAccounts(configs: readonly Pick<EnvironmentConfig, 'environment' | 'account'>[]): CiAccount[] {
  const byAccount = new Map<string, string[]>();
  for (const { environment, account } of configs) {
    if (account === null) continue;
    byAccount.set(account, [...(byAccount.get(account) ?? []), environment]);
  }
  return [...byAccount].map(([account, environments]) => ({ account, stackName: ciAccessStackName(account), environments }));
}

/**
 * What a job's token says after the repository, by what starts the job.
 * Source: https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
 */
export const JOB_CLAIMS = {
  /** A job of a `pull_request` run, without a GitHub environment. */
  pullRequest: (): string => 'pull_request',
  /** A job of a run on a branch (push, schedule, workflow_dispatch), without a GitHub environment. */
  branch: (branch: string): string => `ref:refs/heads/${branch}`,
  /** A job that runs in a GitHub environment, whatever started it. */
  environment: (name: string): string => `environment:${name}`,
} as const;

/**
 * The claim a CI role admits: plan roles the pull request jobs, drift roles the default branch,
 * an apply role its environment's GitHub environment.
 */
export function trustedClaim(kind: CiRoleKind, repository: GitHubRepository, environment?: string): string {
  if (kind === 'plan') return JOB_CLAIMS.pullRequest();
  if (kind === 'drift') return JOB_CLAIMS.branch(repository.defaultBranch);
  if (environment === undefined) throw new Error('trustedClaim: an apply role belongs to one environment; pass its name');
  return JOB_CLAIMS.environment(githubEnvironmentName(environment));
}

/**
 * The `repo:` part of a subject in each format GitHub issues for the repository: the classic
 * `repo:<owner>/<name>`, and, when the ids are configured, the immutable
 * `repo:<owner>@<ownerId>/<name>@<repositoryId>` that repositories created since 2026-07-15 get.
 */
export function repositorySubjectPrefixes(repository: GitHubRepository): string[] {
  const classic = `repo:${repository.owner}/${repository.name}`;
  if (repository.ownerId === undefined || repository.repositoryId === undefined) return [classic];
  return [classic, `repo:${repository.owner}@${repository.ownerId}/${repository.name}@${repository.repositoryId}`];
}

/** The subjects, one per format of {@link repositorySubjectPrefixes}, of a job whose claim is `claim`. */
export function oidcSubjects(repository: GitHubRepository, claim: string): string[] {
  return repositorySubjectPrefixes(repository).map((prefix) => `${prefix}:${claim}`);
}
