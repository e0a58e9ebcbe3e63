import type { Rule } from '../../types';
import { literalNumber } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const logsRetention = {
  id: 'WB-LOGS-RETENTION' as const,
  title: 'Log groups set retention_in_days',
  mirrors: ['CKV_AWS_66', 'NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod'],
  severity: 'error',
  explanation:
    'Without retention_in_days a log group keeps everything forever, and the bill grows with it. Fix: set ' +
    'retention_in_days (see WB-LOGS-RETENTION-1Y for the production minimum).',
  evaluate: eachResource('aws_cloudwatch_log_group', (g) =>
    literalNumber(g.body.retention_in_days) !== undefined ? undefined : 'retention_in_days is not set',
  ),
} satisfies Rule;
