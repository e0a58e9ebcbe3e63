import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { dev, prod } from '../../support/environments';
import { validateEnvironmentConfig } from '../../../config/schema';
import type { EnvironmentConfig } from '../../../config/types';
import { TREAT_MISSING_DATA_REASONS } from '../../../stacks/constructs/alarms';
import { Testing } from 'cdktf';
import { collectSuppressions } from '../../../policy/suppressions';
import { PROFILE_EXCEPTIONS } from '../../../stacks/constructs/policy-exceptions';
import { WorkshopBackendStack } from '../../../stacks/workshop-backend-stack';
import { nameWhere, onlyResource, ref, resourcesOf, synthStack, testApp, withField, type TerraformDocument } from '../../support/synth';

describe('Alarms', () => {
  const prodStack = synthStack(prod);
  const devStack = synthStack(dev);
  const topic = onlyResource(prodStack.doc, 'aws_sns_topic');
  const topicArn = ref('aws_sns_topic', topic.name, 'arn');
  const alarms = Object.values(resourcesOf(prodStack.doc, 'aws_cloudwatch_metric_alarm'));
  const alarm = (name: string) => {
    const found = alarms.find((a) => a.alarm_name === name);
    if (!found) throw new Error(`no alarm ${name}; alarms: ${alarms.map((a) => a.alarm_name).join(', ')}`);
    return found;
  };
  const fn = nameWhere(prodStack.doc, 'aws_lambda_function', 'function_name', 'workshop-prod-lambda-db-health');
  const migrate = nameWhere(prodStack.doc, 'aws_lambda_function', 'function_name', 'workshop-prod-lambda-db-migrate');
  const db = onlyResource(prodStack.doc, 'aws_db_instance').name;

  it('creates nothing in dev, where alerts are off by default', () => {
    for (const type of ['aws_sns_topic', 'aws_sns_topic_policy', 'aws_cloudwatch_metric_alarm', 'aws_cloudwatch_event_rule', 'aws_cloudwatch_event_target']) {
      expect(devStack.doc.resource[type]).toBeUndefined();
    }
  });

  it('encrypts the prod topic with the customer-managed key and outputs its ARN', () => {
    const key = onlyResource(prodStack.doc, 'aws_kms_key').name;
    expect(topic.body).toMatchObject({ name: 'workshop-prod-backend-alerts', kms_master_key_id: ref('aws_kms_key', key, 'arn') });
    expect(prodStack.doc.output.alerts_topic_arn).toEqual(expect.objectContaining({ value: topicArn }));
  });

  it('lets only the alarms of this stack and the rotation rule publish, each with source conditions', () => {
    const rule = onlyResource(prodStack.doc, 'aws_cloudwatch_event_rule').name;
    const policy = onlyResource(prodStack.doc, 'aws_sns_topic_policy').body;
    expect(policy.arn).toBe(topicArn);
    const account = expect.stringMatching(/^\$\{data\.aws_caller_identity\..+\.account_id\}$/);
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: 'AlarmsOfThisStackPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': expect.stringMatching(/:cloudwatch:ap-southeast-1:\$\{data\.aws_caller_identity\..+\.account_id\}:alarm:workshop-prod-\*$/) },
        },
      },
      {
        Sid: 'RotationRulePublishes',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnEquals: { 'aws:SourceArn': ref('aws_cloudwatch_event_rule', rule, 'arn') } },
      },
    ]);
  });

  it('has one alarm per watched metric of each function and of the instance, each notifying the topic when it fires and when it recovers', () => {
    expect(alarms.map((a) => `${a.namespace} ${a.metric_name}`).sort()).toEqual([
      // The application function and the migration function.
      ...['ConcurrentExecutions', 'Duration', 'Errors', 'Throttles'].flatMap((metric) => Array(2).fill(`AWS/Lambda ${metric}`)),
      'AWS/RDS CPUUtilization',
      'AWS/RDS DatabaseConnections',
      'AWS/RDS FreeStorageSpace',
      'AWS/RDS FreeableMemory',
    ]);
    for (const a of alarms) {
      expect(a).toMatchObject({ actions_enabled: true, alarm_actions: [topicArn], ok_actions: [topicArn], period: 300 });
      expect(a.alarm_name).toMatch(/^workshop-prod-/);
    }
  });

  it('watches the function and the instance of the stack by reference', () => {
    for (const name of ['lambda-errors', 'lambda-throttles', 'lambda-duration-p99', 'lambda-concurrency']) {
      expect(alarm(`workshop-prod-${name}`).dimensions).toEqual({ FunctionName: ref('aws_lambda_function', fn, 'function_name') });
    }
    for (const name of ['db-cpu', 'db-free-storage', 'db-freeable-memory', 'db-connections']) {
      expect(alarm(`workshop-prod-${name}`).dimensions).toEqual({ DBInstanceIdentifier: ref('aws_db_instance', db, 'identifier') });
    }
  });

  it("watches the migration function with alarms named after it, from its own timeout and concurrency of 1", () => {
    for (const name of ['lambda-errors', 'lambda-throttles', 'lambda-duration-p99', 'lambda-concurrency']) {
      expect(alarm(`workshop-prod-db-migrate-${name}`).dimensions).toEqual({ FunctionName: ref('aws_lambda_function', migrate, 'function_name') });
    }
    // 80% of its 300 s timeout; 80% of 1, at least 1.
    expect(alarm('workshop-prod-db-migrate-lambda-duration-p99')).toMatchObject({ threshold: 240000 });
    expect(alarm('workshop-prod-db-migrate-lambda-concurrency')).toMatchObject({ threshold: 1 });
  });

  it('takes every threshold from config/derived.ts: the timeout, the reserved concurrency, the connection budget, storage and memory', () => {
    expect(alarm('workshop-prod-lambda-errors')).toMatchObject({ statistic: 'Sum', comparison_operator: 'GreaterThanOrEqualToThreshold', threshold: 1 });
    expect(alarm('workshop-prod-lambda-throttles')).toMatchObject({ statistic: 'Sum', threshold: 1 });
    // 80% of the 10 s timeout, as p99.
    expect(alarm('workshop-prod-lambda-duration-p99')).toMatchObject({ extended_statistic: 'p99', threshold: 8000 });
    expect(alarm('workshop-prod-lambda-duration-p99').statistic).toBeUndefined();
    // 80% of the reserved concurrency of 100.
    expect(alarm('workshop-prod-lambda-concurrency')).toMatchObject({ statistic: 'Maximum', threshold: 80 });
    expect(alarm('workshop-prod-db-cpu')).toMatchObject({ statistic: 'Average', threshold: 80 });
    // 10% of 20 GiB, and 10% of the 4 GiB of a db.t4g.medium.
    expect(alarm('workshop-prod-db-free-storage')).toMatchObject({ statistic: 'Minimum', comparison_operator: 'LessThanOrEqualToThreshold', threshold: 2147483648 });
    expect(alarm('workshop-prod-db-freeable-memory')).toMatchObject({ statistic: 'Minimum', threshold: 429496729 });
    // 80% of the 390 connections left after the 10 kept for operators.
    expect(alarm('workshop-prod-db-connections')).toMatchObject({ statistic: 'Maximum', threshold: 312 });
  });

  it('treats missing data per alarm: Lambda silence is idleness, RDS silence is reported once, by the storage alarm', () => {
    const byMissing = (value: string) => alarms.filter((a) => a.treat_missing_data === value).map((a) => a.alarm_name).sort();
    expect(byMissing('breaching')).toEqual(['workshop-prod-db-free-storage']);
    expect(byMissing('notBreaching')).toHaveLength(11);
    for (const reason of Object.values(TREAT_MISSING_DATA_REASONS)) expect(reason).toMatch(/\.$/);
  });

  it('forwards failed and abandoned rotations of the database secret to the topic', () => {
    const rule = onlyResource(prodStack.doc, 'aws_cloudwatch_event_rule');
    expect(rule.body.name).toBe('workshop-prod-db-secret-rotation-failed');
    expect(JSON.parse(rule.body.event_pattern)).toEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['AWS Service Event via CloudTrail'],
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: ['RotationFailed', 'RotationAbandoned'],
        additionalEventData: { SecretId: [`\${aws_db_instance.${db}.master_user_secret[0].secret_arn}`] },
      },
    });
    expect(prodStack.json).toHaveResourceWithProperties(CloudwatchEventTarget, {
      rule: ref('aws_cloudwatch_event_rule', rule.name, 'name'),
      arn: topicArn,
    });
  });

  it('subscribes the configured email address, and none by default', () => {
    expect(prodStack.doc.resource.aws_sns_topic_subscription).toBeUndefined();
    const withEmail = synthStack(withField(prod, 'alerts.email', 'oncall@example.com') as EnvironmentConfig);
    expect(withEmail.json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: 'email', endpoint: 'oncall@example.com' });
  });

  it('leaves the topic unencrypted without a customer-managed key, and says why in a suppression', () => {
    const app = testApp();
    const stack = new WorkshopBackendStack(app, 'dev', { config: validateEnvironmentConfig(withField(dev, 'alerts.enabled', true)) });
    const devWithAlerts = { doc: JSON.parse(Testing.synth(stack)) as TerraformDocument };
    const body = onlyResource(devWithAlerts.doc, 'aws_sns_topic').body;
    expect(body.kms_master_key_id).toBeUndefined();
    expect(collectSuppressions(stack).filter((s) => s.ruleId === 'WB-SNS-TOPIC-CMK')).toEqual([
      expect.objectContaining({ constructPath: 'dev/alarms/topic', reason: PROFILE_EXCEPTIONS.workshop.alertTopicWithoutCmk }),
    ]);
    // Unreserved concurrency: 80% of the 70 connections dev's database leaves to the Lambda.
    const concurrency = Object.values(resourcesOf(devWithAlerts.doc, 'aws_cloudwatch_metric_alarm')).find((a) => a.metric_name === 'ConcurrentExecutions');
    expect(concurrency?.threshold).toBe(56);
  });
});
