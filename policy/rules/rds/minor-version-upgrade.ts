import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const rdsMinorVersionUpgrade = {
  id: 'WB-RDS-MINOR-VERSION-UPGRADE' as const,
  title: 'RDS auto_minor_version_upgrade is explicitly true',
  mirrors: ['CKV_AWS_226', 'NIST.800.53.R5-RDSAutomaticMinorVersionUpgradeEnabled'],
  severity: 'error',
  explanation:
    'Minor versions carry security fixes. The provider default is true, but Checkov fails when the attribute is ' +
    'absent, and an explicit value documents the choice. Fix: auto_minor_version_upgrade = true.',
  evaluate: eachResource('aws_db_instance', (db) =>
    isTrue(db.body.auto_minor_version_upgrade) ? undefined : 'auto_minor_version_upgrade is not explicitly true',
  ),
} satisfies Rule;
