import type { Rule } from '../../types';
import { isSet, isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsFinalSnapshot = {
  id: 'WB-RDS-FINAL-SNAPSHOT' as const,
  title: 'RDS takes a final snapshot on delete (skip_final_snapshot false, identifier set)',
  mirrors: [],
  severity: 'error',
  explanation:
    'Automated backups are deleted with the instance; only a final snapshot survives a destroy. A snapshot left ' +
    'behind after a workshop costs storage, so short-lived environments suppress it with that reason. Fix: ' +
    'skip_final_snapshot = false and final_snapshot_identifier = "<id>-final".',
  evaluate: eachResource('aws_db_instance', (db) => {
    if (isTrue(db.body.skip_final_snapshot)) return 'skip_final_snapshot is true';
    return isSet(db.body.final_snapshot_identifier) ? undefined : 'final_snapshot_identifier is not set';
  }),
} satisfies Rule;
