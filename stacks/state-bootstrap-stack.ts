import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { errors, invalidField } from '../config/errors';
import type { StateBackendSettings } from '../config/state-backend';
import { configureStateBackend, useLocalState } from './state-backend';
import { addAwsProvider } from './provider';

/** Server-side encryption algorithms a state bucket may use by default. */
export const STATE_BUCKET_SSE_ALGORITHMS = ['AES256', 'aws:kms'] as const;

/** Encryption types the state bucket refuses: SSE-C (customer-provided keys), which no Terraform backend uses. */
export const STATE_BUCKET_BLOCKED_ENCRYPTION_TYPES = ['SSE-C'] as const;

/** The tags the provider's `default_tags` puts on every resource of the stack unless `tags` is given. */
export const STATE_BOOTSTRAP_DEFAULT_TAGS: Readonly<Record<string, string>> = {
  Project: 'workshop-backend',
  Stack: 'state-bootstrap',
  ManagedBy: 'cdktf',
};

/** Props of {@link StateBootstrapStack}. */
export interface StateBootstrapStackProps {
  /** The name of the state bucket to create: the value of `TF_STATE_BUCKET`, or an environment's `stateBackend.bucket`. */
  readonly bucketName: string;
  /** The AWS Region of the bucket: the value of `TF_STATE_REGION`. */
  readonly region: string;
  /**
   * The account the bucket is created in (`allowed_account_ids`): the provider refuses credentials of
   * any other account.
   * @default - not pinned: whatever account the credentials belong to
   */
  readonly account?: string | null;
  /**
   * Days a noncurrent (overwritten or deleted) state version is kept before S3 expires it,
   * from 1 to 3650. Older versions are how a broken state is rolled back, so keep enough.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Default encryption of the bucket: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS).
   * @default 'AES256'
   */
  readonly sseAlgorithm?: (typeof STATE_BUCKET_SSE_ALGORITHMS)[number];
  /**
   * The KMS key for `aws:kms`; only allowed with `sseAlgorithm: 'aws:kms'`. Everyone who runs
   * Terraform then needs `kms:Encrypt`, `kms:Decrypt` and `kms:GenerateDataKey` on it.
   * @default - the AWS managed key `aws/s3` when `sseAlgorithm` is `aws:kms`
   */
  readonly kmsKeyArn?: string;
  /**
   * Where this stack keeps its own state. Undefined keeps it local (the bucket does not exist
   * yet on the first apply); pass the shared settings once the bucket exists to move it into the
   * bucket at `<prefix>/state-bootstrap/terraform.tfstate` with `terraform init -migrate-state`.
   * @default - local state in `terraform.<stack>.tfstate` in the project folder
   */
  readonly stateBackend?: StateBackendSettings;
  /**
   * Tags on every resource of the stack, through the provider's `default_tags`; replace the default
   * as a whole. Keys 1 to 128 characters, values up to 256 (AWS tag limits,
   * https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
   * @default STATE_BOOTSTRAP_DEFAULT_TAGS - Project=workshop-backend, Stack=state-bootstrap, ManagedBy=cdktf
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Creates the S3 bucket that holds every other stack's Terraform state: versioned, encrypted by
 * default, all public access blocked, bucket-owner-enforced object ownership (no ACLs), a bucket
 * policy that denies any request not sent over TLS, and noncurrent versions expired after
 * {@link StateBootstrapStackProps.noncurrentVersionExpirationDays}. The bucket has
 * `prevent_destroy` and `force_destroy = false`: neither `terraform destroy` nor a replacement
 * can delete it, nor its objects with it.
 */
export class StateBootstrapStack extends TerraformStack {
  /** The state bucket's name. */
  readonly bucketName: string;
  /** The state bucket's ARN. */
  readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: StateBootstrapStackProps) {
    super(scope, id);
    const noncurrentVersionExpirationDays = props.noncurrentVersionExpirationDays ?? 90;
    const sseAlgorithm = props.sseAlgorithm ?? 'AES256';
    const tags = props.tags ?? STATE_BOOTSTRAP_DEFAULT_TAGS;
    validateProps(id, props, noncurrentVersionExpirationDays, sseAlgorithm, tags);

    if (props.stateBackend === undefined) {
      useLocalState(this, id);
    } else {
      configureStateBackend(this, id, props.stateBackend);
    }

    addAwsProvider(this, { region: props.region, tags, account: props.account });

    const bucket = new S3Bucket(this, 'state-bucket', {
      bucket: props.bucketName,
      // Never delete the objects (the team's state) together with the bucket.
      forceDestroy: false,
      lifecycle: { preventDestroy: true },
    });

    new S3BucketOwnershipControls(this, 'state-bucket-ownership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });

    const versioning = new S3BucketVersioningA(this, 'state-bucket-versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });

    new S3BucketServerSideEncryptionConfigurationA(this, 'state-bucket-encryption', {
      bucket: bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm,
            ...(props.kmsKeyArn === undefined ? {} : { kmsMasterKeyId: props.kmsKeyArn }),
          },
          // An S3 Bucket Key cuts KMS requests (and cost) for SSE-KMS; it does not apply to AES256.
          ...(sseAlgorithm === 'aws:kms' ? { bucketKeyEnabled: true } : {}),
          // S3 blocks SSE-C on new buckets by default since April 2026 and provider 6.25 does not
          // treat the argument as computed: left unset, every plan shows a change.
          // https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/s3_bucket_server_side_encryption_configuration#blocked_encryption_types
          blockedEncryptionTypes: [...STATE_BUCKET_BLOCKED_ENCRYPTION_TYPES],
        },
      ],
    });

