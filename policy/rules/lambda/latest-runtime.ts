import type { Rule } from '../../types';
import { eachResource } from '../../rule-helpers';

/**
 * The newest Node.js runtime AWS Lambda supports and AWS provider 6.25 accepts (its validation comes
 * from the AWS SDK enum, which gained nodejs24.x on 2025-10-23; GA 2025-11-25:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). Bump it with the provider.
 */
export const NEWEST_NODEJS_RUNTIME = 'nodejs24.x';

export const lambdaLatestRuntime = {
  id: 'WB-LAMBDA-LATEST-RUNTIME' as const,
  title: `Node.js Lambda functions use the newest runtime (${NEWEST_NODEJS_RUNTIME})`,
  mirrors: ['CKV_AWS_363', 'AwsSolutions-L1'],
  severity: 'error',
  explanation:
    'Checkov only rejects deprecated runtimes; cdk-nag L1 requires the newest of the family, which this rule ' +
    `follows. Older runtimes reach end of support sooner and miss security fixes. Fix: runtime = "${NEWEST_NODEJS_RUNTIME}" ` +
    'and the matching esbuild target.',
  evaluate: eachResource('aws_lambda_function', (fn) => {
    const runtime = fn.body.runtime;
    if (typeof runtime !== 'string') return 'runtime is not set';
    if (!runtime.startsWith('nodejs')) return `runtime ${runtime} is not Node.js; extend this rule for its family`;
    return runtime === NEWEST_NODEJS_RUNTIME ? undefined : `runtime is ${runtime}`;
  }),
} satisfies Rule;
