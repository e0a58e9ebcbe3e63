import type { Rule } from '../../types';
import { blocks, isSet } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const lambdaEnvironmentCmk = {
  id: 'WB-LAMBDA-ENVIRONMENT-CMK' as const,
  title: 'Lambda environment variables are encrypted with a customer-managed key',
  mirrors: ['CKV_AWS_173'],
  severity: 'error',
  explanation:
    'Checkov requires kms_key_arn whenever an environment block exists. A key costs about $1/month, so ' +
    'short-lived environments suppress it with that reason. Fix: kms_key_arn = key.arn, with a key policy that ' +
    'lets the function role decrypt via lambda.<region>.amazonaws.com.',
  evaluate: eachResource('aws_lambda_function', (fn) => {
    const hasEnv = blocks(fn.body.environment).length > 0;
    if (!hasEnv) return isSet(fn.body.kms_key_arn) ? 'kms_key_arn is set without an environment block' : undefined;
    return isSet(fn.body.kms_key_arn) ? undefined : 'kms_key_arn is not set';
  }),
} satisfies Rule;
