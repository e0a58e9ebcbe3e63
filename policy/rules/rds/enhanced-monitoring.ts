import type { Rule } from '../../types';
import { isSet, literalNumber } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

const INTERVALS = [1, 5, 10, 15, 30, 60];

export const rdsEnhancedMonitoring = {
  id: 'WB-RDS-ENHANCED-MONITORING' as const,
  title: 'RDS enhanced monitoring is on (monitoring_interval in 1..60 s with a monitoring role)',
  mirrors: ['CKV_AWS_118', 'NIST.800.53.R5-RDSEnhancedMonitoringEnabled'],
  severity: 'error',
  explanation:
    'Enhanced monitoring shows OS-level metrics (memory, swap, per-process CPU) that CloudWatch does not. It adds a ' +
    'role and RDSOSMetrics log ingestion. Fix: monitoring_interval = 60 and monitoring_role_arn = a role trusting ' +
    'monitoring.rds.amazonaws.com with AmazonRDSEnhancedMonitoringRole.',
  evaluate: eachResource('aws_db_instance', (db) => {
    const s = literalNumber(db.body.monitoring_interval);
    if (s === undefined || !INTERVALS.includes(s)) return `monitoring_interval is ${String(db.body.monitoring_interval ?? 'not set')}`;
    return isSet(db.body.monitoring_role_arn) ? undefined : 'monitoring_role_arn is not set';
  }),
} satisfies Rule;
