import type { Rule } from '../../types';
import { isSet, isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsSecretCmk = {
  id: 'WB-RDS-SECRET-CMK' as const,
  title: 'The RDS-managed master secret is encrypted with a customer-managed key',
  mirrors: [],
  severity: 'error',
  explanation:
    'With the default aws/secretsmanager key, anyone with secretsmanager:GetSecretValue on the secret can read it; ' +
    'a customer-managed key adds a key policy that names who may decrypt. A key costs about $1/month, so ' +
    'short-lived environments suppress it with that reason. Fix: master_user_secret_kms_key_id = key.arn.',
  evaluate: eachResource('aws_db_instance', (db) => {
    if (!isTrue(db.body.manage_master_user_password)) return 'manage_master_user_password is not true';
    return isSet(db.body.master_user_secret_kms_key_id) ? undefined : 'master_user_secret_kms_key_id is not set';
  }),
} satisfies Rule;
