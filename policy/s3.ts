/** Finds the S3 bucket sub-resources (versioning, encryption, ...) that belong to a bucket. */
import { refersTo, resources } from './terraform-json';
import type { TerraformDocument, TfResource } from './types';

/** The resources of `type` whose `bucket` references the bucket or equals its literal name (as Trivy links them). */
export function bucketParts(doc: TerraformDocument, bucket: TfResource, type: string): TfResource[] {
  return resources(doc, type).filter(
    (r) => refersTo(r.body.bucket, bucket) || (typeof bucket.body.bucket === 'string' && r.body.bucket === bucket.body.bucket),
  );
}
