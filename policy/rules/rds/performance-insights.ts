import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsPerformanceInsights = {
  id: 'WB-RDS-PERFORMANCE-INSIGHTS' as const,
  title: 'RDS performance_insights_enabled is true',
  mirrors: ['CKV_AWS_353', 'AVD-AWS-0133'],
  severity: 'error',
  explanation:
    'Performance Insights shows which queries hold the database; 7 days of history are in the free tier. ' +
    'Fix: performance_insights_enabled = true (and performance_insights_kms_key_id, see WB-RDS-PERFORMANCE-INSIGHTS-CMK).',
  evaluate: eachResource('aws_db_instance', (db) =>
    isTrue(db.body.performance_insights_enabled) ? undefined : 'performance_insights_enabled is not true',
  ),
} satisfies Rule;
