/**
 * The Lambda's named errors and the factories that build their messages.
 *
 * Every class keeps the original error as `cause`, and every message is built here so tests can
 * match it. No message ever contains a password, a SecretString or a connection string: factories
 * take only names, ARNs, hosts, ports, codes and numbers.
 *
 * A value the caller supplied reaches a message only as an {@link Echo}, which only {@link echo}
 * makes: at most {@link MAX_ECHO_CHARS} characters of it, so a caller cannot make a response or a
 * log line as large as its event. Text from other layers (a driver's or PostgreSQL's message,
 * which may quote the caller's value) passes through {@link boundedText}.
 */

/** Options every error of this module accepts. */
export interface LambdaErrorOptions {
  /** The error this one wraps. */
  readonly cause?: unknown;
  /** The SQLSTATE PostgreSQL reported, when the error comes from PostgreSQL (`28P01` for a wrong password). */
  readonly sqlState?: string;
}

/** The base of the Lambda's errors: `type` is what the response and the logs show. */
export abstract class LambdaError extends Error {
  /** The error's kind in responses and logs, e.g. `BadRequest`. */
  abstract readonly type: string;
  /** The status code of the response this error maps to. */
  abstract readonly statusCode: number;
  /** The SQLSTATE PostgreSQL reported, when it reported one. */
  readonly sqlState?: string;

  constructor(message: string, options: LambdaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.sqlState !== undefined) this.sqlState = options.sqlState;
  }
}

/**
 * The event is not one the handler accepts; the caller must change it. Raised by whichever layer
 * finds the problem: the parser, the boundary to the PostgreSQL driver, or PostgreSQL rejecting a
 * caller's value.
 */
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
}

/** A query failed on an open session. */
export class DatabaseQueryError extends LambdaError {
  readonly type = 'DatabaseQuery';
  readonly statusCode = 500;
}

/**
 * Every session of the handler stayed lent out until too little of the invocation was left for a
 * query: more invocations ran at once in this handler instance than it has sessions.
 */
export class DatabaseBusyError extends LambdaError {
  readonly type = 'DatabaseBusy';
  readonly statusCode = 503;
}

/**
 * A result would make the response larger than Lambda returns from a synchronous invocation.
 * Actions bound their own results (`tables` truncates and says so); this is the handler's last
 * guard, so it is a bug in the action when it fires.
 */
export class ResponseTooLargeError extends LambdaError {
  readonly type = 'ResponseTooLarge';
  readonly statusCode = 500;
}

/**
 * A schema migration failed, or the migrations recorded in the database disagree with the files
 * (lambda-src/migrate.ts). Nothing the caller of an action can cause: the fix is in the migrations.
 */
export class MigrationError extends LambdaError {
  readonly type = 'Migration';
  readonly statusCode = 500;
  /** The migration concerned, e.g. `0001_app_roles`, when one is. */
  readonly migration?: string;

  constructor(message: string, options: LambdaErrorOptions & { readonly migration?: string } = {}) {
    super(message, options);
    this.migration = options.migration;
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

/** The most characters of a caller's string that a message or a log line repeats. */
export const MAX_ECHO_CHARS = 40;

/** The most characters of another layer's message (a driver's, PostgreSQL's) that we repeat. */
export const MAX_ERROR_TEXT_CHARS = 200;

declare const echoBrand: unique symbol;

/** A bounded description of a value the caller supplied; only {@link echo} makes one. */
export type Echo = string & { readonly [echoBrand]: true };

/**
 * Describes a value the caller supplied, bounded: a string as JSON of its first
 * {@link MAX_ECHO_CHARS} characters (control characters escaped) with `…` and its length when
 * longer; any other value by its type only.
 */
export function echo(value: unknown): Echo {
  return describeCallerValue(value) as Echo;
}

function describeCallerValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value !== 'string') return `a ${typeof value}`;
  // Whole code points, so the cut never splits a surrogate pair.
  const head = Array.from(value.slice(0, 2 * MAX_ECHO_CHARS)).slice(0, MAX_ECHO_CHARS).join('');
  return head.length < value.length
    ? `the string ${JSON.stringify(head + '…')} (${value.length} characters)`
    : `the string ${JSON.stringify(value)}`;
}

