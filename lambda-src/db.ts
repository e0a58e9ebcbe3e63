import { isIP } from 'node:net';
import type { ClientBase, ClientConfig } from 'pg';
// The class `pg` exports as `Client`, from its own module: importing `pg` would also bundle pg-pool
// and the native driver's wrapper, which this function never uses (lambda-src/pg-client.d.ts).
import Client from 'pg/lib/client';
import { DatabaseConnectError, DatabaseQueryError, LambdaError, describeError, errorCode, isServerError, messages } from './errors';
import { elapsedMillis, type Logger } from './log';
import type { CredentialSource, DbCredentials } from './secrets';

/** Props of {@link DatabaseSession}. */
export interface DatabaseSessionProps {
  /** PostgreSQL host; also the TLS server name when it is a DNS name. */
  readonly host: string;
  /** PostgreSQL port. */
  readonly port: number;
  /** Database name. */
  readonly database: string;
  /** Time to open a session (TCP, TLS, authentication), in milliseconds. */
  readonly connectTimeoutMillis: number;
  /**
   * Per-query limit, in milliseconds: the server's `statement_timeout`. The client waits
   * {@link clientQueryTimeoutMillis} of it (`query_timeout` in pg), slightly longer, so the server
   * cancels a slow query first and the session survives with SQLSTATE 57014.
   */
  readonly queryTimeoutMillis: number;
  /** Where the username and password come from. */
  readonly credentials: CredentialSource;
  /** Where connects and reconnects are logged. */
  readonly log: Logger;
  /**
   * PEM of the CA(s) to trust instead of Node.js's store. Tests only.
   * @default - Node.js's trust store, which includes `NODE_EXTRA_CA_CERTS` (in Lambda the RDS CA bundle)
   */
  readonly ca?: string;
}

/** The credentials' origin a session was opened with, for reporting; never the password. */
export interface SessionSecret {
  readonly secretArn: string;
  readonly versionId: string;
}

/** A query run by {@link DatabaseSession.run}: it receives the open session and what opened it. */
export type Work<T> = (client: ClientBase, secret: SessionSecret) => Promise<T>;

/** How {@link DatabaseSession.run} may recover from a failure of `work`. */
export interface RunOptions {
  /**
   * `work` only reads, so running it again on a new session is safe: after a lost session or a
   * client-side read timeout it is retried once.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Milliseconds left to the invocation (Lambda's `getRemainingTimeInMillis`): a retry after a read
   * timeout is made only when a connect and a query still fit.
   * @default - unknown: the retry is made
   */
  readonly remainingMillis?: () => number | undefined;
}

/**
 * How long the client waits for a query, in milliseconds: the server's `statement_timeout` plus a
 * tenth of it, at least 100 ms and at most 1000 ms. When the two were equal, pg's timer (started
 * before the query left) usually fired first, dropped the TLS session and lost the server's
 * SQLSTATE 57014; the margin lets the server's cancellation arrive first.
 */
export function clientQueryTimeoutMillis(statementTimeoutMillis: number): number {
  return statementTimeoutMillis + Math.min(1000, Math.max(100, Math.round(statementTimeoutMillis / 10)));
}

/** The message pg gives a query whose `query_timeout` passed without an answer. */
const READ_TIMEOUT_MESSAGE = 'Query read timeout';

/** The message pg gives when the server answers the TLS request with `N` (no TLS). */
const NO_TLS_MESSAGE = 'The server does not support SSL connections';

/** SQLSTATE PostgreSQL returns for a wrong password (invalid_password). */
const INVALID_PASSWORD = '28P01';

/**
 * SQLSTATEs and socket codes after which a session is gone: the server terminated it
 * (admin_shutdown, crash_shutdown, cannot_connect_now) or the network dropped it.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const SESSION_LOST_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** TLS verification failures reported by Node.js when the chain or host name does not check out. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface Session {
  readonly client: Client;
  readonly secret: SessionSecret;
  /** Cleared when the client reports 'error' or 'end': the server or the network closed it. */
  alive: boolean;
}

/**
 * One PostgreSQL session per container, opened on first use and reused by later invocations.
 *
 * Opening uses the cached credentials; when PostgreSQL rejects them (28P01, as after a rotation)
 * the secret is fetched again once and the connect retried once. A session the server closed is
 * dropped and replaced. Read-only work is retried once on a new session when it finds its session
 * gone, or when PostgreSQL did not answer within the client's read timeout (a stalled network
 * path) and the invocation still has time for a connect and a query.
 */
export class DatabaseSession {
  /** How many sessions this instance opened successfully. */
  connectCount = 0;
  private session?: Session;
  private opening?: Promise<Session>;

  constructor(private readonly props: DatabaseSessionProps) {}

  /** Runs `work` on the container's session, opening or replacing the session as needed. */
  async run<T>(work: Work<T>, options: RunOptions = {}): Promise<T> {
    const session = await this.currentSession();
    try {
      return await work(session.client, session.secret);
    } catch (err) {
      if (!options.readOnly || !this.mayRetry(err, session, options)) throw this.afterQueryError(err, session);
      this.drop(session);
      const fresh = await this.currentSession();
      try {
        return await work(fresh.client, fresh.secret);
      } catch (retryErr) {
        throw this.afterQueryError(retryErr, fresh);
      }
    }
  }

