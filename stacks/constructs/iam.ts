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
