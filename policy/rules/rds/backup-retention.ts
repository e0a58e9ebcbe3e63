import type { Rule } from '../../types';
import { literalNumber } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

/** Minimum retention Trivy accepts (AVD-AWS-0077); RDS allows at most 35. */
const MIN_BACKUP_RETENTION_DAYS = 2;

export const rdsBackupRetention = {
  id: 'WB-RDS-BACKUP-RETENTION' as const,
  title: `RDS backup_retention_period is set explicitly to ${MIN_BACKUP_RETENTION_DAYS}..35 days`,
  mirrors: ['CKV_AWS_133', 'AVD-AWS-0077', 'AwsSolutions-RDS13'],
  severity: 'error',
  explanation:
    'Automated backups are what point-in-time recovery restores from. Checkov passes an absent value; Trivy reads ' +
    'absent as 0 and requires at least 2, which this rule follows. Fix: backup_retention_period = 7 ' +
    '(backup storage up to the database size is free).',
  evaluate: eachResource('aws_db_instance', (db) => {
    const days = literalNumber(db.body.backup_retention_period);
    if (days === undefined) return 'backup_retention_period is not set to a literal number';
    return days >= MIN_BACKUP_RETENTION_DAYS && days <= 35 ? undefined : `backup_retention_period is ${days}`;
  }),
} satisfies Rule;
