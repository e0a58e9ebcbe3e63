/**
 * The Lambda's named errors and the factories that build their messages.
 *
 * Every class keeps the original error as `cause`, and every message is built here so tests can
 * match it. No message ever contains a password, a SecretString or a connection string: factories
 * take only names, ARNs, hosts, ports, codes and numbers.
 */

/** Options every error of this module accepts. */
export interface LambdaErrorOptions {
  /** The error this one wraps. */
  readonly cause?: unknown;
}

/** The base of the Lambda's errors: `type` is what the response and the logs show. */
export abstract class LambdaError extends Error {
  /** The error's kind in responses and logs, e.g. `BadRequest`. */
  abstract readonly type: string;
  /** The status code of the response this error maps to. */
  abstract readonly statusCode: number;

  constructor(message: string, options: LambdaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** The event is not one the handler accepts; the caller must change it. */
export class BadRequestError extends LambdaError {
  readonly type = 'BadRequest';
  readonly statusCode = 400;
}

/** An environment variable is missing or out of range; the stack must change it. */
export class ConfigError extends LambdaError {
  readonly type = 'Config';
  readonly statusCode = 500;
}

/** The database credentials could not be read from Secrets Manager. */
export class SecretFetchError extends LambdaError {
  readonly type = 'SecretFetch';
  readonly statusCode = 502;
}

/** No usable PostgreSQL session could be opened (network, TLS or authentication). */
export class DatabaseConnectError extends LambdaError {
  readonly type = 'DatabaseConnect';
  readonly statusCode = 502;
  /** The SQLSTATE PostgreSQL reported, when it reported one (`28P01` for a wrong password). */
  readonly sqlState?: string;

  constructor(message: string, options: LambdaErrorOptions & { readonly sqlState?: string } = {}) {
    super(message, options);
    this.sqlState = options.sqlState;
  }
}

/** A query failed on an open session. */
export class DatabaseQueryError extends LambdaError {
  readonly type = 'DatabaseQuery';
  readonly statusCode = 500;
  /** The SQLSTATE PostgreSQL reported, when it reported one. */
  readonly sqlState?: string;

  constructor(message: string, options: LambdaErrorOptions & { readonly sqlState?: string } = {}) {
    super(message, options);
    this.sqlState = options.sqlState;
  }
}

/**
 * The likely causes when Secrets Manager cannot be reached from a Lambda in private subnets.
 * The stack creates an interface endpoint for `secretsmanager` with private DNS; any of these
 * three missing leaves the SDK's connection hanging or refused.
 */
export const SECRETS_MANAGER_UNREACHABLE_CAUSE =
  "no Secrets Manager VPC endpoint in the Lambda's subnets, or its private DNS is off, " +
  'or the endpoint security group does not admit 443 from the Lambda';

/** Message factories, one per failure, so tests and callers match the same text. */
export const messages = {
  notAnObject: (received: string) => `the event must be a JSON object; received ${received}`,
  unknownAction: (action: string, accepted: readonly string[]) =>
    `unknown action ${JSON.stringify(action)}; accepted: ${accepted.join(', ')}`,
  badParam: (action: string, param: string, expected: string, received: string) =>
    `action "${action}": parameter "${param}" must be ${expected}; received ${received}`,

  missingEnv: (name: string, expected: string) =>
    `environment variable ${name} is not set; expected ${expected}. Set it on the Lambda function.`,
  badEnv: (name: string, value: string, expected: string) =>
    `environment variable ${name} is ${JSON.stringify(value)}; expected ${expected}. Fix it on the Lambda function.`,

  secretsManagerUnreachable: (secretArn: string, budgetMillis: number, detail: string) =>
    `could not reach Secrets Manager to read ${secretArn} within ${budgetMillis} ms (${detail}): ` +
    `likely ${SECRETS_MANAGER_UNREACHABLE_CAUSE}`,
  secretAccessDenied: (secretArn: string) =>
    `Secrets Manager denied GetSecretValue on ${secretArn}: the Lambda's role must allow ` +
    'secretsmanager:GetSecretValue on this secret (and kms:Decrypt if it uses a customer managed key)',
  secretNotFound: (secretArn: string) =>
    `secret ${secretArn} was not found: check DB_SECRET_ARN against the RDS instance's master user secret`,
  secretServiceError: (secretArn: string, errorName: string) =>
    `Secrets Manager failed GetSecretValue on ${secretArn} with ${errorName}`,
  secretMalformed: (secretArn: string, versionId: string, problem: string) =>
    `secret ${secretArn} version ${versionId} ${problem}; expected a SecretString of {"username": "...", "password": "..."}`,

  dbTls: (host: string, port: number, code: string) =>
    `TLS verification of PostgreSQL at ${host}:${port} failed (${code}): the server certificate is not ` +
    'signed by a trusted CA or does not match the host. In Lambda, NODE_EXTRA_CA_CERTS must be ' +
    '/var/runtime/ca-cert.pem so Node.js trusts the Amazon RDS CA bundle.',
  dbAuth: (host: string, port: number, username: string, secretArn: string, versionId: string) =>
    `PostgreSQL at ${host}:${port} rejected the password of "${username}" (28P01) from ${secretArn} ` +
    `version ${versionId}, fetched again after the cached one was rejected: rotation may be in progress`,
  dbConnect: (host: string, port: number, detail: string) =>
    `could not open a session on PostgreSQL at ${host}:${port} (${detail}): check the database ` +
    "security group admits the Lambda's security group on this port, and the instance is available",
  dbQuery: (detail: string) => `the query failed (${detail})`,
  internal: (requestId: string) => `internal error; see the logs of request ${requestId}`,
} as const;

/** The SQLSTATE (`code`) of a PostgreSQL error, or the errno code of a socket error. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short description of an error for messages and logs: `name: message` or its code. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = errorCode(err);
    const text = err.message || code || err.name;
    return code && !text.includes(code) ? `${err.name} ${code}: ${text}` : `${err.name}: ${text}`;
  }
  return typeof err;
}
