import { ACTION_SPECS, parseRequest, runAction, type ActionName } from './actions';
import { loadConfig, type Env, type HandlerConfig } from './config';
import { DatabasePool, type LoginSource } from './db';
import { LAMBDA_ENV } from './environment';
import { BadRequestError, LambdaError, ResponseTooLargeError, boundedText, describeError, messages } from './errors';
import type { IamAuthTokenProps } from './iam-auth';
import { createLogger, elapsedMillis, type LogSink } from './log';
import { createLoginSource } from './login';
import type { SecretsManagerLike } from './secrets';

/** What a test or benchmark may inject; production uses every default. */
export interface HandlerDeps {
  /**
   * The environment to read the configuration from, once, on the first invocation.
   * @default process.env
   */
  readonly env?: Env;
  /**
   * The Secrets Manager client (`DB_AUTH=master-secret`).
   * @default - an SDK client created on the first fetch with the configured timeouts
   */
  readonly secretsManager?: SecretsManagerLike;
  /**
   * Makes the IAM token signer (`DB_AUTH=iam`). Tests pass a stand-in whose "token" is a password
   * PostgreSQL checks, as IAM authentication itself needs RDS.
   * @default createIamAuthTokenSigner (iam-auth.ts), with the function role's credentials
   */
  readonly createTokenSigner?: (props: IamAuthTokenProps) => () => Promise<string>;
  /**
   * PEM of the CA(s) PostgreSQL's certificate must chain to, replacing Node.js's trust store.
   * @default - Node.js's trust store, which in Lambda includes NODE_EXTRA_CA_CERTS
   */
  readonly ca?: string;
  /**
   * Where log lines go.
   * @default - stdout, one JSON object per line
   */
  readonly logSink?: LogSink;
  /**
   * The largest response returned, in bytes of its JSON (UTF-8). Tests lower it to reach the bound
   * with a small schema.
   * @default MAX_RESPONSE_BYTES
   */
  readonly maxResponseBytes?: number;
}

/** The part of the Lambda context the handler reads. */
export interface InvocationContext {
  readonly awsRequestId?: string;
  /** Milliseconds before Lambda stops the invocation; bounds the retry after a read timeout. */
  getRemainingTimeInMillis?(): number;
}

/**
 * The longest error message a response carries, in characters. Messages are bounded by
 * construction (a caller's value appears only through `echo`, another layer's text through
 * `boundedText`); this is the last guard, far below the 4 KiB an error response must stay under.
 */
export const MAX_RESPONSE_MESSAGE_CHARS = 1000;

/**
 * Lambda's limit on the response of a synchronous invocation, in bytes: "6 MB" on the quotas page
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html, "Invocation payload
 * (request and response)"), read as 6,000,000 bytes, the lower of its two readings (Lambda's own
 * error message counts 6 MiB and 100 bytes). A larger response fails with Lambda's error, not ours.
 */
export const LAMBDA_SYNC_RESPONSE_LIMIT_BYTES = 6_000_000;

/**
 * The largest response the handler returns, in bytes of its JSON, envelope (`statusCode`, `action`)
 * included: {@link LAMBDA_SYNC_RESPONSE_LIMIT_BYTES}. The runtime serialises the returned object
 * with `JSON.stringify`, as the handler measures it, so nothing is added after the measurement.
 */
export const MAX_RESPONSE_BYTES = LAMBDA_SYNC_RESPONSE_LIMIT_BYTES;

/** A successful invocation's response. */
export interface SuccessResponse {
  readonly statusCode: 200;
  readonly action: ActionName;
  readonly result: unknown;
}

/** A failed invocation's response: the type and a message free of secrets. */
export interface ErrorResponse {
  readonly statusCode: number;
  readonly error: { readonly type: string; readonly message: string };
}

/** The Lambda handler's signature. */
export type Handler = (event: unknown, context?: InvocationContext) => Promise<SuccessResponse | ErrorResponse>;

/** The container's long-lived collaborators, created on the first invocation. */
export interface Runtime {
  readonly config: HandlerConfig;
  /** Where sessions get their login: the RDS-managed secret or IAM tokens (`DB_AUTH`). */
  readonly login: LoginSource;
  readonly database: DatabasePool;
}

