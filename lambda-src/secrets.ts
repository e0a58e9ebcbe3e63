import {
  GetSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { SecretFetchError, describeError, messages } from './errors';
import { elapsedMillis, type Logger } from './log';

/** Database credentials read from the RDS-managed secret, with where they came from. */
export interface DbCredentials {
  readonly username: string;
  readonly password: string;
  /** ARN of the secret the credentials came from. */
  readonly secretArn: string;
  /** The secret version (AWSCURRENT when fetched); changes at every rotation. */
  readonly versionId: string;
}

/** What the login of `DB_AUTH=master-secret` (`SecretLogin`, login.ts) needs from a credential source. */
export interface CredentialSource {
  /** Cached credentials while fresh, else fetched ones. */
  get(): Promise<DbCredentials>;
  /** The credentials fetched last, whether or not still fresh; undefined before the first fetch. */
  latest(): DbCredentials | undefined;
  /**
   * Fetches the secret again after PostgreSQL rejected the password of version `rejectedVersionId`;
   * when the source already holds another version (another caller refreshed first), returns that.
   * @param rejectedVersionId the version PostgreSQL rejected; without it, fetches whatever the cache holds
   */
  refresh(rejectedVersionId?: string): Promise<DbCredentials>;
}

/** The one call this module makes; satisfied by `SecretsManagerClient`. */
export interface SecretsManagerLike {
  send(command: GetSecretValueCommand, options?: { abortSignal?: AbortSignal }): Promise<{
    ARN?: string;
    VersionId?: string;
    SecretString?: string;
  }>;
}

/** Timeouts of the Secrets Manager client. */
export interface SecretsManagerClientProps {
  /** TCP connect timeout in milliseconds. */
  readonly connectTimeoutMillis: number;
  /** Limit of one request and its response in milliseconds, once connected. */
  readonly requestTimeoutMillis: number;
}

/**
 * Attempts per GetSecretValue: one retry absorbs a dropped keep-alive socket, and the whole call
 * is also capped by {@link SecretCacheProps.fetchBudgetMillis}, so retries never stretch it.
 */
export const SECRETS_MANAGER_MAX_ATTEMPTS = 2;

/**
 * Creates the SDK client. Region, credentials and endpoint come from the standard environment
 * (`AWS_REGION`, the Lambda role's keys, `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL`).
 * The `requestHandler` options build the SDK's `NodeHttpHandler` from `@smithy/node-http-handler`.
 */
export function createSecretsManagerClient(props: SecretsManagerClientProps): SecretsManagerClient {
  return new SecretsManagerClient({
    maxAttempts: SECRETS_MANAGER_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: props.connectTimeoutMillis,
      requestTimeout: props.requestTimeoutMillis,
      // Without it, @smithy/node-http-handler 4.x only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  });
}

/** Props of {@link SecretCache}. */
export interface SecretCacheProps {
  /** ARN of the secret to read (AWSCURRENT). */
  readonly secretArn: string;
  /** How long fetched credentials are reused, in seconds; 0 fetches on every `get()`. */
  readonly ttlSeconds: number;
  /**
   * Upper bound of one fetch including SDK retries, in milliseconds; past it the call is aborted.
   * Normally the connect timeout plus the request timeout.
   */
  readonly fetchBudgetMillis: number;
  /** Returns the client; called on the first fetch only, so no client exists before it is needed. */
  readonly client: () => SecretsManagerLike;
  /** Where fetches are logged. */
  readonly log: Logger;
  /**
   * The clock, in milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Caches the database credentials of one secret for `ttlSeconds`. One instance per container;
 * concurrent callers share one in-flight fetch, and callers refreshing after the same rejected
 * version share one fetch.
 */
export class SecretCache implements CredentialSource {
  /** How many GetSecretValue calls this cache made (successful or not). */
  fetchCount = 0;
  private cached?: { readonly credentials: DbCredentials; readonly expiresAtMillis: number };
  private inFlight?: Promise<DbCredentials>;
  private sdkClient?: SecretsManagerLike;
  private readonly now: () => number;

  constructor(private readonly props: SecretCacheProps) {
    this.now = props.now ?? Date.now;
  }

  get(): Promise<DbCredentials> {
    const cached = this.cached;
    if (cached && this.now() < cached.expiresAtMillis) return Promise.resolve(cached.credentials);
    return this.refresh();
  }

  latest(): DbCredentials | undefined {
    return this.cached?.credentials;
  }

  refresh(rejectedVersionId?: string): Promise<DbCredentials> {
    const cached = this.cached?.credentials;
    if (rejectedVersionId !== undefined && !this.inFlight && cached && cached.versionId !== rejectedVersionId) return Promise.resolve(cached);
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<DbCredentials> {
    const { secretArn, fetchBudgetMillis, log } = this.props;
    this.sdkClient ??= this.props.client();
    this.fetchCount += 1;
    const started = performance.now();
    let output: Awaited<ReturnType<SecretsManagerLike['send']>>;
    try {
      output = await this.sdkClient.send(
        new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSCURRENT' }),
        { abortSignal: AbortSignal.timeout(fetchBudgetMillis) },
      );
    } catch (err) {
      const error = toSecretFetchError(err, secretArn, fetchBudgetMillis);
      log.error('secret fetch failed', {
        secretArn,
        durationMs: elapsedMillis(started),
        errorType: error.type,
        errorMessage: error.message,
      });
      throw error;
    }
    const credentials = parseCredentials(output, secretArn);
    this.cached = {
      credentials,
      expiresAtMillis: this.now() + this.props.ttlSeconds * 1000,
    };
    log.info('secret fetched', { secretArn, versionId: credentials.versionId, durationMs: elapsedMillis(started) });
    return credentials;
  }
}

function parseCredentials(
  output: { ARN?: string; VersionId?: string; SecretString?: string },
  secretArn: string,
): DbCredentials {
  const versionId = output.VersionId ?? 'unknown';
  if (typeof output.SecretString !== 'string') {
    throw new SecretFetchError(messages.secretMalformed(secretArn, versionId, 'has no SecretString'));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(output.SecretString);
  } catch {
    // The parser's message may quote the SecretString, so it is not kept as the cause.
    throw new SecretFetchError(messages.secretMalformed(secretArn, versionId, 'is not JSON'));
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || !username || typeof password !== 'string' || !password) {
    throw new SecretFetchError(messages.secretMalformed(secretArn, versionId, 'lacks a string username or password'));
  }
  return { username, password, secretArn: output.ARN ?? secretArn, versionId };
}

function toSecretFetchError(err: unknown, secretArn: string, budgetMillis: number): SecretFetchError {
  if (err instanceof SecretsManagerServiceException) {
    switch (err.name) {
      case 'AccessDeniedException':
        return new SecretFetchError(messages.secretAccessDenied(secretArn), { cause: err });
      case 'ResourceNotFoundException':
        return new SecretFetchError(messages.secretNotFound(secretArn), { cause: err });
      default:
        return new SecretFetchError(messages.secretServiceError(secretArn, err.name), { cause: err });
    }
  }
  // Everything else is the network: refused, reset, DNS, the SDK's timeouts or our budget.
  return new SecretFetchError(messages.secretsManagerUnreachable(secretArn, budgetMillis, describeError(err)), {
    cause: err,
  });
}
