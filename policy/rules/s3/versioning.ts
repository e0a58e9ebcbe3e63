import type { Rule } from '../../types';
import { bucketParts } from '../../s3';
import { blocks, isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const s3Versioning = {
  id: 'WB-S3-VERSIONING' as const,
  title: 'Buckets have versioning Enabled',
  mirrors: ['CKV_AWS_21', 'AVD-AWS-0090', 'NIST.800.53.R5-S3BucketVersioningEnabled'],
  severity: 'error',
  explanation:
    'The state bucket is the only copy of what Terraform manages; versioning lets a corrupted or deleted state be ' +
    'restored. Fix: aws_s3_bucket_versioning { bucket = b.id, versioning_configuration { status = "Enabled" } }.',
  evaluate: eachResource('aws_s3_bucket', (b, doc) => {
    const inline = blocks(b.body.versioning).some((v) => isTrue(v.enabled));
    const linked = bucketParts(doc, b, 'aws_s3_bucket_versioning').some((v) =>
      blocks(v.body.versioning_configuration).some((c) => c.status === 'Enabled'),
    );
    return inline || linked ? undefined : 'no linked aws_s3_bucket_versioning with status Enabled';
  }),
} satisfies Rule;
