import type { Rule } from '../../types';
import { bucketParts } from '../../s3';
import { isTrue } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

const FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];

export const s3PublicAccessBlock = {
  id: 'WB-S3-PUBLIC-ACCESS-BLOCK' as const,
  title: 'Buckets have a public access block with all four flags true',
  mirrors: ['CKV2_AWS_6', 'CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56', 'AVD-AWS-0086', 'AVD-AWS-0087', 'AVD-AWS-0091', 'AVD-AWS-0093', 'AVD-AWS-0094', 'AwsSolutions-S2'],
  severity: 'error',
  explanation:
    'cdk-nag S2 passes a bucket with no block at all; this rule requires one (no vacuous pass), as Trivy does. ' +
    `Fix: aws_s3_bucket_public_access_block with ${FLAGS.join(', ')} = true.`,
  evaluate: eachResource('aws_s3_bucket', (b, doc) => {
    const blocksFound = bucketParts(doc, b, 'aws_s3_bucket_public_access_block');
    if (blocksFound.length === 0) return 'no linked aws_s3_bucket_public_access_block';
    const missing = FLAGS.filter((f) => !blocksFound.some((p) => isTrue(p.body[f])));
    return missing.length === 0 ? undefined : `not true: ${missing.join(', ')}`;
  }),
} satisfies Rule;
