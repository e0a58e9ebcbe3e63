import type { Rule } from '../../types';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const kmsRotation = {
  id: 'WB-KMS-ROTATION' as const,
  title: 'Symmetric KMS keys rotate yearly (enable_key_rotation = true)',
  mirrors: ['CKV_AWS_7', 'AVD-AWS-0065', 'AwsSolutions-KMS5'],
  severity: 'error',
  explanation: 'Rotation limits how much data one key version protects; it is free. Fix: enable_key_rotation = true.',
  evaluate: eachResource('aws_kms_key', (k) => {
    const spec = k.body.customer_master_key_spec;
    if (spec !== undefined && spec !== 'SYMMETRIC_DEFAULT') return undefined;
    return isTrue(k.body.enable_key_rotation) ? undefined : 'enable_key_rotation is not true';
  }),
} satisfies Rule;