/** `text` cut to `maxChars` characters with `…`, for text that may quote a caller's value. */
export function boundedText(text: string, maxChars: number = MAX_ERROR_TEXT_CHARS): string {
  if (text.length <= maxChars) return text;
  return Array.from(text.slice(0, maxChars)).slice(0, maxChars - 1).join('') + '…';
}

/** Message factories, one per failure, so tests and callers match the same text. */
export const messages = {
  notAnObject: (received: Echo) => `the event must be a JSON object; received ${received}`,
  unknownAction: (action: Echo, accepted: readonly string[]) =>
    `unknown action: received ${action}; accepted: ${accepted.join(', ')}`,
  badParam: (action: string, param: string, expected: string, received: Echo) =>
    `action "${action}": parameter "${param}" must be ${expected}; received ${received}`,
  paramTooManyBytes: (action: string, param: string, bytes: number, maxBytes: number, received: Echo) =>
    `action "${action}": parameter "${param}" is ${bytes} bytes in UTF-8, over the ${maxBytes}-byte limit of a ` +
    `PostgreSQL identifier (NAMEDATALEN - 1), past which PostgreSQL would cut it and match another name; received ${received}`,
  actionNotAccepted: (action: string, accepted: readonly string[], variable: string) =>
    `action "${action}" is not one this function runs; it runs: ${accepted.join(', ')} (${variable}). ` +
    'Send it to the function that runs it',
  paramNotSendable: (action: string, param: string, received: Echo) =>
    `action "${action}": parameter "${param}" must be well-formed Unicode; it has a lone surrogate, which the ` +
    `PostgreSQL driver would send as U+FFFD instead; received ${received}`,
  paramRejectedByDatabase: (action: string, params: readonly string[], sqlState: string, reason: string, received: readonly Echo[]) =>
    `action "${action}": PostgreSQL rejected parameter ${params.map((p) => `"${p}"`).join(', ')} ` +
    `(SQLSTATE ${sqlState}: ${boundedText(reason)}); received ${received.join(', ')}`,

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
  dbIamAuth: (host: string, port: number, user: string, sqlState: string, detail: string) =>
    `PostgreSQL at ${host}:${port} rejected the IAM authentication token of "${user}" (SQLSTATE ${sqlState}: ${boundedText(detail)}): ` +
    `either the role "${user}" is not a member of rds_iam (run the migrations, which grant it; without it PostgreSQL checks ` +
    "the token as a password, 28P01), or the function's IAM role lacks rds-db:connect on " +
    `arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/${user} (28000, PAM authentication failed)`,
  dbNoTls: (host: string, port: number) =>
    `PostgreSQL at ${host}:${port} does not offer TLS (it declined the TLS request), and this function connects ` +
    'only over verified TLS: point DB_HOST at the RDS instance (RDS always offers TLS), or turn ssl on in the server',
  dbReadTimeout: (waitedMillis: number, statementTimeoutMillis: number) =>
    `PostgreSQL sent no answer within ${waitedMillis} ms, past its own statement_timeout of ${statementTimeoutMillis} ms: ` +
    'the connection stalled (a network path that stopped delivering), so the session was dropped',
  dbConnect: (host: string, port: number, detail: string) =>
    `could not open a session on PostgreSQL at ${host}:${port} (${detail}): check the database ` +
    "security group admits the Lambda's security group on this port, and the instance is available",
  dbQuery: (detail: string) => `the query failed (${detail})`,
  dbBusy: (maxSessions: number, waitedMillis: number, neededMillis: number, variable: string) =>
    `all ${maxSessions} PostgreSQL session(s) of this handler instance stayed busy for the ${waitedMillis} ms ` +
    `the invocation could wait while keeping ${neededMillis} ms for a connect and a query: more invocations ran at once ` +
    `here than ${variable} allows sessions; raise it within the connection budget, or send fewer invocations at once`,
  responseTooLarge: (action: string, bytes: number, maxBytes: number) =>
    `the response to action "${action}" would be ${bytes} bytes, over the ${maxBytes} bytes this function returns ` +
    "to stay below Lambda's limit on a synchronous response",
  migrationFileName: (file: string, folder: string) =>
    `migration file ${file} in ${folder} is not named NNNN_name.sql (four digits, an underscore, then lower-case ` +
    'letters, digits and underscores): rename it, numbered after the last migration',
  migrationNumberTaken: (number: string, first: string, second: string) =>
    `migrations ${first} and ${second} share the number ${number}: give the newer one the next free number`,
  migrationChanged: (name: string, recordedChecksum: string, fileChecksum: string) =>
    `migration ${name} was applied with checksum ${recordedChecksum}, but its file's checksum is now ${fileChecksum}: ` +
    'an applied migration must not change; restore its text and make the change in a new migration',
  migrationMissing: (name: string) =>
    `migration ${name} is recorded as applied, but there is no such file: an applied migration must not be renamed ` +
    'or deleted; restore it',
  migrationOutOfOrder: (name: string, lastApplied: string) =>
    `migration ${name} is not applied yet but sorts before ${lastApplied}, which is: migrations apply in order, ` +
    `so renumber it to sort after ${lastApplied}`,
  migrationFailed: (name: string, sqlState: string, reason: string, line: number | undefined) =>
    `migration ${name} failed${line === undefined ? '' : ` at line ${line}`} (SQLSTATE ${sqlState}: ${boundedText(reason)}): ` +
    'it was rolled back and no later migration ran; the earlier ones stay applied',
  migrationInterrupted: (name: string, detail: string) =>
    `migration ${name} did not complete (${detail}): its transaction, which also records it, committed whole or not ` +
    'at all, so running the migrations again applies it exactly when it is not recorded',
  migrationEndedTransaction: (name: string) =>
    `migration ${name} ended the transaction it runs in (a COMMIT or ROLLBACK in its text), so what it did up to ` +
    'there is committed but the migration is not recorded: remove that statement, as each migration runs in a ' +
    'transaction of its own, and undo by hand what it committed',
  migrationEventMalformed: (field: string, received: Echo) =>
    'the migration event must be {"migrations": [{"name": "NNNN_name", "checksum": "<sha-256 in hex>"}, ...]}, the ' +
    `plan's list of migrations; ${field} is ${received}`,
  migrationPlanMismatch: (differences: readonly string[]) =>
    `the migrations bundled in this function differ from the plan's list in the event, so none was applied: ${differences.join('; ')}. ` +
    'Deploy the function built with the planned migrations, or plan again',
  migrationNeedsMasterSecret: (variable: string, mode: string) =>
    `the migration function logs in as the RDS master user with the RDS-managed secret, but ${variable} is ${JSON.stringify(mode)}: ` +
    `set ${variable}=master-secret (or leave it unset) on the migration function`,
  migrationTooLittleTime: (remainingMillis: number, neededMillis: number) =>
    `only ${remainingMillis} ms of the invocation are left, and a migration run needs ${neededMillis} ms (reading the secret and ` +
    'connecting at their limits, the shortest statement timeout and the margin to report a failure): raise the migration function\'s timeout',
  internal: (requestId: string) => `internal error; see the logs of request ${requestId}`,
} as const;

/** True when PostgreSQL itself reported the error (it carries a severity and a SQLSTATE). */
export function isServerError(err: unknown): boolean {
  return typeof (err as { severity?: unknown } | null)?.severity === 'string';
}

/** The SQLSTATE (`code`) of a PostgreSQL error, or the errno code of a socket error. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A short description of an error for messages and logs: `name: message` or its code, at most
 * {@link MAX_ERROR_TEXT_CHARS} characters of the message (a driver's or PostgreSQL's message may
 * quote a caller's value).
 */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = errorCode(err);
    const text = boundedText(err.message || code || err.name);
    return code && !text.includes(code) ? `${err.name} ${code}: ${text}` : `${err.name}: ${text}`;
  }
  return typeof err;
}
