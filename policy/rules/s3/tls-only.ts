import type { Rule, TfResource } from '../../types';
import { principalIds, readPolicy, type Statement } from '../../policy-document';
import { bucketParts } from '../../s3';
import { refersTo } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

function deniesInsecure(s: Statement, bucket: TfResource): boolean {
  const insecure = Object.entries(s.conditions).some(
    ([op, kv]) => op === 'Bool' && (kv['aws:SecureTransport'] ?? []).some((v) => v === 'false'),
  );
  const actions = s.actions.some((a) => a === 's3:*' || a === '*');
  const principal = principalIds(s).includes('*');
  const literal = typeof bucket.body.bucket === 'string' ? `arn:aws:s3:::${bucket.body.bucket}` : undefined;
  const isBucketArn = (r: string): boolean => refersTo(r, bucket, 'arn') || (literal !== undefined && r.startsWith(literal));
  const onBucket = s.resources.some((r) => isBucketArn(r) && !r.endsWith('/*'));
  const onObjects = s.resources.some((r) => isBucketArn(r) && r.endsWith('/*'));
  return s.effect === 'Deny' && insecure && actions && principal && onBucket && onObjects;
}

export const s3TlsOnly = {
  id: 'WB-S3-TLS-ONLY' as const,
  title: 'Bucket policies deny every request not made over TLS, on the bucket and its objects',
  mirrors: ['AwsSolutions-S10', 'NIST.800.53.R5-S3BucketSSLRequestsOnly'],
  severity: 'error',
  explanation:
    'Without it, a misconfigured client can send state (which holds resource attributes) in clear text. Fix: an ' +
    'aws_s3_bucket_policy with { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucket.arn, ' +
    'bucket.arn + "/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }.',
  evaluate: eachResource('aws_s3_bucket', (b, doc) => {
    const policies = [
      ...bucketParts(doc, b, 'aws_s3_bucket_policy').map((p) => p.body.policy),
      ...(b.body.policy !== undefined ? [b.body.policy] : []),
    ];
    if (policies.length === 0) return 'no bucket policy';
    const ok = policies.some((raw) => readPolicy(doc, raw)?.statements.some((s) => deniesInsecure(s, b)));
    return ok ? undefined : 'no Deny of aws:SecureTransport=false for s3:* on the bucket ARN and bucket ARN/*';
  }),
} satisfies Rule;
