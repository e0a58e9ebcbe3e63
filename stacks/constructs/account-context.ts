import { Construct, type IConstruct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';

/** The construct id under which a stack holds its {@link AccountContext}. */
const ACCOUNT_CONTEXT_ID = 'account';

/**
 * The account id, partition and region a stack deploys to, as Terraform references, for
 * building ARNs that work in every partition (`aws`, `aws-cn`, `aws-us-gov`). A stack creates one
 * with {@link AccountContext.create}; constructs inside it look it up with {@link AccountContext.of}
 * instead of receiving it as a prop.
 */
export class AccountContext extends Construct {
  /** The 12-digit account id (`data.aws_caller_identity.account_id`). */
  readonly accountId: string;
  /** The partition (`data.aws_partition.partition`), e.g. `aws`. */
  readonly partition: string;
  /** The region code, known at synth from the configuration. */
  readonly region: string;

  private constructor(scope: Construct, region: string) {
    super(scope, ACCOUNT_CONTEXT_ID);
    this.accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    this.partition = new DataAwsPartition(this, 'partition').partition;
    this.region = region;
  }

  /** Gives `stack` its account context, for the stack's `region`. Call once per stack. */
  static create(stack: TerraformStack, region: string): AccountContext {
    return new AccountContext(stack, region);
  }

  /**
   * The account context of the stack `scope` belongs to.
   * @throws Error when the stack has none: a stack must call {@link AccountContext.create} before
   *   adding constructs that build ARNs (a bug in the stack, not a user error)
   */
  static of(scope: IConstruct): AccountContext {
    const stack = TerraformStack.of(scope);
    const context = stack.node.tryFindChild(ACCOUNT_CONTEXT_ID);
    if (!(context instanceof AccountContext)) {
      throw new Error(`AccountContext.of: stack "${stack.node.id}" has no account context; call AccountContext.create(stack, region) first`);
    }
    return context;
  }
}
