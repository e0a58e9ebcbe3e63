import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsIamAuthentication = {
  id: 'WB-RDS-IAM-AUTHENTICATION' as const,
  title: 'RDS iam_database_authentication_enabled is true',
  mirrors: ['CKV_AWS_161', 'AVD-AWS-0176'],
  severity: 'error',
  explanation:
    'IAM authentication lets roles connect with short-lived tokens instead of a shared password. It is free and ' +
    'harmless while the application keeps using the managed secret. Fix: iam_database_authentication_enabled = true.',
  evaluate: eachResource('aws_db_instance', (db) =>
    isTrue(db.body.iam_database_authentication_enabled) ? undefined : 'iam_database_authentication_enabled is not true',
  ),
} satisfies Rule;
