import type { Rule } from '../../types';
import { strings } from '../../terraform-json';
import { eachResource, isPostgres } from '../../rule-helpers';

/** The PostgreSQL log types cdk-nag's RDSLoggingEnabled requires. */
const REQUIRED_POSTGRES_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;

export const rdsLogExports = {
  id: 'WB-RDS-LOG-EXPORTS' as const,
  title: 'RDS PostgreSQL exports the "postgresql" and "upgrade" logs to CloudWatch',
  mirrors: ['CKV_AWS_129', 'NIST.800.53.R5-RDSLoggingEnabled'],
  severity: 'error',
  explanation:
    'Connection failures, errors and upgrade output are only in these logs. Checkov accepts any non-empty list; ' +
    'cdk-nag requires both types for postgres, which this rule follows (any engine needs a non-empty list). ' +
    'Fix: enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"] and declare their log groups.',
  evaluate: eachResource('aws_db_instance', (db) => {
    const exported = strings(db.body.enabled_cloudwatch_logs_exports);
    if (exported.length === 0) return 'enabled_cloudwatch_logs_exports is empty';
    if (!isPostgres(db)) return undefined;
    const missing = REQUIRED_POSTGRES_LOG_EXPORTS.filter((t) => !exported.includes(t));
    return missing.length === 0 ? undefined : `enabled_cloudwatch_logs_exports lacks ${missing.join(', ')}`;
  }),
} satisfies Rule;
