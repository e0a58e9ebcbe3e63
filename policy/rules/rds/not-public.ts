import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsNotPublic = {
  id: 'WB-RDS-NOT-PUBLIC' as const,
  title: 'RDS instances are not publicly accessible',
  mirrors: ['CKV_AWS_17', 'AVD-AWS-0180', 'NIST.800.53.R5-RDSInstancePublicAccess'],
  severity: 'error',
  explanation:
    'A publicly accessible instance gets a public DNS name and IP. Fix: publicly_accessible = false ' +
    '(the default) and private subnets in the DB subnet group.',
  evaluate: eachResource('aws_db_instance', (db) =>
    isTrue(db.body.publicly_accessible) ? 'publicly_accessible is true' : undefined,
  ),
} satisfies Rule;
