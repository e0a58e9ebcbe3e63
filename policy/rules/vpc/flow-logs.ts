import type { Rule } from '../../types';
import { refersTo, resources } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

/** Every VPC has a flow log that captures ALL traffic into a declared destination. */
export const vpcFlowLogs = {
  id: 'WB-VPC-FLOW-LOGS' as const,
  title: 'Every VPC has a flow log of ALL traffic to a declared log group or bucket',
  mirrors: ['CKV2_AWS_11', 'AVD-AWS-0178', 'AwsSolutions-VPC7'],
  severity: 'error',
  explanation:
    'Without flow logs there is no record of who talked to the database or the endpoint. The scanners only ' +
    'check that a flow log references the VPC; this rule also requires traffic_type = "ALL" and a destination ' +
    'that is a log group or bucket declared in the same stack (so its retention and key are checked too). ' +
    'Fix: add an aws_flow_log with vpc_id = vpc.id, traffic_type "ALL" and log_destination = logGroup.arn.',
  evaluate: eachResource('aws_vpc', (vpc, doc) => {
    const logs = resources(doc, 'aws_flow_log').filter((f) => refersTo(f.body.vpc_id, vpc));
    if (logs.length === 0) return 'no aws_flow_log references this VPC through vpc_id';
    const declared = [...resources(doc, 'aws_cloudwatch_log_group'), ...resources(doc, 'aws_s3_bucket')];
    const good = logs.find(
      (f) =>
        f.body.traffic_type === 'ALL' &&
        declared.some((d) => refersTo(f.body.log_destination, d) || refersTo(f.body.log_group_name, d)),
    );
    return good ? undefined : 'the flow log must have traffic_type "ALL" and a destination declared in this stack';
  }),
} satisfies Rule;
