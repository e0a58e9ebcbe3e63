import type { TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';

/**
 * The AWS provider version `@cdktf/provider-aws` 21.22 was generated from. The bindings describe
 * exactly this schema, so every stack pins it rather than the bindings' loose `~> 6.0`.
 */
export const AWS_PROVIDER_VERSION = '6.25.0';

/** Props of {@link addAwsProvider}. */
export interface AwsProviderProps {
  /** The AWS Region code the stack deploys to, e.g. `ap-southeast-1`. */
  readonly region: string;
  /** Tags on every resource of the stack, through the provider's `default_tags`. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * The only AWS account the provider may act in (`allowed_account_ids`): credentials for any other
   * account fail at plan, before any change.
   * @default - not pinned: whatever account the credentials belong to
   */
  readonly account?: string | null;
  /**
   * A role the provider assumes (`assume_role`) before it acts.
   * @default - the caller's credentials as they are
   */
  readonly assumeRoleArn?: string | null;
}

/**
 * Adds the AWS provider to `stack`, pinned to {@link AWS_PROVIDER_VERSION} in
 * `terraform.required_providers`: the one place every stack gets its provider from.
 */
export function addAwsProvider(stack: TerraformStack, props: AwsProviderProps): AwsProvider {
  const provider = new AwsProvider(stack, 'aws', {
    region: props.region,
    defaultTags: [{ tags: { ...props.tags } }],
    allowedAccountIds: props.account ? [props.account] : undefined,
    assumeRole: props.assumeRoleArn ? [{ roleArn: props.assumeRoleArn, sessionName: `${stack.node.id}-terraform` }] : undefined,
  });
  stack.addOverride('terraform.required_providers.aws', { source: 'hashicorp/aws', version: AWS_PROVIDER_VERSION });
  return provider;
}
