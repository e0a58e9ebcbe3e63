import type { Evaluation, Rule, TerraformDocument, TfResource } from '../../types';
import { refersTo, resources } from '../../terraform-json';
import { orNotApplicable } from '../../rule-helpers';

/**
 * The metrics each resource type must have an alarm on, and the dimension that names the resource.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html
 */
export const REQUIRED_ALARMS = {
  aws_lambda_function: { namespace: 'AWS/Lambda', dimension: 'FunctionName', attribute: 'function_name', metrics: ['Errors', 'Throttles'] },
  aws_db_instance: {
    namespace: 'AWS/RDS',
    dimension: 'DBInstanceIdentifier',
    attribute: 'identifier',
    metrics: ['CPUUtilization', 'FreeStorageSpace', 'DatabaseConnections'],
  },
} as const;

/** True when the alarm's dimension names the resource, by reference or by its literal name. */
function watches(alarm: TfResource, target: TfResource, dimension: string, attribute: string): boolean {
  const value = (alarm.body.dimensions as Record<string, unknown> | undefined)?.[dimension];
  if (value === undefined) return false;
  const literal = target.body[attribute];
  return refersTo(value, target, attribute) || (typeof literal === 'string' && !literal.includes('${') && value === literal);
}

function missingAlarms(doc: TerraformDocument, target: TfResource, type: keyof typeof REQUIRED_ALARMS): string[] {
  const { namespace, dimension, attribute, metrics } = REQUIRED_ALARMS[type];
  const alarms = resources(doc, 'aws_cloudwatch_metric_alarm').filter(
    (a) => a.body.namespace === namespace && watches(a, target, dimension, attribute),
  );
  return metrics.filter((m) => !alarms.some((a) => a.body.metric_name === m));
}

export const cloudwatchMonitored = {
  id: 'WB-CLOUDWATCH-MONITORED' as const,
  title: 'Lambda functions have Errors and Throttles alarms; DB instances CPUUtilization, FreeStorageSpace and DatabaseConnections alarms',
  mirrors: [],
  severity: 'error',
  explanation:
    'Without alarms a failing function, a full disk or an exhausted connection pool is found by users. No scanner ' +
    'checks that alarms exist for what the stack runs, so this rule does (WB-CLOUDWATCH-ALARM-ACTIONS checks that ' +
    'they notify someone). Environments without on-call staff suppress it with that reason. Fix: an ' +
    'aws_cloudwatch_metric_alarm per metric, with dimensions { FunctionName = fn.function_name } or ' +
    '{ DBInstanceIdentifier = db.identifier } (stacks/constructs/alarms.ts).',
  evaluate: (doc) => {
    const out: Evaluation[] = [];
    for (const type of Object.keys(REQUIRED_ALARMS) as (keyof typeof REQUIRED_ALARMS)[]) {
      for (const r of resources(doc, type)) {
        const missing = missingAlarms(doc, r, type);
        out.push({
          address: r.address,
          compliant: missing.length === 0,
          message: missing.length === 0 ? 'alarms present' : `no alarm on ${missing.join(', ')}`,
        });
      }
    }
    return orNotApplicable(out, Object.keys(REQUIRED_ALARMS).join(' or '));
  },
} satisfies Rule;
