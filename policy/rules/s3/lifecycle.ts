import type { Rule } from '../../types';
import { bucketParts } from '../../s3';
import { blocks, isSet } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

function filterIsEmpty(rule: Record<string, unknown>): boolean {
  const filters = blocks(rule.filter);
  if (isSet(rule.prefix)) return false;
  return filters.every((f) => !isSet(f.prefix) && !isSet(f.tag) && !isSet(f.and) && f.object_size_greater_than === undefined && f.object_size_less_than === undefined);
}

export const s3Lifecycle = {
  id: 'WB-S3-LIFECYCLE' as const,
  title: 'Buckets have a lifecycle configuration with an enabled, unfiltered rule that aborts incomplete uploads',
  mirrors: ['CKV2_AWS_61', 'CKV_AWS_300'],
  severity: 'error',
  explanation:
    'Versioning keeps every old state forever and failed multipart uploads are billed until aborted. Fix: ' +
    'aws_s3_bucket_lifecycle_configuration with a rule { status = "Enabled", filter {}, ' +
    'abort_incomplete_multipart_upload { days_after_initiation = 7 }, noncurrent_version_expiration { noncurrent_days = 90 } }.',
  evaluate: eachResource('aws_s3_bucket', (b, doc) => {
    const configs = bucketParts(doc, b, 'aws_s3_bucket_lifecycle_configuration');
    if (configs.length === 0) return 'no linked aws_s3_bucket_lifecycle_configuration';
    const ok = configs.some((c) =>
      blocks(c.body.rule).some((r) => r.status === 'Enabled' && blocks(r.abort_incomplete_multipart_upload).length > 0 && filterIsEmpty(r)),
    );
    return ok ? undefined : 'no enabled rule without a filter that sets abort_incomplete_multipart_upload';
  }),
} satisfies Rule;
