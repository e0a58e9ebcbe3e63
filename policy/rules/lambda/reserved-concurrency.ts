import type { Rule } from '../../types';
import { literalNumber } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const lambdaReservedConcurrency = {
  id: 'WB-LAMBDA-RESERVED-CONCURRENCY' as const,
  title: 'Lambda reserved_concurrent_executions is set to a positive number',
  mirrors: ['CKV_AWS_115', 'NIST.800.53.R5-LambdaConcurrency'],
  severity: 'error',
  explanation:
    'Reserved concurrency caps how many copies run at once, so a burst cannot exhaust the database connection ' +
    'limit. Accounts with the minimum quota cannot reserve any (AWS keeps 100 unreserved), so those environments ' +
    'suppress it with that reason. Fix: reserved_concurrent_executions = floor(usable connections / connections per instance).',
  evaluate: eachResource('aws_lambda_function', (fn) => {
    const n = literalNumber(fn.body.reserved_concurrent_executions);
    if (n === undefined) return 'reserved_concurrent_executions is not set';
    return n > 0 ? undefined : `reserved_concurrent_executions is ${n}`;
  }),
} satisfies Rule;
