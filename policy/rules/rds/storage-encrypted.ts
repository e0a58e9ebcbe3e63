import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsStorageEncrypted = {
  id: 'WB-RDS-STORAGE-ENCRYPTED' as const,
  title: 'RDS storage is encrypted (storage_encrypted = true, explicitly)',
  mirrors: ['CKV_AWS_16', 'AVD-AWS-0080', 'AwsSolutions-RDS2'],
  severity: 'error',
  explanation:
    'Unencrypted storage exposes data, snapshots and replicas; it cannot be turned on later without a restore. ' +
    'Checkov fails when the attribute is absent, and so does this rule. Fix: storage_encrypted = true ' +
    '(with kms_key_id for a customer-managed key where the environment has one).',
  evaluate: eachResource('aws_db_instance', (db) =>
    isTrue(db.body.storage_encrypted) ? undefined : 'storage_encrypted is not set to true',
  ),
} satisfies Rule;
