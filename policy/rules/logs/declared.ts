import type { Evaluation, Rule, TerraformDocument, TfResource } from '../../types';
import { blocks, refersTo, resources, strings } from '../../terraform-json';
import { orNotApplicable } from '../../rule-helpers';

function groupNamed(doc: TerraformDocument, owner: TfResource, literalName: string | undefined, attr: string, prefix: string, suffix = ''): boolean {
  return resources(doc, 'aws_cloudwatch_log_group').some((g) => {
    const name = g.body.name;
    if (typeof name !== 'string') return false;
    if (literalName !== undefined && name === `${prefix}${literalName}${suffix}`) return true;
    return name.startsWith(prefix) && name.endsWith(suffix) && refersTo(name, owner, attr);
  });
}

/** Service log groups are declared, so their retention and key are ours, not "never expire". */
export const logsDeclared = {
  id: 'WB-LOGS-DECLARED' as const,
  title: 'Log groups services write to (Lambda, RDS exports, flow logs) are declared in the stack',
  mirrors: [],
  severity: 'error',
  explanation:
    'Lambda and RDS create /aws/lambda/<fn> and /aws/rds/instance/<id>/<log> on first write when they do not exist, ' +
    'with no retention and no key, and no scanner sees them because they are not in the configuration. Fix: declare ' +
    'an aws_cloudwatch_log_group with exactly that name (or point logging_config.log_group at one), and make the ' +
    'function or instance depend on it.',
  evaluate: (doc) => {
    const out: Evaluation[] = [];
    for (const fn of resources(doc, 'aws_lambda_function')) {
      const custom = blocks(fn.body.logging_config)[0]?.log_group;
      const viaConfig = resources(doc, 'aws_cloudwatch_log_group').some((g) => refersTo(custom, g));
      const name = typeof fn.body.function_name === 'string' && !fn.body.function_name.includes('${') ? fn.body.function_name : undefined;
      const ok = viaConfig || groupNamed(doc, fn, name, 'function_name', '/aws/lambda/');
      out.push({ address: fn.address, compliant: ok, message: ok ? 'log group declared' : 'no declared log group /aws/lambda/<function_name>' });
    }
    for (const db of resources(doc, 'aws_db_instance')) {
      const id = typeof db.body.identifier === 'string' && !db.body.identifier.includes('${') ? db.body.identifier : undefined;
      const missing = strings(db.body.enabled_cloudwatch_logs_exports).filter(
        (log) => !groupNamed(doc, db, id, 'identifier', '/aws/rds/instance/', `/${log}`),
      );
      out.push({
        address: db.address,
        compliant: missing.length === 0,
        message: missing.length === 0 ? 'log groups declared' : `no declared log group for ${missing.map((m) => `/aws/rds/instance/<id>/${m}`).join(', ')}`,
      });
    }
    for (const fl of resources(doc, 'aws_flow_log')) {
      const dest = fl.body.log_destination ?? fl.body.log_group_name;
      const ok =
        fl.body.log_destination_type === 's3'
          ? resources(doc, 'aws_s3_bucket').some((b) => refersTo(dest, b))
          : resources(doc, 'aws_cloudwatch_log_group').some((g) => refersTo(dest, g));
      out.push({ address: fl.address, compliant: ok, message: ok ? 'destination declared' : 'destination is not a declared log group or bucket' });
    }
    return orNotApplicable(out, 'aws_lambda_function, aws_db_instance or aws_flow_log');
  },
} satisfies Rule;
