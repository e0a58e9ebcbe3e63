import { Construct } from 'constructs';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import type { StateBackendSettings } from '../../config/state-backend';
import { managedPolicyFinding, type RuleId } from '../../policy';
import { AccountContext } from './account-context';
import { awsManagedPolicyArn, githubOidcTrustPolicy } from './iam';
import { suppress } from './policy-exceptions';
import { stateKey } from '../state-backend';

/**
 * The S3 actions on the state bucket and its objects that Terraform's S3 backend uses with S3-native
 * locking (`use_lockfile`): list the bucket, read the state, write it, and take, read and release
 * the `<key>.tflock` lock object.
 * Sources: https://developer.hashicorp.com/terraform/language/backend/s3#permissions-required,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 */
export const STATE_ACTIONS = {
  listBucket: ['s3:ListBucket'],
  readState: ['s3:GetObject'],
  writeState: ['s3:PutObject'],
  lock: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
} as const;

/**
 * What a CI role may do with the state of its stacks: `lock` reads the state and takes and releases
 * its lock, as `terraform plan` does and nothing more; `write` also writes the state, as
 * `terraform apply` does.
 */
export type StateAccess = 'lock' | 'write';

/** One stack's state: the bucket and key prefix it is kept under, and the stack's name. */
export interface StackState {
  /** The backend the stack's state is in. */
  readonly backend: StateBackendSettings;
  /** The stack, whose state key is `<keyPrefix>/<stack>/terraform.tfstate`. */
  readonly stack: string;
}

/** The AWS managed policies a CI role may carry, each with the policy findings it is known to cause. */
export const CI_MANAGED_POLICIES = {
  ReadOnlyAccess: {
    reason: 'ciReadOnlyAccess',
    // Not in policy/iam.ts's KNOWN_MANAGED_POLICIES (thousands of Get*, List* and Describe* actions):
    // both wildcard rules report it as unreadable.
    rules: ['WB-IAM-NO-WILDCARD-ACTION', 'WB-IAM-NO-WILDCARD-RESOURCE'],
  },
  AdministratorAccess: {
    reason: 'ciApplyAdministratorAccess',
    rules: ['WB-IAM-NO-ADMIN-POLICY', 'WB-IAM-NO-WILDCARD-ACTION', 'WB-IAM-NO-WILDCARD-RESOURCE'],
  },
} as const satisfies Record<string, { reason: 'ciReadOnlyAccess' | 'ciApplyAdministratorAccess'; rules: readonly RuleId[] }>;

/** Props of {@link CiRole}. */
export interface CiRoleProps {
  /** The role's name, from config/ci.ts `ciRoleName`, so the workflows can compute its ARN. */
  readonly roleName: string;
  /** What the role is for, one sentence (IAM `description`, up to 1000 characters). */
  readonly description: string;
  /** The account's GitHub Actions OIDC provider. */
  readonly oidcProvider: IamOpenidConnectProvider;
  /** The exact OIDC subjects admitted (config/ci.ts `oidcSubjects`), at least one. */
  readonly subjects: readonly string[];
  /**
   * The AWS managed policy that gives the role its access to the account's resources:
   * `ReadOnlyAccess` for plan and drift, `AdministratorAccess` for apply (docs/team-setup.md says why).
   */
  readonly managedPolicy: keyof typeof CI_MANAGED_POLICIES;
  /** The stacks whose state the role reaches, and how. An empty list adds no state policy. */
  readonly state: readonly StackState[];
  /** See {@link StateAccess}. */
  readonly stateAccess: StateAccess;
}

/**
 * A role that GitHub Actions jobs assume with their OIDC token: trusted for exactly the given
 * subjects and audience, with an AWS managed policy for the account's resources (its policy
 * findings suppressed with the reasons of stacks/constructs/policy-exceptions.ts) and an inline
 * policy that reaches only its stacks' state objects and lock objects.
 */
export class CiRole extends Construct {
  /** The role's name. */
  readonly roleName: string;
  /** The role's ARN. */
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: CiRoleProps) {
    super(scope, id);
    if (props.subjects.length === 0) throw new Error(`CiRole ${this.node.path}: no OIDC subject; a role nobody can assume is a bug in the stack`);
    const account = AccountContext.of(this);

    const role = new IamRole(this, 'role', {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: githubOidcTrustPolicy(props.oidcProvider.arn, props.subjects),
    });
    this.roleName = role.name;
    this.roleArn = role.arn;

    const { reason, rules } = CI_MANAGED_POLICIES[props.managedPolicy];
    const attachment = new IamRolePolicyAttachment(this, `policy-${props.managedPolicy}`, {
      role: role.name,
      policyArn: awsManagedPolicyArn(account, props.managedPolicy),
    });
    for (const rule of rules) suppress(attachment, rule, reason, [managedPolicyFinding(props.managedPolicy)]);

    if (props.state.length > 0) {
      new IamRolePolicy(this, 'state-access', {
        name: 'terraform-state',
        role: role.name,
        policy: statePolicy(account.partition, props.state, props.stateAccess),
      });
    }
  }
}

/** The inline policy of a role that reaches `state` with `access`: one statement per kind of access. */
function statePolicy(partition: string, state: readonly StackState[], access: StateAccess): string {
  const unique = (values: string[]): string[] => [...new Set(values)];
  const objectArn = (s: StackState, suffix = ''): string => `arn:${partition}:s3:::${s.backend.bucket}/${stateKey(s.backend.keyPrefix, s.stack)}${suffix}`;
  const statements = [
    { Sid: 'ListStateBuckets', Effect: 'Allow', Action: [...STATE_ACTIONS.listBucket], Resource: unique(state.map((s) => `arn:${partition}:s3:::${s.backend.bucket}`)) },
    { Sid: 'ReadState', Effect: 'Allow', Action: [...STATE_ACTIONS.readState], Resource: state.map((s) => objectArn(s)) },
    ...(access === 'write' ? [{ Sid: 'WriteState', Effect: 'Allow', Action: [...STATE_ACTIONS.writeState], Resource: state.map((s) => objectArn(s)) }] : []),
    { Sid: 'LockState', Effect: 'Allow', Action: [...STATE_ACTIONS.lock], Resource: state.map((s) => objectArn(s, '.tflock')) },
  ];
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
