import type { Rule } from '../../types';
import { literalNumber } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

const MIN_PRODUCTION_RETENTION_DAYS = 365;

export const logsRetentionOneYear = {
  id: 'WB-LOGS-RETENTION-1Y' as const,
  title: `Log groups keep logs at least ${MIN_PRODUCTION_RETENTION_DAYS} days`,
  mirrors: ['CKV_AWS_338'],
  severity: 'error',
  explanation:
    'Incident investigations and audits look back months. Storage for a year of logs costs money, so short-lived ' +
    `environments keep 7-30 days and suppress this with that reason. Fix: retention_in_days >= ${MIN_PRODUCTION_RETENTION_DAYS}.`,
  evaluate: eachResource('aws_cloudwatch_log_group', (g) => {
    const days = literalNumber(g.body.retention_in_days);
    if (days === undefined) return 'retention_in_days is not set';
    return days >= MIN_PRODUCTION_RETENTION_DAYS ? undefined : `retention_in_days is ${days}`;
  }),
} satisfies Rule;
