import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { AccountContext } from './account-context';
import { ALARM_FREE_FRACTION, ALARM_LIMIT_FRACTION, ALARM_PERIOD_SECONDS, type AlarmThresholds } from '../../config/derived';
import { SEED_FUNCTION_NAME } from '../../config/names';
import type { AlertsConfig } from '../../config/types';
import type { BackendFunction } from './backend-function';
import type { Database } from './database';
import type { EncryptionKey } from './encryption-key';
import { suppressWhen } from './policy-exceptions';

/** Props of {@link Alarms}. */
export interface AlarmsProps {
  /** Prefix of resource names: the topic is `<namePrefix>-backend-alerts`, alarms `<namePrefix>-<alarm>`. */
  readonly namePrefix: string;
  /** The optional email subscription (validated by `validateEnvironmentConfig`). */
  readonly config: AlertsConfig;
  /** The database's thresholds, from config/derived.ts (`alarmThresholds`). */
  readonly thresholds: AlarmThresholds;
  /**
   * The functions whose Errors, Throttles, Duration and ConcurrentExecutions are watched, each with
   * its thresholds (`alarmThresholds` of its timeout and reserved concurrency).
   */
  readonly functions: readonly { readonly function: BackendFunction; readonly thresholds: AlarmThresholds }[];
  /** The instance whose CPU, storage, memory and connections are watched, and whose secret's rotation. */
  readonly database: Database;
  /**
   * Key that encrypts the topic; its policy must let CloudWatch and EventBridge use it for this topic
   * (`EncryptionKey`'s `alertTopicName` = {@link Alarms.topicName}).
   * @default - an unencrypted topic: CloudWatch alarms cannot publish to a topic encrypted with the
   *   AWS-managed `aws/sns` key, so without a customer-managed key the topic stays unencrypted
   */
  readonly encryptionKey?: EncryptionKey;
}

/** How an alarm treats periods without data; see {@link TREAT_MISSING_DATA_REASONS}. */
export type TreatMissingData = 'notBreaching' | 'breaching';

/**
 * Why each alarm treats missing data the way it does. Lambda publishes its metrics only for periods
 * with invocations; RDS publishes its metrics every minute while the instance runs.
 * Source: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
 */
export const TREAT_MISSING_DATA_REASONS = {
  lambdaIdle: 'Lambda publishes no data point for a period without invocations, and an idle function is healthy.',
  dbCoveredByStorage:
    'RDS publishes every minute while the instance runs; a silent instance is reported once, by the FreeStorageSpace alarm, not by every alarm at once.',
  dbSilent:
    'RDS publishes FreeStorageSpace every minute while the instance runs, so no data means the instance is stopped, failed or being replaced: that is worth a page.',
} as const;

/** One alarm: the metric, how it is compared, and why missing data counts as it does. */
export interface AlarmSpec {
  /** Construct id and alarm name suffix, kebab-case, e.g. `lambda-errors`. */
  readonly id: string;
  readonly namespace: 'AWS/Lambda' | 'AWS/RDS';
  readonly metricName: string;
  /** `Sum`, `Average`, `Minimum`, `Maximum`, or a percentile such as `p99`. */
  readonly statistic: string;
  readonly comparison: 'GreaterThanOrEqualToThreshold' | 'LessThanOrEqualToThreshold';
  readonly threshold: number;
  /** Periods looked at, each {@link ALARM_PERIOD_SECONDS} long. */
  readonly evaluationPeriods: number;
  /** Of those, how many must breach. */
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** Key into {@link TREAT_MISSING_DATA_REASONS}. */
  readonly missingDataReason: keyof typeof TREAT_MISSING_DATA_REASONS;
  /** What the alarm means, for the notification. */
  readonly description: string;
}

const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;
const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

