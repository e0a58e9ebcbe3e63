import type { Rule } from '../../types';
import { blocks, refersTo, resources } from '../../terraform-json';
import { eachResource, isPostgres } from '../../rule-helpers';
import { forceSslEngineDefault, postgresFamilyMajor } from '../../../config/derived';

export const rdsForceSsl = {
  id: 'WB-RDS-FORCE-SSL' as const,
  title: "RDS PostgreSQL uses a postgres parameter group whose rds.force_ssl is 1, set only where the family's default is 0",
  mirrors: ['CKV2_AWS_69'],
  severity: 'error',
  explanation:
    'rds.force_ssl = 1 makes the server refuse unencrypted connections. It is the engine default from postgres15 on, ' +
    'and a parameter set to its default is read back with the apply method RDS reports, which can differ from the ' +
    'configured one and show as a change on every plan (docs/day-2.md). Checkov passes an instance with no parameter ' +
    'group attached (a vacuous pass); this rule fails it, because the default group is not under our control. Fix: ' +
    'an aws_db_parameter_group with family "postgresNN", referenced by parameter_group_name, with parameter ' +
    '{ name = "rds.force_ssl", value = "1" } only for families before postgres15, and no rds.force_ssl from postgres15 on.',
  evaluate: eachResource('aws_db_instance', (db, doc) => {
    if (!isPostgres(db)) return undefined;
    const groups = resources(doc, 'aws_db_parameter_group');
    const group = groups.find(
      (g) => refersTo(db.body.parameter_group_name, g) || (g.body.name !== undefined && g.body.name === db.body.parameter_group_name),
    );
    if (!group) return 'no aws_db_parameter_group of this stack is attached through parameter_group_name';
    const major = typeof group.body.family === 'string' ? postgresFamilyMajor(group.body.family) : undefined;
    if (major === undefined) return `${group.address} family is not postgresNN`;
    const engineDefault = forceSslEngineDefault(major);
    const set = blocks(group.body.parameter).find((p) => p.name === 'rds.force_ssl');
    if (set === undefined) return engineDefault === '1' ? undefined : `${group.address} does not set rds.force_ssl = 1 (postgres${major} defaults to 0)`;
    if (String(set.value) !== '1') return `${group.address} sets rds.force_ssl = ${String(set.value)}`;
    return engineDefault === '1'
      ? `${group.address} sets rds.force_ssl = 1, the postgres${major} default: remove it (it can show as a change on every plan)`
      : undefined;
  }),
} satisfies Rule;
