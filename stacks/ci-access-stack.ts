import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { CI_ROLE_PURPOSES, GITHUB_OIDC, ciRoleName, oidcSubjects, trustedClaim, type CiRoleKind } from '../config/ci';
import { errors, invalidField } from '../config/errors';
import type { GitHubRepository } from '../config/repository';
import type { StateBackendSettings } from '../config/state-backend';
import { AccountContext } from './constructs/account-context';
import { CiRole, type CiRoleProps, type StackState } from './constructs/ci-role';
import { addAwsProvider } from './provider';
import { configureStateBackend } from './state-backend';

/**
 * What each kind of CI role may do: the AWS managed policy for the account's resources (why each:
 * docs/team-setup.md, "3. CI roles") and its access to its stacks' state.
 */
export const CI_ROLE_ACCESS: Readonly<Record<CiRoleKind, Pick<CiRoleProps, 'managedPolicy' | 'stateAccess'>>> = {
  plan: { managedPolicy: 'ReadOnlyAccess', stateAccess: 'lock' },
  drift: { managedPolicy: 'ReadOnlyAccess', stateAccess: 'lock' },
  apply: { managedPolicy: 'AdministratorAccess', stateAccess: 'write' },
};

/** One environment whose CI roles the stack creates. */
export interface CiEnvironment {
  /** The environment's name: its stack, its GitHub environment and its apply role's suffix. */
  readonly environment: string;
  /**
   * Where the environment's stack keeps its state (its own `stateBackend`, else the `TF_STATE_*`
   * settings): the roles get exactly its state and lock objects.
   * @default - local state: the roles get no state permission (CI cannot keep local state)
   */
  readonly stateBackend?: StateBackendSettings;
}

/** Props of {@link CiAccessStack}. */
export interface CiAccessStackProps {
  /** The account, 12 digits, whose CI roles this is: the provider refuses credentials of any other. */
  readonly account: string;
  /** The Region of the AWS provider. IAM is global; this is where the provider's API calls go. */
  readonly region: string;
  /** The repository whose workflow jobs may assume the roles (config/repository.ts). */
  readonly repository: GitHubRepository;
  /** The environments pinned to {@link account}, at least one. */
  readonly environments: readonly CiEnvironment[];
  /**
   * Where this stack keeps its own state: the account's state bucket, at
   * `<keyPrefix>/ci-access-<account>/terraform.tfstate`.
   * @default - local state in `terraform.<stack>.tfstate` in the project folder (synth says so)
   */
  readonly stateBackend?: StateBackendSettings;
  /**
   * Tags on every resource, through the provider's `default_tags`.
   * @default - Project=workshop-backend, Stack=<the stack's id>, ManagedBy=cdktf
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * What GitHub Actions may do in one AWS account: the account's OIDC provider for
 * `token.actions.githubusercontent.com` (audience `sts.amazonaws.com`), and the roles the workflows
 * assume, named by config/ci.ts so the workflows can compute their ARNs:
 *
 * - `workshop-backend-ci-plan`: pull request plans (subject `pull_request`);
 * - `workshop-backend-ci-drift`: the daily drift check on the default branch (`ref:refs/heads/main`);
 * - `workshop-backend-ci-apply-<environment>`, one per environment: its apply job, which runs in the
 *   GitHub environment of the same name (`environment:<environment>`).
 *
 * Plan and drift read only (`ReadOnlyAccess`) and may read their stacks' state and take its lock;
 * an apply role may also write its one environment's state. Every trust condition is an exact
 * `StringEquals` on the token's audience and subject, derived from config/repository.ts in the
 * classic and, with the ids configured, the immutable subject format. It is its own stack, not part
 * of the state bucket's: an environment added to the account changes only this stack, and the
 * bucket, whose stack is applied once by hand, is never planned for it.
 */
export class CiAccessStack extends TerraformStack {
  /** The OIDC provider's ARN. */
  readonly oidcProviderArn: string;
  /** The plan role. */
  readonly planRole: CiRole;
  /** The drift role. */
  readonly driftRole: CiRole;
  /** The apply role of each environment, by environment name. */
  readonly applyRoles: ReadonlyMap<string, CiRole>;

  constructor(scope: Construct, id: string, props: CiAccessStackProps) {
    super(scope, id);
    validateProps(id, props);
    configureStateBackend(this, id, props.stateBackend);
    addAwsProvider(this, {
      region: props.region,
      account: props.account,
      tags: props.tags ?? { Project: 'workshop-backend', Stack: id, ManagedBy: 'cdktf' },
    });
    AccountContext.create(this, props.region);

    // AWS no longer checks the thumbprint for GitHub's provider; the provider computes one.
    const oidcProvider = new IamOpenidConnectProvider(this, 'github-oidc-provider', {
      url: GITHUB_OIDC.url,
      clientIdList: [GITHUB_OIDC.audience],
    });
    this.oidcProviderArn = oidcProvider.arn;

    const { repository } = props;
    const allState: StackState[] = props.environments.flatMap((e) => (e.stateBackend ? [{ backend: e.stateBackend, stack: e.environment }] : []));
    const role = (kind: CiRoleKind, state: readonly StackState[], environment?: string): CiRole =>
      new CiRole(this, environment === undefined ? kind : `${kind}-${environment}`, {
        roleName: ciRoleName(kind, environment),
        description: `GitHub Actions: ${CI_ROLE_PURPOSES[kind]}${environment === undefined ? '' : ` (${environment})`}.`,
        oidcProvider,
        subjects: oidcSubjects(repository, trustedClaim(kind, repository, environment)),
        state,
        ...CI_ROLE_ACCESS[kind],
      });
    this.planRole = role('plan', allState);
    this.driftRole = role('drift', allState);
    const applyRoles = new Map<string, CiRole>();
    for (const { environment, stateBackend } of props.environments) {
      applyRoles.set(environment, role('apply', stateBackend ? [{ backend: stateBackend, stack: environment }] : [], environment));
    }
    this.applyRoles = applyRoles;

    new TerraformOutput(this, 'oidc_provider_arn', { value: this.oidcProviderArn });
    new TerraformOutput(this, 'plan_role_arn', { value: this.planRole.roleArn });
    new TerraformOutput(this, 'drift_role_arn', { value: this.driftRole.roleArn });
    // One output per environment rather than one map: cdktf 0.21 inspects a literal object output
    // with util.isArray, which Node.js 22+ reports as deprecated (DEP0044) on every synth.
    for (const [name, role] of applyRoles) new TerraformOutput(this, `apply_role_arn_${name}`, { value: role.roleArn });
  }
}

function validateProps(id: string, props: CiAccessStackProps): void {
  const problems: string[] = [];
  if (!/^\d{12}$/.test(props.account)) problems.push(invalidField('account', props.account, 'an AWS account id of 12 digits'));
  if (props.environments.length === 0) problems.push(invalidField('environments', [], 'at least one environment pinned to the account'));
  const names = props.environments.map((e) => e.environment);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) problems.push(invalidField('environments', names, `each environment once; repeated: ${[...new Set(repeated)].join(', ')}`));
  if (problems.length > 0) throw errors.invalidProps(`stack "${id}" (CiAccessStack)`, problems);
}
