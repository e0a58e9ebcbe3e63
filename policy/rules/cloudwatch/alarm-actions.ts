import type { Rule } from '../../types';
import { referencedResources, strings } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const cloudwatchAlarmActions = {
  id: 'WB-CLOUDWATCH-ALARM-ACTIONS' as const,
  title: 'CloudWatch alarms have actions enabled and notify an SNS topic of the stack',
  mirrors: ['CKV_AWS_319', 'NIST.800.53.R5-CloudWatchAlarmAction'],
  severity: 'error',
  explanation:
    'An alarm without actions (or with actions_enabled = false) changes state in the console and tells no one. ' +
    'Fix: actions_enabled = true and alarm_actions = [topic.arn] of an aws_sns_topic declared in the same stack ' +
    '(ok_actions too, so the recovery is announced).',
  evaluate: eachResource('aws_cloudwatch_metric_alarm', (a, doc) => {
    if (a.body.actions_enabled === false || a.body.actions_enabled === 'false') return 'actions_enabled is false';
    const actions = strings(a.body.alarm_actions);
    if (actions.length === 0) return 'alarm_actions is empty';
    if (referencedResources(doc, actions, 'aws_sns_topic').length === 0) return 'alarm_actions names no aws_sns_topic of this stack';
    return undefined;
  }),
} satisfies Rule;
