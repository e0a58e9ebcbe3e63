import type { Rule } from '../../types';
import { isSet, isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

const PASSWORD_KEYS = ['password', 'password_wo', 'master_password'];

export const rdsManagedMasterPassword = {
  id: 'WB-RDS-MANAGED-MASTER-PASSWORD' as const,
  title: 'RDS manage_master_user_password is true and no password appears in the configuration',
  mirrors: [],
  severity: 'error',
  explanation:
    'No scanner reads manage_master_user_password. With it, RDS creates the secret in Secrets Manager and rotates ' +
    'it every 7 days, and the password never enters the Terraform configuration or state. Fix: ' +
    'manage_master_user_password = true and remove password/password_wo.',
  evaluate: eachResource('aws_db_instance', (db) => {
    if (!isTrue(db.body.manage_master_user_password)) return 'manage_master_user_password is not true';
    const key = PASSWORD_KEYS.find((k) => isSet(db.body[k]));
    return key ? `${key} is set` : undefined;
  }),
} satisfies Rule;
