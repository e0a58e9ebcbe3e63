/**
 * Actions that do not support resource-level permissions and must use `Resource: "*"`, per the
 * Service Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/):
 * their "Resource types" column is empty. cloudsplaining (and so Checkov's CKV_AWS_355) does not
 * flag a `*` statement that holds only such actions. The list holds the ones this project may need.
 */
const WILDCARD_ONLY_ACTIONS: ReadonlySet<string> = new Set(
  [
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeVpcs',
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'xray:GetSamplingStatisticSummaries',
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
    'secretsmanager:GetRandomPassword',
    'secretsmanager:ListSecrets',
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
    'logs:DescribeLogGroups',
  ].map((a) => a.toLowerCase()),
);

export function isWildcardOnly(action: string): boolean {
  return WILDCARD_ONLY_ACTIONS.has(action.toLowerCase());
}