    const publicAccessBlock = new S3BucketPublicAccessBlock(this, 'state-bucket-public-access-block', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });

    new S3BucketPolicy(this, 'state-bucket-policy', {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
      // S3 rejects concurrent changes to a bucket's policy and its public access block.
      dependsOn: [publicAccessBlock],
    });

    new S3BucketLifecycleConfiguration(this, 'state-bucket-lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'expire-noncurrent-state-versions',
          status: 'Enabled',
          filter: [{}],
          noncurrentVersionExpiration: [{ noncurrentDays: noncurrentVersionExpirationDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
      // Lifecycle rules on noncurrent versions need versioning in place first.
      dependsOn: [versioning],
    });

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    new TerraformOutput(this, 'state_bucket_name', { value: this.bucketName });
    new TerraformOutput(this, 'state_bucket_arn', { value: this.bucketArn });
    new TerraformOutput(this, 'state_bucket_region', { value: props.region });
  }
}

function validateProps(
  id: string,
  props: StateBootstrapStackProps,
  noncurrentVersionExpirationDays: number,
  sseAlgorithm: string,
  tags: Readonly<Record<string, string>>,
): void {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128) problems.push(invalidField('tags', key, 'tag keys of 1 to 128 characters'));
    if (typeof value !== 'string' || value.length > 256) {
      problems.push(invalidField(`tags.${key}`, value, 'a string of up to 256 characters'));
    }
  }
  if (!Number.isInteger(noncurrentVersionExpirationDays) || noncurrentVersionExpirationDays < 1 ||
      noncurrentVersionExpirationDays > 3650) {
    problems.push(invalidField('noncurrentVersionExpirationDays', noncurrentVersionExpirationDays, 'an integer from 1 to 3650 (days)'));
  }
  if (!(STATE_BUCKET_SSE_ALGORITHMS as readonly string[]).includes(sseAlgorithm)) {
    problems.push(invalidField('sseAlgorithm', sseAlgorithm, '"AES256" or "aws:kms"'));
  }
  if (props.kmsKeyArn !== undefined && sseAlgorithm !== 'aws:kms') {
    problems.push(invalidField('kmsKeyArn', props.kmsKeyArn, 'only with sseAlgorithm "aws:kms"; remove it or set sseAlgorithm'));
  }
  if (problems.length > 0) {
    throw errors.invalidProps(`stack "${id}" (StateBootstrapStack)`, problems);
  }
}