/** A handler plus its runtime, so tests can read counters and close the session. */
export interface HandlerInstance {
  readonly handler: Handler;
  /** The runtime, once the first invocation created it. */
  runtime(): Runtime | undefined;
  /** Closes the database sessions, if any. */
  close(): Promise<void>;
}

/**
 * Builds a handler; one per container in production, one per test in tests.
 *
 * An event is validated first (400 BadRequest, before the configuration is read), then checked
 * against the function's own actions (`DB_ACTIONS`): an action this function does not run is a
 * 400 BadRequest naming it and the accepted ones, answered before any secret is read or session
 * opened. 400 rather than 403: the caller sent the request to the wrong function, which another
 * request (to the right function) fixes; nothing about the caller's identity is refused.
 */
export function createHandler(deps: HandlerDeps = {}): HandlerInstance {
  const log = createLogger(deps.logSink);
  const maxResponseBytes = deps.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  let runtime: Runtime | undefined;

  const getRuntime = (): Runtime => {
    if (runtime) return runtime;
    const config = loadConfig(deps.env ?? process.env);
    const login = createLoginSource(config, log, deps);
    const database = new DatabasePool({
      host: config.dbHost,
      port: config.dbPort,
      database: config.dbName,
      connectTimeoutMillis: config.dbConnectTimeoutMillis,
      maxSessions: config.dbPoolMaxSessions,
      queryTimeoutMillis: config.dbQueryTimeoutMillis,
      login,
      log,
      ca: deps.ca,
    });
    runtime = { config, login, database };
    return runtime;
  };

  const handler: Handler = async (event, context) => {
    const started = performance.now();
    const requestId = context?.awsRequestId ?? 'local';
    let action: string | undefined;
    try {
      const request = parseRequest(event);
      action = request.action;
      const { config, database } = getRuntime();
      if (!config.actions.includes(request.action)) {
        throw new BadRequestError(messages.actionNotAccepted(request.action, config.actions, LAMBDA_ENV.dbActions));
      }
      const maxResultBytes = maxResponseBytes - envelopeBytes(request.action);
      const result = await database.run((client, login) => runAction(client, login, request, maxResultBytes), {
        readOnly: ACTION_SPECS[request.action].readOnly,
        remainingMillis: () => context?.getRemainingTimeInMillis?.(),
      });
      const response: SuccessResponse = { statusCode: 200, action: request.action, result };
      const responseBytes = Buffer.byteLength(JSON.stringify(response));
      if (responseBytes > maxResponseBytes) {
        throw new ResponseTooLargeError(messages.responseTooLarge(request.action, responseBytes, maxResponseBytes));
      }
      log.info('invocation succeeded', { requestId, action, durationMs: elapsedMillis(started), responseBytes });
      return response;
    } catch (err) {
      const response = toErrorResponse(err, requestId);
      log.log(response.statusCode < 500 ? 'warn' : 'error', 'invocation failed', {
        requestId,
        action,
        durationMs: elapsedMillis(started),
        errorType: response.error.type,
        errorMessage: response.error.message,
        cause: err instanceof LambdaError ? (err.cause === undefined ? undefined : describeError(err.cause)) : describeError(err),
      });
      return response;
    }
  };

  return {
    handler,
    runtime: () => runtime,
    close: async () => {
      await runtime?.database.close();
    },
  };
}

/** The bytes of a success response's JSON around its `result`. */
function envelopeBytes(action: ActionName): number {
  // `0` stands in for the result: one byte.
  return Buffer.byteLength(JSON.stringify({ statusCode: 200, action, result: 0 })) - 1;
}

function toErrorResponse(err: unknown, requestId: string): ErrorResponse {
  if (err instanceof LambdaError) {
    return { statusCode: err.statusCode, error: { type: err.type, message: boundedText(err.message, MAX_RESPONSE_MESSAGE_CHARS) } };
  }
  // An unexpected error's message is not vetted, so it goes to the logs only.
  return { statusCode: 500, error: { type: 'Internal', message: messages.internal(requestId) } };
}

/** The Lambda entry point (`index.handler` in the bundle). */
export const handler: Handler = createHandler().handler;
