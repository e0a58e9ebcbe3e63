/**
 * A stand-in for AWS STS on 127.0.0.1 that answers `GetCallerIdentity`, the one AWS call the
 * stacks' data sources make during a plan (`data.aws_caller_identity`). It lets
 * `terraform plan -refresh=false` run without an AWS account; any other action gets an STS-style
 * error that names the stand-in, so a new data source that needs AWS fails loudly.
 * Response shape: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The fake account the stand-in answers with: the 12-digit example id AWS documentation uses. */
export const STAND_IN_ACCOUNT_ID = '123456789012';

/** A running stand-in. */
export interface StsStandIn {
  /** `http://127.0.0.1:<port>`, for the provider's `endpoints { sts = ... }`. */
  readonly endpoint: string;
  /** The `Action` of every request received, in order. */
  readonly actions: string[];
  close(): Promise<void>;
}

/** Starts the stand-in on a free loopback port. */
export async function startStsStandIn(): Promise<StsStandIn> {
  const actions: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? new URL(request.url ?? '/', 'http://x').searchParams.get('Action') ?? '';
      actions.push(action);
      response.setHeader('Content-Type', 'text/xml');
      if (action === 'GetCallerIdentity') {
        response.end(
          '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
            `<Arn>arn:aws:iam::${STAND_IN_ACCOUNT_ID}:user/offline-plan</Arn><UserId>AIDAOFFLINEPLAN</UserId><Account>${STAND_IN_ACCOUNT_ID}</Account>` +
            '</GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
        );
        return;
      }
      response.statusCode = 400;
      response.end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The offline STS stand-in answers only GetCallerIdentity, not "${action}"</Message></Error><RequestId>0</RequestId></ErrorResponse>`,
      );
    });
  });
  return serveOnLoopback(server, actions);
}

/**
 * Starts `server` on a free port of 127.0.0.1 and returns it as a stand-in: its endpoint, the
 * `actions` list its handler records, and how to close it.
 */
export async function serveOnLoopback(server: Server, actions: string[]): Promise<StsStandIn> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    actions,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