/** The Lambda alarms, from the thresholds. */
export function lambdaAlarmSpecs(t: AlarmThresholds): AlarmSpec[] {
  const base = { namespace: 'AWS/Lambda', treatMissingData: 'notBreaching', missingDataReason: 'lambdaIdle' } as const;
  const above = 'GreaterThanOrEqualToThreshold' as const;
  return [
    {
      ...base, id: 'lambda-errors', metricName: 'Errors', statistic: 'Sum', comparison: above, threshold: t.lambdaErrors,
      evaluationPeriods: 1, datapointsToAlarm: 1,
      description: `At least ${t.lambdaErrors} invocation(s) failed in 5 minutes.`,
    },
    {
      ...base, id: 'lambda-throttles', metricName: 'Throttles', statistic: 'Sum', comparison: above, threshold: t.lambdaThrottles,
      evaluationPeriods: 1, datapointsToAlarm: 1,
      description: `At least ${t.lambdaThrottles} request(s) throttled in 5 minutes: the function's concurrency is exhausted.`,
    },
    {
      ...base, id: 'lambda-duration-p99', metricName: 'Duration', statistic: 'p99', comparison: above, threshold: t.lambdaDurationP99Millis,
      evaluationPeriods: 3, datapointsToAlarm: 2,
      description: `Duration p99 at or above ${t.lambdaDurationP99Millis} ms (${pct(ALARM_LIMIT_FRACTION)} of the timeout) in 2 of 3 periods of 5 minutes.`,
    },
    {
      ...base, id: 'lambda-concurrency', metricName: 'ConcurrentExecutions', statistic: 'Maximum', comparison: above,
      threshold: t.lambdaConcurrentExecutions, evaluationPeriods: 3, datapointsToAlarm: 2,
      description: `Concurrent executions at or above ${t.lambdaConcurrentExecutions} (${pct(ALARM_LIMIT_FRACTION)} of the limit) in 2 of 3 periods of 5 minutes.`,
    },
  ];
}

/** The RDS alarms, from the thresholds. */
export function databaseAlarmSpecs(t: AlarmThresholds): AlarmSpec[] {
  const base = { namespace: 'AWS/RDS', treatMissingData: 'notBreaching', missingDataReason: 'dbCoveredByStorage' } as const;
  return [
    {
      ...base, id: 'db-cpu', metricName: 'CPUUtilization', statistic: 'Average', comparison: 'GreaterThanOrEqualToThreshold',
      threshold: t.dbCpuUtilizationPercent, evaluationPeriods: 3, datapointsToAlarm: 3,
      description: `CPU at or above ${t.dbCpuUtilizationPercent}% for 15 minutes.`,
    },
    {
      ...base, id: 'db-free-storage', metricName: 'FreeStorageSpace', statistic: 'Minimum', comparison: 'LessThanOrEqualToThreshold',
      threshold: t.dbFreeStorageBytes, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'breaching', missingDataReason: 'dbSilent',
      description: `Free storage at or below ${mib(t.dbFreeStorageBytes)} (${pct(ALARM_FREE_FRACTION)} of the allocated storage), or the instance publishes no metrics.`,
    },
    {
      ...base, id: 'db-freeable-memory', metricName: 'FreeableMemory', statistic: 'Minimum', comparison: 'LessThanOrEqualToThreshold',
      threshold: t.dbFreeableMemoryBytes, evaluationPeriods: 3, datapointsToAlarm: 3,
      description: `Freeable memory at or below ${mib(t.dbFreeableMemoryBytes)} for 15 minutes.`,
    },
    {
      ...base, id: 'db-connections', metricName: 'DatabaseConnections', statistic: 'Maximum', comparison: 'GreaterThanOrEqualToThreshold',
      threshold: t.dbConnections, evaluationPeriods: 3, datapointsToAlarm: 2,
      description: `Connections at or above ${t.dbConnections} (${pct(ALARM_LIMIT_FRACTION)} of the connection budget) in 2 of 3 periods of 5 minutes.`,
    },
  ];
}

/**
 * The Secrets Manager events of a rotation that did not finish. Secrets Manager records rotation
 * outcomes in CloudTrail as service events (`RotationStarted`, `RotationSucceeded`, `RotationFailed`,
 * `RotationAbandoned`), which reach the default event bus with the detail-type below; the secret's
 * ARN is in `detail.additionalEventData.SecretId`. `RotationFailed` is a rotation that failed;
 * `RotationAbandoned` one cut short because a new version of the secret was created by hand while it
 * ran (Secrets Manager then removes the `AWSPENDING` label). Nobody should write an RDS-managed secret
 * by hand, so either is worth an alert. Its native events (`Secret Label Updated`) carry no failure.
 * Sources: https://docs.aws.amazon.com/secretsmanager/latest/userguide/cloudtrail_log_entries.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const ROTATION_FAILED_EVENT = {
  source: 'aws.secretsmanager',
  detailType: 'AWS Service Event via CloudTrail',
  eventSource: 'secretsmanager.amazonaws.com',
  eventNames: ['RotationFailed', 'RotationAbandoned'],
} as const;

/** The event pattern that matches failed and abandoned rotations of one secret. */
export function rotationFailedPattern(secretArn: string): object {
  return {
    source: [ROTATION_FAILED_EVENT.source],
    'detail-type': [ROTATION_FAILED_EVENT.detailType],
    detail: {
      eventSource: [ROTATION_FAILED_EVENT.eventSource],
      eventName: [...ROTATION_FAILED_EVENT.eventNames],
      additionalEventData: { SecretId: [secretArn] },
    },
  };
}