  /** Whether read-only work that failed with `err` is worth one more try on a new session, logging why. */
  private mayRetry(err: unknown, session: Session, options: RunOptions): boolean {
    const { log, connectTimeoutMillis, queryTimeoutMillis } = this.props;
    if (isSessionLost(err, session)) {
      log.warn('database session lost during the query; retrying once on a new session', { errorCode: errorCode(err) });
      return true;
    }
    if (!isReadTimeout(err)) return false;
    const neededMillis = connectTimeoutMillis + clientQueryTimeoutMillis(queryTimeoutMillis);
    const remainingMillis = options.remainingMillis?.();
    if (remainingMillis !== undefined && remainingMillis < neededMillis) {
      log.warn('no answer within the read timeout; too little time left to retry', { remainingMs: remainingMillis, neededMs: neededMillis });
      return false;
    }
    log.warn('no answer within the read timeout; retrying once on a new session', { remainingMs: remainingMillis, neededMs: neededMillis });
    return true;
  }

  /** Closes the session, if any. For tests and benchmarks; Lambda just freezes the container. */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) await session.client.end().catch(() => undefined);
  }

  private currentSession(): Promise<Session> {
    const session = this.session;
    if (session?.alive) return Promise.resolve(session);
    if (session) this.drop(session);
    this.opening ??= this.openWithRefetch().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openWithRefetch(): Promise<Session> {
    const cached = await this.props.credentials.get();
    try {
      return await this.open(cached);
    } catch (err) {
      if (errorCode(err) !== INVALID_PASSWORD) throw this.toConnectError(err);
      this.props.log.warn('PostgreSQL rejected the cached password (28P01); fetching the secret again', {
        secretArn: cached.secretArn,
        versionId: cached.versionId,
      });
    }
    const fresh = await this.props.credentials.refresh();
    try {
      return await this.open(fresh);
    } catch (err) {
      if (errorCode(err) === INVALID_PASSWORD) {
        const { host, port } = this.props;
        throw new DatabaseConnectError(
          messages.dbAuth(host, port, fresh.username, fresh.secretArn, fresh.versionId),
          { cause: err, sqlState: INVALID_PASSWORD },
        );
      }
      throw this.toConnectError(err);
    }
  }

  private async open(credentials: DbCredentials): Promise<Session> {
    const { host, port, database, connectTimeoutMillis, queryTimeoutMillis, ca, log } = this.props;
    const started = performance.now();
    const config: ClientConfig = {
      host,
      port,
      database,
      user: credentials.username,
      password: credentials.password,
      application_name: 'workshop-backend-lambda',
      connectionTimeoutMillis: connectTimeoutMillis,
      statement_timeout: queryTimeoutMillis,
      query_timeout: clientQueryTimeoutMillis(queryTimeoutMillis),
      keepAlive: true,
      // Verification is always on. SNI must not carry an IP address (RFC 6066), and pg checks
      // the certificate against the host either way.
      ssl: {
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(ca === undefined ? {} : { ca }),
      },
    };
    const client = new Client(config);
    const session: Session = {
      client,
      secret: { secretArn: credentials.secretArn, versionId: credentials.versionId },
      alive: true,
    };
    let connected = false;
    // Without an 'error' listener a session the server closes while idle would crash the process.
    client.on('error', (err) => {
      if (connected && session.alive) log.warn('database session closed with an error', { errorCode: errorCode(err) });
      session.alive = false;
    });
    client.on('end', () => {
      session.alive = false;
    });
    try {
      await client.connect();
    } catch (err) {
      session.alive = false;
      await client.end().catch(() => undefined);
      throw err;
    }
    connected = true;
    this.connectCount += 1;
    this.session = session;
    log.info('database session opened', {
      versionId: credentials.versionId,
      durationMs: elapsedMillis(started),
    });
    return session;
  }

  private drop(session: Session): void {
    session.alive = false;
    if (this.session === session) this.session = undefined;
    session.client.end().catch(() => undefined);
  }

  private afterQueryError(err: unknown, session: Session): LambdaError {
    if (err instanceof LambdaError) return err;
    // A server-reported error leaves the session usable; anything else (a client-side query
    // timeout, a protocol error) may leave it mid-query, so it is replaced next time.
    if (!isServerError(err)) this.drop(session);
    if (isReadTimeout(err)) {
      const { queryTimeoutMillis } = this.props;
      return new DatabaseQueryError(messages.dbReadTimeout(clientQueryTimeoutMillis(queryTimeoutMillis), queryTimeoutMillis), { cause: err });
    }
    return new DatabaseQueryError(messages.dbQuery(describeError(err)), { cause: err, sqlState: errorCode(err) });
  }

  private toConnectError(err: unknown): LambdaError {
    if (err instanceof LambdaError) return err;
    const { host, port } = this.props;
    const code = errorCode(err);
    if (code && TLS_CODES.has(code)) return new DatabaseConnectError(messages.dbTls(host, port, code), { cause: err });
    if (err instanceof Error && err.message === NO_TLS_MESSAGE) return new DatabaseConnectError(messages.dbNoTls(host, port), { cause: err });
    return new DatabaseConnectError(messages.dbConnect(host, port, describeError(err)), {
      cause: err,
      sqlState: isServerError(err) ? code : undefined,
    });
  }
}

/** True for pg's client-side `query_timeout`: the server has not answered, and may never. */
function isReadTimeout(err: unknown): boolean {
  return err instanceof Error && !isServerError(err) && err.message === READ_TIMEOUT_MESSAGE;
}

function isSessionLost(err: unknown, session: Session): boolean {
  if (err instanceof LambdaError) return false;
  if (!session.alive) return true;
  const code = errorCode(err);
  if (code && SESSION_LOST_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return message.includes('Connection terminated') || message.includes('not queryable');
}
