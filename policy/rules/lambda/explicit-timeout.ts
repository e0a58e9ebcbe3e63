import type { Rule } from '../../types';
import { literalNumber } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const lambdaExplicitTimeout = {
  id: 'WB-LAMBDA-EXPLICIT-TIMEOUT' as const,
  title: 'Lambda timeout is set explicitly',
  mirrors: ['Serverless-LambdaDefaultTimeout'],
  severity: 'error',
  explanation:
    'The 3 s default is shorter than a cold start in a VPC plus a database connect, and nothing says so. ' +
    'Fix: timeout (seconds) from the function props (timeoutSeconds).',
  evaluate: eachResource('aws_lambda_function', (fn) =>
    literalNumber(fn.body.timeout) !== undefined ? undefined : 'timeout is not set',
  ),
} satisfies Rule;
