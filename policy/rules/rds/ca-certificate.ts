import type { Rule } from '../../types';
import { eachResource } from '../../rule-helpers';

/** CA identifiers Checkov accepts (CKV_AWS_211). */
const CURRENT_RDS_CAS = ['rds-ca-rsa2048-g1', 'rds-ca-rsa4096-g1', 'rds-ca-ecc384-g1'];

export const rdsCaCertificate = {
  id: 'WB-RDS-CA-CERTIFICATE' as const,
  title: 'RDS ca_cert_identifier, if set, is a current CA',
  mirrors: ['CKV_AWS_211'],
  severity: 'error',
  explanation:
    'Clients verify the server certificate against this CA; the old rds-ca-2019 expired in 2024. Fix: leave it unset ' +
    `(the current default) or use one of ${CURRENT_RDS_CAS.join(', ')}.`,
  evaluate: eachResource('aws_db_instance', (db) => {
    const ca = db.body.ca_cert_identifier;
    return ca === undefined || CURRENT_RDS_CAS.includes(String(ca)) ? undefined : `ca_cert_identifier is ${String(ca)}`;
  }),
} satisfies Rule;
