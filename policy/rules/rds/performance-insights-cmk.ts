import type { Rule } from '../../types';
import { isSet, isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsPerformanceInsightsCmk = {
  id: 'WB-RDS-PERFORMANCE-INSIGHTS-CMK' as const,
  title: 'RDS Performance Insights data is encrypted with a customer-managed key',
  mirrors: ['CKV_AWS_354', 'AVD-AWS-0078'],
  severity: 'error',
  explanation:
    'Performance Insights stores query text, which can hold data. Both scanners require ' +
    'performance_insights_kms_key_id when PI is on; this rule also fails when PI is off, because then the data ' +
    'protection it asks for is not demonstrated (no vacuous pass). A key costs about $1/month, so short-lived ' +
    'environments suppress it with that reason. Fix: performance_insights_kms_key_id = key.arn.',
  evaluate: eachResource('aws_db_instance', (db) => {
    if (!isTrue(db.body.performance_insights_enabled)) return 'Performance Insights is off, so no key is configured';
    return isSet(db.body.performance_insights_kms_key_id) ? undefined : 'performance_insights_kms_key_id is not set';
  }),
} satisfies Rule;
