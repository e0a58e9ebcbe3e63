import type { Rule } from '../../types';
import { blocks, refersTo, resources } from '../../terraform-json';
import { eachResource, isPostgres } from '../../rule-helpers';

export const rdsForceSsl = {
  id: 'WB-RDS-FORCE-SSL' as const,
  title: 'RDS PostgreSQL uses a postgres parameter group that sets rds.force_ssl = 1',
  mirrors: ['CKV2_AWS_69'],
  severity: 'error',
  explanation:
    'rds.force_ssl = 1 makes the server refuse unencrypted connections. Checkov passes an instance with no ' +
    'parameter group attached (a vacuous pass); this rule fails it, because the default group is not under our ' +
    'control. Fix: an aws_db_parameter_group with family "postgresNN" and parameter { name = "rds.force_ssl", ' +
    'value = "1" }, referenced by parameter_group_name.',
  evaluate: eachResource('aws_db_instance', (db, doc) => {
    if (!isPostgres(db)) return undefined;
    const groups = resources(doc, 'aws_db_parameter_group');
    const group = groups.find(
      (g) => refersTo(db.body.parameter_group_name, g) || (g.body.name !== undefined && g.body.name === db.body.parameter_group_name),
    );
    if (!group) return 'no aws_db_parameter_group of this stack is attached through parameter_group_name';
    if (typeof group.body.family !== 'string' || !/^postgres/.test(group.body.family)) {
      return `${group.address} family is not postgres`;
    }
    const forced = blocks(group.body.parameter).some((p) => p.name === 'rds.force_ssl' && String(p.value) === '1');
    return forced ? undefined : `${group.address} does not set rds.force_ssl = 1`;
  }),
} satisfies Rule;
