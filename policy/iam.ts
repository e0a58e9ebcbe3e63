/**
 * Where identity policies live in the synthesized JSON, and the documents of the AWS managed
 * policies this project may attach (so the same rules read them as customer policies).
 */
import { readPolicy, type PolicyDocument } from './policy-document';
import { blocks, refersTo, resources, strings } from './terraform-json';
import type { TerraformDocument, TfResource } from './types';

/**
 * Documents of the AWS managed policies we know, as published in the AWS Managed Policy Reference
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/). An attachment of any other
 * managed policy cannot be checked statically and fails the IAM rules until it is added here.
 */
export const KNOWN_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole': {
    statements: [
      {
        sid: 'AWSLambdaVPCAccessExecutionPermissions',
        effect: 'Allow',
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        notActions: [],
        resources: ['*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXRayDaemonWriteAccess.html
  'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess': {
    statements: [
      {
        effect: 'Allow',
        actions: [
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
          'xray:GetSamplingStatisticSummaries',
        ],
        notActions: [],
        resources: ['*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    statements: [
      {
        effect: 'Allow',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        notActions: [],
        resources: ['*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonRDSEnhancedMonitoringRole.html
  'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole': {
    statements: [
      {
        sid: 'EnableCreationAndManagementOfRDSCloudwatchLogGroups',
        effect: 'Allow',
        actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
        notActions: [],
        resources: ['arn:aws:logs:*:*:log-group:RDS*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
      {
        sid: 'EnableCreationAndManagementOfRDSCloudwatchLogStreams',
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
        notActions: [],
        resources: ['arn:aws:logs:*:*:log-group:RDS*:log-stream:*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/SecretsManagerReadWrite.html
  // The seed's choice (lambda.secretAccess = 'SecretsManagerReadWrite'): every Secrets Manager action on
  // every secret, plus the console's helpers for rotation functions.
  'arn:aws:iam::aws:policy/SecretsManagerReadWrite': {
    statements: [
      {
        sid: 'BasePermissions',
        effect: 'Allow',
        actions: [
          'secretsmanager:*',
          'cloudformation:CreateChangeSet',
          'cloudformation:DescribeChangeSet',
          'cloudformation:DescribeStackResource',
          'cloudformation:DescribeStacks',
          'cloudformation:ExecuteChangeSet',
          'docdb-elastic:GetCluster',
          'docdb-elastic:ListClusters',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
          'kms:DescribeKey',
          'kms:ListAliases',
          'kms:ListKeys',
          'lambda:ListFunctions',
          'rds:DescribeDBClusters',
          'rds:DescribeDBInstances',
          'redshift:DescribeClusters',
          'redshift-serverless:ListWorkgroups',
          'redshift-serverless:GetNamespace',
          'tag:GetResources',
        ],
        notActions: [],
        resources: ['*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
      {
        sid: 'LambdaPermissions',
        effect: 'Allow',
        actions: [
          'lambda:AddPermission',
          'lambda:CreateFunction',
          'lambda:GetFunction',
          'lambda:InvokeFunction',
          'lambda:UpdateFunctionConfiguration',
        ],
        notActions: [],
        resources: ['arn:aws:lambda:*:*:function:SecretsManager*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
      {
        sid: 'SARPermissions',
        effect: 'Allow',
        actions: [
          'serverlessrepo:CreateCloudFormationChangeSet',
          'serverlessrepo:GetApplication',
        ],
        notActions: [],
        resources: ['arn:aws:serverlessrepo:*:*:applications/SecretsManager*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
      {
        sid: 'S3Permissions',
        effect: 'Allow',
        actions: [
          's3:GetObject',
        ],
        notActions: [],
        resources: ['arn:aws:s3:::awsserverlessrepo-changesets*', 'arn:aws:s3:::secrets-manager-rotation-apps-*/*'],
        notResources: [],
        principals: {},
        conditions: {},
      },
      {
        sid: 'CloudFormationTagOnCreate',
        effect: 'Allow',
        actions: [
          'cloudformation:TagResource',
          'cloudformation:UntagResource',
        ],
        notActions: [],
        resources: ['*'],
        notResources: [],
        principals: {},
        conditions: { StringEquals: { 'cloudformation:CreateAction': ['CreateChangeSet', 'ExecuteChangeSet'] } },
      },
    ],
  },
};

/** Managed policies that grant administrator, IAM or whole-service access (CKV_AWS_274, CKV2_AWS_56). */
export const OVERLY_BROAD_MANAGED_POLICIES: readonly RegExp[] = [
  /:policy\/AdministratorAccess$/,
  /:policy\/IAMFullAccess$/,
  /:policy\/PowerUserAccess$/,
  /:policy\/SecretsManagerReadWrite$/,
  /FullAccess$/,
];

/** One identity policy and the resource that carries it. */
export interface IdentityPolicy {
  /** The resource the finding is reported on. */
  readonly owner: TfResource;
  /** The readable document, or undefined when it cannot be read statically. */
  readonly document: PolicyDocument | undefined;
  /** For managed policies: `Policy::<arn>` (the `appliesTo` key a suppression names). */
  readonly finding?: string;
  /** For managed policies: the ARN. */
  readonly managedArn?: string;
}

/** The ARN of the AWS managed policy `name` in the `aws` partition, the form findings use. */
function canonicalArn(name: string): string {
  return `arn:aws:iam::aws:policy/${name}`;
}

/**
 * The canonical `arn:aws:iam::aws:policy/...` form of an AWS managed policy ARN, or undefined for any
 * other value. The partition may be a reference (`arn:${data.aws_partition.x.partition}:iam::aws:...`).
 */
export function managedPolicyArn(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^arn:(?:aws|aws-cn|aws-us-gov|\$\{[^}]*\}):iam::aws:policy\/(.+)$/.exec(value);
  return m ? canonicalArn(m[1]) : undefined;
}

/** The finding key of a canonical managed policy ARN: `Policy::<arn>` (as cdk-nag's `Policy::`). */
export function policyFinding(arn: string): string {
  return `Policy::${arn}`;
}

/**
 * The finding key (a suppression's `appliesTo`) of the findings on the AWS managed policy `name`, in
 * any partition: `Policy::arn:aws:iam::aws:policy/<name>`; `name` as in
 * `service-role/AWSLambdaVPCAccessExecutionRole`.
 */
export function managedPolicyFinding(name: string): string {
  return policyFinding(canonicalArn(name));
}

function managed(owner: TfResource, arn: string): IdentityPolicy {
  return { owner, document: KNOWN_MANAGED_POLICIES[arn], finding: policyFinding(arn), managedArn: arn };
}

/** Every identity policy in the document: customer-managed, inline, and attached managed policies. */
export function identityPolicies(doc: TerraformDocument): IdentityPolicy[] {
  const out: IdentityPolicy[] = [];
  for (const r of [...resources(doc, 'aws_iam_policy'), ...resources(doc, 'aws_iam_role_policy')]) {
    out.push({ owner: r, document: readPolicy(doc, r.body.policy) });
  }
  for (const role of resources(doc, 'aws_iam_role')) {
    for (const inline of blocks(role.body.inline_policy)) {
      if (inline.policy !== undefined) out.push({ owner: role, document: readPolicy(doc, inline.policy) });
    }
    for (const raw of strings(role.body.managed_policy_arns)) {
      const arn = managedPolicyArn(raw);
      if (arn) out.push(managed(role, arn));
    }
  }
  for (const att of resources(doc, 'aws_iam_role_policy_attachment')) {
    const arn = managedPolicyArn(att.body.policy_arn);
    if (arn) out.push(managed(att, arn));
  }
  return out;
}

/** One identity policy in effect for a role, and how it reaches the role. */
export interface RolePolicy {
  /**
   * How a finding names the policy: `aws_iam_policy.P (attached by aws_iam_role_policy_attachment.A)`,
   * `aws_iam_role_policy.P`, `inline_policy "N" of aws_iam_role.R`, or
   * `arn:aws:iam::aws:policy/N (attached by aws_iam_role_policy_attachment.A)`.
   */
  readonly label: string;
  /** The readable document, or undefined when it cannot be read statically (an unknown managed policy, `${jsonencode(...)}`). */
  readonly document: PolicyDocument | undefined;
}

/** True when `value` names `role`: a reference to it (`${aws_iam_role.r.name}`) or its literal name. */
function namesRole(value: unknown, role: TfResource): boolean {
  return refersTo(value, role) || (typeof role.body.name === 'string' && value === role.body.name);
}

/**
 * Every identity policy in effect for `role` in the document: its inline policies (`inline_policy`
 * blocks, `aws_iam_role_policy`), the AWS managed policies it lists (`managed_policy_arns`), and the
 * policies attached to it (`aws_iam_role_policy_attachment`, `aws_iam_policy_attachment` `roles`),
 * customer-managed (an `aws_iam_policy` of the stack, by reference) or AWS managed
 * ({@link KNOWN_MANAGED_POLICIES}). An attachment of any other policy ARN is returned unreadable.
 * A role is matched by reference or by its literal `name`.
 */
export function rolePolicies(doc: TerraformDocument, role: TfResource): RolePolicy[] {
  const out: RolePolicy[] = [];
  for (const inline of blocks(role.body.inline_policy)) {
    if (inline.policy === undefined) continue;
    const name = typeof inline.name === 'string' ? ` "${inline.name}"` : '';
    out.push({ label: `inline_policy${name} of ${role.address}`, document: readPolicy(doc, inline.policy) });
  }
  for (const raw of strings(role.body.managed_policy_arns)) {
    const arn = managedPolicyArn(raw);
    out.push({ label: `${arn ?? raw} (managed_policy_arns of ${role.address})`, document: arn ? KNOWN_MANAGED_POLICIES[arn] : undefined });
  }
  for (const p of resources(doc, 'aws_iam_role_policy')) {
    if (namesRole(p.body.role, role)) out.push({ label: p.address, document: readPolicy(doc, p.body.policy) });
  }
  const attached = (attachment: TfResource, policyArn: unknown): RolePolicy => {
    const via = `(attached by ${attachment.address})`;
    const arn = managedPolicyArn(policyArn);
    if (arn) return { label: `${arn} ${via}`, document: KNOWN_MANAGED_POLICIES[arn] };
    const policy = resources(doc, 'aws_iam_policy').find((p) => refersTo(policyArn, p));
    if (policy) return { label: `${policy.address} ${via}`, document: readPolicy(doc, policy.body.policy) };
    return { label: `${String(policyArn)} ${via}`, document: undefined };
  };
  for (const att of resources(doc, 'aws_iam_role_policy_attachment')) {
    if (namesRole(att.body.role, role)) out.push(attached(att, att.body.policy_arn));
  }
  for (const att of resources(doc, 'aws_iam_policy_attachment')) {
    if (strings(att.body.roles).some((r) => namesRole(r, role))) out.push(attached(att, att.body.policy_arn));
  }
  return out;
}
