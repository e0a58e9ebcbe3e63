import type { Rule } from '../../types';
import { blocks } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

export const lambdaTracing = {
  id: 'WB-LAMBDA-TRACING' as const,
  title: 'Lambda X-Ray tracing mode is Active',
  mirrors: ['CKV_AWS_50', 'AVD-AWS-0066', 'Serverless-LambdaTracing'],
  severity: 'error',
  explanation:
    'Checkov accepts PassThrough; Trivy and cdk-nag require Active, which this rule follows, so every invocation ' +
    'is traced through the Secrets Manager and database calls. Fix: tracing_config { mode = "Active" } and ' +
    'xray:PutTraceSegments/PutTelemetryRecords in the role.',
  evaluate: eachResource('aws_lambda_function', (fn) =>
    blocks(fn.body.tracing_config)[0]?.mode === 'Active' ? undefined : 'tracing_config.mode is not Active',
  ),
} satisfies Rule;
