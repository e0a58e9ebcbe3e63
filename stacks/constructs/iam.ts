import { GITHUB_OIDC, OIDC_CONDITION_KEYS } from '../../config/ci';
import type { AccountContext } from './account-context';

/**
 * A role trust policy that lets exactly one AWS service principal assume the role.
 *
 * @param service the service principal, e.g. `lambda.amazonaws.com`
 * @param sourceAccount when given, the service may assume the role only on behalf of this
 *   account (`aws:SourceAccount`, the confused-deputy guard). Pass it only for services that
 *   document the key in their trust policies, such as VPC Flow Logs
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
 */
export function serviceTrustPolicy(service: string, sourceAccount?: AccountContext): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(sourceAccount ? { Condition: { StringEquals: { 'aws:SourceAccount': sourceAccount.accountId } } } : {}),
      },
    ],
  });
}

/** The ARN of an AWS-managed IAM policy in the stack's partition. */
export function awsManagedPolicyArn(account: AccountContext, name: string): string {
  return `arn:${account.partition}:iam::aws:policy/${name}`;
}

/**
 * A role trust policy that lets GitHub Actions jobs of exactly these OIDC subjects assume the role
 * with their token: `StringEquals` on the token's audience (`sts.amazonaws.com`) and on its subject,
 * so no wildcard admits another repository, branch, event or environment.
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub
 *
 * @param providerArn the ARN of the account's `token.actions.githubusercontent.com` OIDC provider
 * @param subjects the exact `sub` claims admitted, e.g. `repo:octo-org/workshop-backend:pull_request`
 */
export function githubOidcTrustPolicy(providerArn: string, subjects: readonly string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'GitHubActionsJobs',
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [OIDC_CONDITION_KEYS.audience]: GITHUB_OIDC.audience,
            [OIDC_CONDITION_KEYS.subject]: [...subjects],
          },
        },
      },
    ],
  });
}
