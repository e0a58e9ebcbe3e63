import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsCopyTagsToSnapshot = {
  id: 'WB-RDS-COPY-TAGS-TO-SNAPSHOT' as const,
  title: 'RDS copy_tags_to_snapshot is true',
  mirrors: ['CKV2_AWS_60'],
  severity: 'error',
  explanation:
    'Snapshots without tags lose their owner and environment, so nobody can tell which to keep or delete. ' +
    'Fix: copy_tags_to_snapshot = true.',
  evaluate: eachResource('aws_db_instance', (db) =>
    isTrue(db.body.copy_tags_to_snapshot) ? undefined : 'copy_tags_to_snapshot is not true',
  ),
} satisfies Rule;