/**
 * Operations alerts: an SNS topic (encrypted with the customer-managed key when there is one, with
 * a policy that lets only this stack's CloudWatch alarms and EventBridge rule publish), an optional
 * email subscription, eight CloudWatch alarms on the Lambda and the RDS instance that notify the
 * topic when they fire and when they recover, and an EventBridge rule that forwards failed and
 * abandoned rotations of the RDS-managed secret to it.
 */
export class Alarms extends Construct {
  readonly topic: SnsTopic;
  /** The topic's ARN. */
  readonly topicArn: string;
  /** The alarms, by {@link AlarmSpec.id}, prefixed with the function's name for a function other than the seed's. */
  readonly alarms: Readonly<Record<string, CloudwatchMetricAlarm>>;
  /** The rule that matches failed and abandoned rotations of the database secret. */
  readonly rotationFailedRule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { namePrefix, config, thresholds, functions, database, encryptionKey } = props;
    const account = AccountContext.of(this);

    this.topic = new SnsTopic(this, 'topic', {
      name: Alarms.topicName(namePrefix),
      displayName: `${namePrefix} backend alerts`,
      kmsMasterKeyId: encryptionKey?.keyArn,
    });
    this.topicArn = this.topic.arn;
    suppressWhen(!encryptionKey, this.topic, 'WB-SNS-TOPIC-CMK', 'alertTopicWithoutCmk');

    this.rotationFailedRule = new CloudwatchEventRule(this, 'rotation-failed-rule', {
      name: `${namePrefix}-db-secret-rotation-failed`,
      description: 'Failed and abandoned rotations of the RDS-managed master user secret, to the alert topic',
      eventPattern: JSON.stringify(rotationFailedPattern(database.secretArn)),
    });

    const sourceAccount = { 'aws:SourceAccount': account.accountId };
    new SnsTopicPolicy(this, 'topic-policy', {
      arn: this.topic.arn,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AlarmsOfThisStackPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: this.topic.arn,
            Condition: {
              StringEquals: sourceAccount,
              ArnLike: { 'aws:SourceArn': `arn:${account.partition}:cloudwatch:${account.region}:${account.accountId}:alarm:${namePrefix}-*` },
            },
          },
          {
            Sid: 'RotationRulePublishes',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: this.topic.arn,
            Condition: { StringEquals: sourceAccount, ArnEquals: { 'aws:SourceArn': this.rotationFailedRule.arn } },
          },
        ],
      }),
    });

    new CloudwatchEventTarget(this, 'rotation-failed-target', {
      rule: this.rotationFailedRule.name,
      targetId: 'alert-topic',
      arn: this.topic.arn,
    });

    if (config.email !== null) {
      new SnsTopicSubscription(this, 'email', { topicArn: this.topic.arn, protocol: 'email', endpoint: config.email });
    }

    const alarms: Record<string, CloudwatchMetricAlarm> = {};
    const add = (spec: AlarmSpec, dimensions: Record<string, string>, owner?: string) => {
      const percentile = /^p\d+(\.\d+)?$/.test(spec.statistic);
      // A function's alarms carry its name, but the seed function's keep theirs (config/names.ts).
      const alarmId = owner === undefined || owner === SEED_FUNCTION_NAME ? spec.id : `${owner}-${spec.id}`;
      alarms[alarmId] = new CloudwatchMetricAlarm(this, alarmId, {
        alarmName: `${namePrefix}-${alarmId}`,
        alarmDescription: spec.description,
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensions,
        statistic: percentile ? undefined : spec.statistic,
        extendedStatistic: percentile ? spec.statistic : undefined,
        period: ALARM_PERIOD_SECONDS,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        comparisonOperator: spec.comparison,
        threshold: spec.threshold,
        treatMissingData: spec.treatMissingData,
        actionsEnabled: true,
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
      });
    };
    for (const watched of functions) {
      for (const spec of lambdaAlarmSpecs(watched.thresholds)) add(spec, { FunctionName: watched.function.functionName }, watched.function.name);
    }
    for (const spec of databaseAlarmSpecs(thresholds)) add(spec, { DBInstanceIdentifier: database.instance.identifier });
    this.alarms = alarms;
  }

  /** The alert topic's name for a name prefix: `<namePrefix>-backend-alerts`. */
  static topicName(namePrefix: string): string {
    return `${namePrefix}-backend-alerts`;
  }
}
