import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';

/**
 * The account id, partition and region a stack deploys to, as Terraform references, for
 * building ARNs that work in every partition (`aws`, `aws-cn`, `aws-us-gov`).
 */
export class AccountContext extends Construct {
  /** The 12-digit account id (`data.aws_caller_identity.account_id`). */
  readonly accountId: string;
  /** The partition (`data.aws_partition.partition`), e.g. `aws`. */
  readonly partition: string;
  /** The region code, known at synth from the configuration. */
  readonly region: string;

  constructor(scope: Construct, id: string, region: string) {
    super(scope, id);
    this.accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    this.partition = new DataAwsPartition(this, 'partition').partition;
    this.region = region;
  }
}
