import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsMultiAz = {
  id: 'WB-RDS-MULTI-AZ' as const,
  title: 'RDS multi_az is true',
  mirrors: ['CKV_AWS_157', 'AwsSolutions-RDS3'],
  severity: 'error',
  explanation:
    'A single-AZ instance is down for the length of an AZ outage and for every maintenance reboot. Multi-AZ ' +
    'roughly doubles the instance cost, so short-lived environments suppress it with that reason. Fix: multi_az = true.',
  evaluate: eachResource('aws_db_instance', (db) => (isTrue(db.body.multi_az) ? undefined : 'multi_az is not true')),
} satisfies Rule;
