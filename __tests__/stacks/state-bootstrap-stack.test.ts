// Brings cdktf's jest matcher types (toHaveResourceWithProperties, ...) into the type check; jest.setup.js registers them.
import { Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { StateBootstrapStack, StateBootstrapStackProps } from '../../stacks/state-bootstrap-stack';
import { AWS_PROVIDER_VERSION } from '../../stacks/provider';
import { testApp } from '../support/synth';

const baseProps: StateBootstrapStackProps = { bucketName: 'acme-tfstate', region: 'eu-west-1' };

function synth(props: Partial<StateBootstrapStackProps> = {}): string {
  return Testing.synth(new StateBootstrapStack(testApp(), 'state-bootstrap', { ...baseProps, ...props }));
}

/** The only resource of `type` in the synthesized JSON. */
function onlyResource(json: string, type: string): Record<string, unknown> {
  const resources = Object.values(JSON.parse(json).resource[type] ?? {});
  expect(resources).toHaveLength(1);
  return resources[0] as Record<string, unknown>;
}

describe('StateBootstrapStack', () => {
  it('creates the named bucket with prevent_destroy and without force_destroy', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(S3Bucket, {
      bucket: 'acme-tfstate',
      force_destroy: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  it('enables versioning', () => {
    expect(synth()).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: 'Enabled' } });
  });

  it('encrypts by default with SSE-S3 (AES256)', () => {
    expect(synth()).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, blocked_encryption_types: ['SSE-C'] }],
    });
  });

  it('encrypts with SSE-KMS and a bucket key when asked, with the given key', () => {
    const json = synth({ sseAlgorithm: 'aws:kms', kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc' });
    expect(json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [
        {
          apply_server_side_encryption_by_default: {
            sse_algorithm: 'aws:kms',
            kms_master_key_id: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
          },
          bucket_key_enabled: true,
          blocked_encryption_types: ['SSE-C'],
        },
      ],
    });
  });

  it('blocks all four kinds of public access', () => {
    expect(synth()).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it('enforces bucket-owner object ownership, so ACLs are disabled', () => {
    expect(synth()).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: 'BucketOwnerEnforced' } });
  });

  it('denies every request to the bucket and its objects that is not sent over TLS', () => {
    const policy = onlyResource(synth(), 'aws_s3_bucket_policy');
    expect(JSON.parse(policy.policy as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['${aws_s3_bucket.state-bucket.arn}', '${aws_s3_bucket.state-bucket.arn}/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
    expect(policy.depends_on).toEqual(['aws_s3_bucket_public_access_block.state-bucket-public-access-block']);
  });

  it('expires noncurrent versions after 90 days by default, once versioning is on', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [expect.objectContaining({ status: 'Enabled', noncurrent_version_expiration: [{ noncurrent_days: 90 }] })],
    });
    expect(onlyResource(json, 'aws_s3_bucket_lifecycle_configuration').depends_on).toEqual([
      'aws_s3_bucket_versioning.state-bucket-versioning',
    ]);
  });

  it('expires noncurrent versions after the configured number of days', () => {
    expect(synth({ noncurrentVersionExpirationDays: 30 })).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [expect.objectContaining({ noncurrent_version_expiration: [{ noncurrent_days: 30 }] })],
    });
  });

  it('keeps its own state local by default, at a relative path', () => {
    expect(JSON.parse(synth()).terraform.backend).toEqual({ local: { path: '../../../terraform.state-bootstrap.tfstate' } });
  });

  it('moves its own state into the bucket when given the shared settings', () => {
    const json = synth({
      stateBackend: { bucket: 'acme-tfstate', region: 'eu-west-1', keyPrefix: 'wb', bootstrapBackend: 's3' },
    });
    expect(JSON.parse(json).terraform.backend.s3).toMatchObject({ key: 'wb/state-bootstrap/terraform.tfstate', use_lockfile: true });
  });

  it('pins the AWS provider to hashicorp/aws at the version the app stacks use', () => {
    expect(JSON.parse(synth()).terraform.required_providers.aws).toEqual({ source: 'hashicorp/aws', version: AWS_PROVIDER_VERSION });
  });

  it('tags every resource with Project, Stack and ManagedBy by default, through the provider', () => {
    expect(synth()).toHaveProviderWithProperties(AwsProvider, {
      region: 'eu-west-1',
      default_tags: [{ tags: { Project: 'workshop-backend', Stack: 'state-bootstrap', ManagedBy: 'cdktf' } }],
    });
  });

  it('uses the given tags instead of the default ones', () => {
    const provider = JSON.parse(synth({ tags: { Team: 'platform' } })).provider.aws[0];
    expect(provider.default_tags).toEqual([{ tags: { Team: 'platform' } }]);
  });

  it('outputs the bucket name, ARN and region', () => {
    expect(Object.keys(JSON.parse(synth()).output).sort()).toEqual(['state_bucket_arn', 'state_bucket_name', 'state_bucket_region']);
  });

  it.each([
    [{ noncurrentVersionExpirationDays: 0 }, /noncurrentVersionExpirationDays: received 0; allowed: an integer from 1 to 3650/],
    [{ noncurrentVersionExpirationDays: 7.5 }, /noncurrentVersionExpirationDays: received 7.5/],
    [{ sseAlgorithm: 'DES' as never }, /sseAlgorithm: received "DES"; allowed: "AES256" or "aws:kms"/],
    [{ kmsKeyArn: 'arn:aws:kms:eu-west-1:1:key/x' }, /kmsKeyArn: .*only with sseAlgorithm "aws:kms"/],
    [{ tags: { '': 'x' } }, /tags: received ""; allowed: tag keys of 1 to 128 characters/],
  ])('rejects invalid props %j with the field, the value and what is allowed', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('rejects a tag value longer than 256 characters, naming the tag', () => {
    expect(() => synth({ tags: { Owner: 'x'.repeat(257) } })).toThrow(/tags\.Owner: received "x{257}"; allowed: a string of up to 256 characters/);
  });
});
