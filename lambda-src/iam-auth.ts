import { Signer, type SignerConfig } from '@aws-sdk/rds-signer';

/**
 * How long an IAM database authentication token is accepted, in seconds: 15 minutes, which
 * `@aws-sdk/rds-signer` writes into every token (`X-Amz-Expires`) and RDS enforces. A token is
 * checked only when a session opens, so an open session outlives it.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html
 */
export const IAM_AUTH_TOKEN_TTL_SECONDS = 900;

/** Props of {@link createIamAuthTokenSigner}. */
export interface IamAuthTokenProps {
  /** The RDS instance's endpoint address: the host the token is for, and the one the session connects to. */
  readonly hostname: string;
  /** The instance's port, 1-65535. */
  readonly port: number;
  /** The database role to log in as; it must be a member of `rds_iam` (lambda-src/migrations/). */
  readonly username: string;
  /** The instance's AWS Region, e.g. `ap-southeast-1`: the Region of the token's signature. */
  readonly region: string;
  /**
   * The AWS credentials that sign, whose identity needs `rds-db:connect` on
   * `arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<username>`.
   * @default - the SDK's default chain: in Lambda, the function's role from its environment
   */
  readonly credentials?: SignerConfig['credentials'];
}

/**
 * Returns a function that makes a new IAM database authentication token on each call: a SigV4
 * presigned `connect` request for `username` at `hostname:port`, signed locally (no network call)
 * and valid {@link IAM_AUTH_TOKEN_TTL_SECONDS}. Its shape fits pg's `password` option, which pg
 * calls for each new session, so every session opens with a fresh token.
 */
export function createIamAuthTokenSigner(props: IamAuthTokenProps): () => Promise<string> {
  const signer = new Signer({
    hostname: props.hostname,
    port: props.port,
    username: props.username,
    region: props.region,
    ...(props.credentials === undefined ? {} : { credentials: props.credentials }),
  });
  return () => signer.getAuthToken();
}
