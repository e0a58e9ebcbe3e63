import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsDeletionProtection = {
  id: 'WB-RDS-DELETION-PROTECTION' as const,
  title: 'RDS deletion_protection is true',
  mirrors: ['CKV_AWS_293', 'AVD-AWS-0177', 'AwsSolutions-RDS10'],
  severity: 'error',
  explanation:
    'Deletion protection stops a destroy or a replacing change from deleting the database. It also blocks a ' +
    'workshop teardown, so short-lived environments suppress it with that reason. Fix: deletion_protection = true.',
  evaluate: eachResource('aws_db_instance', (db) =>
    isTrue(db.body.deletion_protection) ? undefined : 'deletion_protection is not true',
  ),
} satisfies Rule;
