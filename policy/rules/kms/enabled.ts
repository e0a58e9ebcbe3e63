import type { Rule } from '../../types';
import { eachResource } from '../../rule-helpers';

export const kmsEnabled = {
  id: 'WB-KMS-ENABLED' as const,
  title: 'KMS keys are not disabled',
  mirrors: ['CKV_AWS_227'],
  severity: 'error',
  explanation: 'A disabled key makes the logs, secret or function environment it protects unreadable. Fix: remove is_enabled = false.',
  evaluate: eachResource('aws_kms_key', (k) =>
    k.body.is_enabled === false || k.body.is_enabled === 'false' ? 'is_enabled is false' : undefined,
  ),
} satisfies Rule;
