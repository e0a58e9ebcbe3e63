import type { Rule, TerraformDocument, TfResource } from '../../types';
import { rolePolicies } from '../../iam';
import { actionMatches, grantedActions, type Statement } from '../../policy-document';
import { referencedResources, refersTo, resources } from '../../terraform-json';
import { orNotApplicable } from '../../rule-helpers';

/**
 * The action that returns a secret's value.
 * Source: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
 */
const GET_SECRET_VALUE = 'secretsmanager:GetSecretValue';

/**
 * A master user secret ARN as RDS names it (`rds!db-<uuid>`, Secrets Manager appends six random
 * characters), with the region and account a pattern leaves open. A wildcard resource that matches
 * it can name the master secret of any instance of the account.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 */
const SAMPLE_MASTER_SECRET = {
  partition: 'aws',
  region: 'ap-southeast-1',
  account: '123456789012',
  resource: 'secret:rds!db-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0-AbCdEf',
};

/** True when the glob `pattern` (`*` any run of characters, `?` one; case-sensitive, as ARNs are) matches `value`. */
function globMatches(pattern: string, value: string): boolean {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`).test(value);
}

/**
 * True when a wildcard resource pattern can match an RDS master user secret: `*`, `arn:aws:*`,
 * `arn:aws:secretsmanager:*:*:secret:*` or `...:secret:rds!*` can; `...:secret:app/*` and
 * `arn:aws:s3:::bucket/*` cannot. A `${...}` expression inside it may be anything, so it counts as
 * `*`; the pattern's own literal partition, region and account are taken as the secret's.
 */
function wildcardCanNameMasterSecret(resource: string): boolean {
  const pattern = resource.replace(/\$\{[^}]*\}/g, '*');
  if (!pattern.includes('*') && !pattern.includes('?')) return false;
  const [, partition, , region, account] = pattern.split(':');
  const literal = (segment: string | undefined, fallback: string) => (segment !== undefined && !/[*?]/.test(segment) ? segment : fallback);
  const sample = [
    'arn',
    literal(partition, SAMPLE_MASTER_SECRET.partition),
    'secretsmanager',
    literal(region, SAMPLE_MASTER_SECRET.region),
    literal(account, SAMPLE_MASTER_SECRET.account),
    SAMPLE_MASTER_SECRET.resource,
  ].join(':');
  return globMatches(pattern, sample);
}

/**
 * True when `resource` names the RDS-managed master user secret: it refers to `master_user_secret`
 * of an `aws_db_instance` of the stack, or it is a wildcard that can match such a secret's ARN.
 */
function namesMasterSecret(doc: TerraformDocument, resource: string): boolean {
  return (
    resources(doc, 'aws_db_instance').some((db) => refersTo(resource, db, 'master_user_secret')) ||
    wildcardCanNameMasterSecret(resource)
  );
}

/**
 * What an Allow statement grants on the master secret, as `<action> on <resource>`, or undefined:
 * an action pattern that matches GetSecretValue (`secretsmanager:*`, `*`, or a NotAction that
 * leaves it) on a resource that names the master secret, or under a NotResource that does not
 * exclude it. Conditions are not read: a condition narrows who may call, not what the role may read.
 */
function masterSecretGrant(doc: TerraformDocument, s: Statement): string | undefined {
  if (s.effect !== 'Allow' || grantedActions(s, [GET_SECRET_VALUE]).length === 0) return undefined;
  const action = s.notActions.length > 0 ? `NotAction ${s.notActions.join(', ')}` : s.actions.find((a) => actionMatches(a, GET_SECRET_VALUE))!;
  if (s.notResources.length > 0) {
    return s.notResources.some((r) => namesMasterSecret(doc, r)) ? undefined : `${action} on NotResource ${s.notResources.join(', ')}`;
  }
  const resource = s.resources.find((r) => namesMasterSecret(doc, r));
  return resource === undefined ? undefined : `${action} on ${resource}`;
}

/**
 * The policies through which `fn`'s role can read the master secret, one entry per policy
 * (`<policy> allows <action> on <resource>`, or `<policy> cannot be read statically`): empty when
 * none can. `role` is undefined when `fn.role` names no `aws_iam_role` of the stack.
 */
function masterSecretGrants(doc: TerraformDocument, fn: TfResource): { role?: TfResource; grants: string[] } {
  const role = referencedResources(doc, fn.body.role, 'aws_iam_role')[0];
  if (!role) return { grants: [] };
  const grants: string[] = [];
  for (const policy of rolePolicies(doc, role)) {
    if (policy.document === undefined) {
      grants.push(`${policy.label} cannot be read statically`);
      continue;
    }
    const granted = policy.document.statements.map((s) => masterSecretGrant(doc, s)).filter((g): g is string => g !== undefined);
    if (granted.length > 0) grants.push(`${policy.label} allows ${granted.join(' and ')}`);
  }
  return { role, grants };
}

/** No application function can read the RDS-managed master user secret; the migration function is the exception the stacks declare. */
export const lambdaNoMasterSecret = {
  id: 'WB-LAMBDA-NO-MASTER-SECRET' as const,
  title: 'No Lambda function\'s execution role can read the RDS-managed master user secret',
  mirrors: [],
  severity: 'error',
  explanation:
    'The master user owns every database object and can drop the database, so a function that reads its secret can do anything ' +
    'to the data, whatever its code means to do. A role can read it through any policy in effect for it: an attached ' +
    'customer-managed policy, an inline policy or an AWS managed policy such as SecretsManagerReadWrite, with ' +
    'secretsmanager:GetSecretValue (or secretsmanager:*, or "*") on the master_user_secret reference of an aws_db_instance, on ' +
    '"*", or on a wildcard secret ARN that can match its rds!db-... name; Deny statements and conditions are not credited. Only the ' +
    'migration function logs in as the master user (suppressed in stacks/constructs/policy-exceptions.ts, as is the workshop ' +
    'profile\'s seed flow). Fix: give each application function its own database role with IAM database authentication ' +
    '(rds-db:connect on its dbuser ARN) and no secretsmanager:GetSecretValue on the master secret.',
  evaluate: (doc) =>
    orNotApplicable(
      resources(doc, 'aws_lambda_function').map((fn) => {
        const { role, grants } = masterSecretGrants(doc, fn);
        if (role === undefined) {
          return { address: fn.address, compliant: false, message: `role ${JSON.stringify(fn.body.role)} is not an aws_iam_role of this stack, so its policies cannot be checked` };
        }
        return grants.length === 0
          ? { address: fn.address, compliant: true, message: `its role ${role.address} cannot read the master user secret` }
          : { address: fn.address, compliant: false, message: `${fn.address} can read the RDS-managed master user secret through its role ${role.address}: ${grants.join('; ')}` };
      }),
      'aws_lambda_function',
    ),
} satisfies Rule;
