import type { Rule } from '../../types';
import { bucketParts } from '../../s3';
import { blocks } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const s3Encryption = {
  id: 'WB-S3-ENCRYPTION' as const,
  title: 'Buckets declare default encryption with aws:kms or AES256',
  mirrors: ['CKV_AWS_19', 'CKV_AWS_145', 'AVD-AWS-0088'],
  severity: 'error',
  explanation:
    'Checkov passes a bucket with no encryption configuration (S3 defaults to SSE-S3); this rule requires the ' +
    'configuration, so the choice is visible and reviewed (no vacuous pass). Fix: ' +
    'aws_s3_bucket_server_side_encryption_configuration with sse_algorithm "aws:kms" (bucket_key_enabled) or "AES256".',
  evaluate: eachResource('aws_s3_bucket', (b, doc) => {
    const configs = bucketParts(doc, b, 'aws_s3_bucket_server_side_encryption_configuration');
    if (configs.length === 0) return 'no linked server-side encryption configuration';
    const algorithms = configs.flatMap((c) =>
      blocks(c.body.rule).flatMap((r) => blocks(r.apply_server_side_encryption_by_default).map((d) => d.sse_algorithm)),
    );
    if (algorithms.length === 0) return 'the encryption configuration sets no sse_algorithm';
    const bad = algorithms.filter((a) => a !== 'aws:kms' && a !== 'AES256');
    return bad.length === 0 ? undefined : `sse_algorithm ${bad.join(', ')} is not aws:kms or AES256`;
  }),
} satisfies Rule;
