import type { Rule } from '../../types';
import { isSet } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

/** The AWS-managed SNS key: its policy cannot let CloudWatch or EventBridge publish. */
const AWS_MANAGED_SNS_KEY = /(^|:)alias\/aws\/sns$/;

export const snsTopicCmk = {
  id: 'WB-SNS-TOPIC-CMK' as const,
  title: 'SNS topics are encrypted with a customer-managed KMS key',
  mirrors: ['CKV_AWS_26', 'AVD-AWS-0095', 'AVD-AWS-0136', 'AwsSolutions-SNS2'],
  severity: 'error',
  explanation:
    'An unencrypted topic stores messages in plain text at rest, and alarm text names resources and thresholds. ' +
    'The AWS-managed alias/aws/sns key does not help here: its policy cannot be changed, so CloudWatch alarms and ' +
    'EventBridge rules cannot publish to a topic encrypted with it (messages are dropped without an error). ' +
    'Fix: kms_master_key_id = key.arn of a customer-managed key whose policy lets cloudwatch.amazonaws.com and ' +
    'events.amazonaws.com use kms:Decrypt and kms:GenerateDataKey* under kms:EncryptionContext:aws:sns:topicArn.',
  evaluate: eachResource('aws_sns_topic', (t) => {
    const key = t.body.kms_master_key_id;
    if (!isSet(key)) return 'kms_master_key_id is not set';
    if (typeof key === 'string' && AWS_MANAGED_SNS_KEY.test(key.trim())) return `kms_master_key_id is the AWS-managed ${key}`;
    return undefined;
  }),
} satisfies Rule;
