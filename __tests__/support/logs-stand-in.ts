/**
 * A stand-in for Amazon CloudWatch Logs on 127.0.0.1, so a test can plan an `import` of an
 * `aws_cloudwatch_log_group` with the real provider and no AWS account. An import reads the object
 * even under `-refresh=false`; for a log group the provider 5.100.0 sends `DescribeLogGroups`
 * (by name prefix), then `ListTagsForResource`. The stand-in answers those two for the groups it
 * was started with, and any other action with an error that names the stand-in, so a provider that
 * needs more fails loudly.
 * Protocol (JSON 1.1, `X-Amz-Target: Logs_20140328.<Action>`):
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html
 */
import { createServer } from 'node:http';
import { serveOnLoopback, STAND_IN_ACCOUNT_ID } from '../../tools/sts-stand-in';

/** One log group the stand-in reports. */
export interface StandInLogGroup {
  /** Its name, such as `/workshop/imported`. */
  readonly name: string;
  /** Its retention, in days (1 to 3653, as CloudWatch Logs accepts them). */
  readonly retentionInDays: number;
}

/** A running stand-in. */
export interface LogsStandIn {
  /** `http://127.0.0.1:<port>`, for the provider's `endpoints { cloudwatchlogs = ... }`. */
  readonly endpoint: string;
  /** The action of every request received, in order. */
  readonly actions: string[];
  close(): Promise<void>;
}

/** Starts the stand-in on a free loopback port, reporting `groups` in region `region`. */
export async function startLogsStandIn(groups: readonly StandInLogGroup[], region: string): Promise<LogsStandIn> {
  const actions: string[] = [];
  const arnOf = (name: string) => `arn:aws:logs:${region}:${STAND_IN_ACCOUNT_ID}:log-group:${name}`;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const action = String(request.headers['x-amz-target'] ?? '').replace(/^Logs_20140328\./, '');
      actions.push(action);
      const input = body === '' ? {} : JSON.parse(body);
      response.setHeader('Content-Type', 'application/x-amz-json-1.1');
      if (action === 'DescribeLogGroups') {
        const prefix = String(input.logGroupNamePrefix ?? '');
        const logGroups = groups
          .filter((g) => g.name.startsWith(prefix))
          .map((g) => ({
            logGroupName: g.name,
            arn: `${arnOf(g.name)}:*`,
            logGroupArn: arnOf(g.name),
            creationTime: 1_700_000_000_000,
            retentionInDays: g.retentionInDays,
            logGroupClass: 'STANDARD',
            storedBytes: 0,
          }));
        response.end(JSON.stringify({ logGroups }));
        return;
      }
      if (action === 'ListTagsForResource') {
        response.end(JSON.stringify({ tags: {} }));
        return;
      }
      response.statusCode = 400;
      response.end(JSON.stringify({ __type: 'InvalidAction', message: `The offline CloudWatch Logs stand-in answers DescribeLogGroups and ListTagsForResource, not "${action}"` }));
    });
  });
  return serveOnLoopback(server, actions);
}
