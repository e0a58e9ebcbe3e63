import type { Rule } from '../../types';
import { isSet } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const logsCmk = {
  id: 'WB-LOGS-CMK' as const,
  title: 'Log groups are encrypted with a customer-managed KMS key',
  mirrors: ['CKV_AWS_158', 'AVD-AWS-0017', 'NIST.800.53.R5-CloudWatchLogGroupEncrypted'],
  severity: 'error',
  explanation:
    'Logs can carry request data and error text. A key costs about $1/month, so short-lived environments suppress ' +
    'this with that reason. Fix: kms_key_id = key.arn, with a key policy that lets logs.<region>.amazonaws.com use ' +
    'it under a kms:EncryptionContext:aws:logs:arn condition.',
  evaluate: eachResource('aws_cloudwatch_log_group', (g) => (isSet(g.body.kms_key_id) ? undefined : 'kms_key_id is not set')),
} satisfies Rule;
