import type { Rule } from '../../types';
import { literalNumber } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const lambdaExplicitMemory = {
  id: 'WB-LAMBDA-EXPLICIT-MEMORY' as const,
  title: 'Lambda memory_size is set explicitly',
  mirrors: ['Serverless-LambdaDefaultMemorySize'],
  severity: 'error',
  explanation:
    'The 128 MiB default also sets the CPU share, so it silently decides latency and cost. Fix: memory_size (MiB) ' +
    'from the function props (memorySizeMiB).',
  evaluate: eachResource('aws_lambda_function', (fn) =>
    literalNumber(fn.body.memory_size) !== undefined ? undefined : 'memory_size is not set',
  ),
} satisfies Rule;
