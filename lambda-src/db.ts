import { isIP } from 'node:net';
import type { ClientBase, ClientConfig, PoolClient } from 'pg';
// The classes `pg` exports as `Client` and `Pool`, from their own modules: importing `pg` would also
// bundle the native driver's wrapper, which this function never uses (lambda-src/pg-client.d.ts).
import Client from 'pg/lib/client';
import Pool from 'pg-pool';
import { LAMBDA_ENV } from './environment';
import {
  DatabaseBusyError,
  DatabaseConnectError,
  DatabaseQueryError,
  LambdaError,
  boundedText,
  describeError,
  errorCode,
  isServerError,
  messages,
} from './errors';
import type { DatabaseAuthMode } from './environment';
import { elapsedMillis, type Logger } from './log';

/** Props of {@link DatabasePool}. */
export interface DatabasePoolProps {
  /** PostgreSQL host; also the TLS server name when it is a DNS name. */
  readonly host: string;
  /** PostgreSQL port. */
  readonly port: number;
  /** Database name. */
  readonly database: string;
  /** Time to open a session (TCP, TLS, authentication), in milliseconds. */
  readonly connectTimeoutMillis: number;
  /**
   * Most sessions open at once, 1 or more: the pool's size. Invocations beyond it wait for a
   * session to come back (`DB_POOL_MAX_SESSIONS`; see `TUNING_VARIABLES` in config.ts).
   */
  readonly maxSessions: number;
  /**
   * Per-query limit, in milliseconds: the server's `statement_timeout`. The client waits
   * {@link clientQueryTimeoutMillis} of it (`query_timeout` in pg), slightly longer, so the server
   * cancels a slow query first and the session survives with SQLSTATE 57014.
   */
  readonly queryTimeoutMillis: number;
  /** Where each new session's user and password come from: the RDS-managed secret or IAM tokens (login.ts). */
  readonly login: LoginSource;
  /** Where connects and reconnects are logged. */
  readonly log: Logger;
  /**
   * PEM of the CA(s) to trust instead of Node.js's store. Tests only.
   * @default - Node.js's trust store, which includes `NODE_EXTRA_CA_CERTS` (in Lambda the RDS CA bundle)
   */
  readonly ca?: string;
}

/** How a session logged in with the RDS-managed secret, for reporting: its ARN and version, never the password. */
export interface SessionSecret {
  readonly auth: 'master-secret';
  /** ARN of the secret the password came from. */
  readonly secretArn: string;
  /** The secret's version (AWSCURRENT when fetched); changes at every rotation. */
  readonly versionId: string;
}

/** How a session logged in with an IAM database authentication token, for reporting: the role, never the token. */
export interface SessionIamToken {
  readonly auth: 'iam';
  /** The PostgreSQL role the token was signed for (`DB_USER`). */
  readonly user: string;
}

/** How a session logged in, one shape per {@link DatabaseAuthMode}; what health reports and the logs show. */
export type SessionLogin = SessionSecret | SessionIamToken;

/** What a new session logs in with. */
export interface Login {
  /** The PostgreSQL role. */
  readonly user: string;
  /**
   * The password, or a function that makes one: pg calls it once for each new session, so an IAM
   * token is signed afresh for every session (pg's `password` option).
   */
  readonly password: string | (() => Promise<string>);
  /** Where the password came from, for reporting. */
  readonly origin: SessionLogin;
}

/**
 * Where {@link DatabasePool} gets the login of each new session: one implementation per
 * {@link DatabaseAuthMode} (login.ts), so the pool has a single connect path for both.
 */
export interface LoginSource {
  /**
   * Readies the login of a session that may open now and returns it: when `mayOpen` (no session is
   * idle), whatever must be fetched is fetched here, before the connect and outside its timeout.
   */
  prepare(mayOpen: boolean): Promise<Login>;
  /** The login a session created now opens with: the one prepared or refreshed last. Call after {@link prepare}. */
  current(): Login;
  /**
   * PostgreSQL rejected `rejected` ({@link isLoginRejected}): returns the login to retry the connect
   * with once, or undefined when a retry cannot help. Logs why it retries.
   */
  afterRejection(rejected: Login): Promise<Login | undefined>;
  /** The message of the {@link DatabaseConnectError} when PostgreSQL rejected `login` for good. */
  rejectionMessage(login: Login, host: string, port: number, sqlState: string, detail: string): string;
  /** Whether `sqlState`, an error of class 28 at connect, means PostgreSQL rejected this source's login. */
  isLoginRejected(sqlState: string | undefined): boolean;
}

/** A query run by {@link DatabasePool.run}: it receives the open session and what opened it. */
export type Work<T> = (client: ClientBase, login: SessionLogin) => Promise<T>;

/** How {@link DatabasePool.run} may recover from a failure of `work`. */
export interface RunOptions {
  /**
   * `work` only reads, so running it again on a new session is safe: after a lost session or a
   * client-side read timeout it is retried once.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Milliseconds left to the invocation (Lambda's `getRemainingTimeInMillis`): a retry after a read
   * timeout is made, and a wait for a busy pool lasts, only while a connect and a query still fit.
   * @default - unknown: the retry is made, and a wait lasts until a session comes back
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

/**
 * The handler's PostgreSQL sessions: a pool of at most `maxSessions`, each lent to one invocation at
 * a time, opened on first use and kept between invocations.
 *
 * Each invocation runs its work, transaction included, on a session no other invocation uses
 * meanwhile: Lambda Managed Instances send several invocations at once to one handler instance (one
 * per Node.js worker thread), and on one shared session a transaction one of them aborted would fail
 * the others (SQLSTATE 25P02). Standard Lambda sends a container one invocation at a time, so its
 * pool never opens a second session.
 *
 * A session opens with the login of its {@link LoginSource}: with the RDS-managed secret, the
 * credentials fetched last, and when PostgreSQL rejects them (28P01, as after a rotation) the secret
 * is fetched again once and the connect retried once; with IAM, a token signed for that session, and
 * a rejection fails at once (a new token cannot fix a missing grant). A session goes back to
 * the pool only when the server, not the connection, reported any failure and it is outside a
 * transaction; any other is closed, and the next invocation that needs one opens a new one.
 * Read-only work is retried once on another session when it finds its session gone, or when
 * PostgreSQL did not answer within the client's read timeout (a stalled network path) and the
 * invocation still has time for a connect and a query.
 */
export class DatabasePool {
  /** How many sessions this instance opened successfully. */
  connectCount = 0;
  private pool?: Pool;
  /** Each session's login origin, and when it started to connect (a `performance.now()` reading). */
  private readonly sessions = new WeakMap<ClientBase, { readonly login: SessionLogin; readonly startedMillis: number }>();
  /** Sessions the server or the network closed. */
  private readonly lost = new WeakSet<ClientBase>();

  constructor(private readonly props: DatabasePoolProps) {}

  /** Runs `work` on a session of its own, opening one or waiting for one as needed. */
  async run<T>(work: Work<T>, options: RunOptions = {}): Promise<T> {
    const client = await this.acquire(options);
    try {
      return await this.attempt(client, work);
    } catch (err) {
      if (!options.readOnly || !this.mayRetry(err, client, options)) throw this.toQueryError(err);
    }
    const fresh = await this.acquire(options);
    try {
      return await this.attempt(fresh, work);
    } catch (err) {
      throw this.toQueryError(err);
    }
  }

  /** Closes every session. For tests and benchmarks; Lambda just freezes the environment. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  /** Runs `work` on `client`, then gives the session back to the pool, or closes it when it may be unusable. */
  private async attempt<T>(client: PoolClient, work: Work<T>): Promise<T> {
    let reusable = false;
    try {
      const result = await work(client, this.sessions.get(client)!.login);
      reusable = true;
      return result;
    } catch (err) {
      // A server-reported error (or a caller's mistake, which wraps one or comes before any query)
      // leaves the session usable, unless the server reported that it ended the session (57P01 after
      // pg_terminate_backend); anything else (a client-side query timeout, a protocol error) may
      // leave it mid-query.
      reusable = (err instanceof LambdaError || isServerError(err)) && !this.isSessionLost(err, client);
      throw err;
    } finally {
      const intact = reusable && !this.lost.has(client);
      // Never lend out a session inside a transaction (`T`) or an aborted one (`E`).
      const status = client.getTransactionStatus();
      if (intact && status !== 'I') this.props.log.warn('database session closed: the work left it inside a transaction', { transactionStatus: status });
      client.release(intact && status === 'I' ? undefined : true);
    }
  }

  /** Whether read-only work that failed with `err` is worth one more try on another session, logging why. */
  private mayRetry(err: unknown, client: ClientBase, options: RunOptions): boolean {
    const { log } = this.props;
    if (this.isSessionLost(err, client)) {
      log.warn('database session lost during the query; retrying once on a new session', { errorCode: errorCode(err) });
      return true;
    }
    if (!isReadTimeout(err)) return false;
    const neededMillis = this.connectAndQueryMillis();
    const remainingMillis = options.remainingMillis?.();
    if (remainingMillis !== undefined && remainingMillis < neededMillis) {
      log.warn('no answer within the read timeout; too little time left to retry', { remainingMs: remainingMillis, neededMs: neededMillis });
      return false;
    }
    log.warn('no answer within the read timeout; retrying once on a new session', { remainingMs: remainingMillis, neededMs: neededMillis });
    return true;
  }

  /** A connect and a query at their limits, in milliseconds: what a retry or a wait must leave. */
  private connectAndQueryMillis(): number {
    return this.props.connectTimeoutMillis + clientQueryTimeoutMillis(this.props.queryTimeoutMillis);
  }

  /**
   * A session for one invocation: an idle one, a new one, or the next one given back. A new one
   * opens with the login prepared last; when none is idle the login is prepared first (a secret
   * fetch after its TTL happens before the connect, not inside the connect timeout). When PostgreSQL
   * rejects the login, its source decides whether one retry may help (a secret fetched again) or
   * not (an IAM token).
   */
  private async acquire(options: RunOptions): Promise<PoolClient> {
    this.pool ??= this.createPool();
    const pool = this.pool;
    const source = this.props.login;
    const tried = await source.prepare(pool.idleCount === 0);
    let rejection: unknown;
    try {
      return await this.connect(pool, options);
    } catch (err) {
      if (!source.isLoginRejected(errorCode(err))) throw this.toConnectError(err);
      rejection = err;
    }
    const retry = await source.afterRejection(tried);
    if (retry === undefined) throw this.toLoginError(tried, rejection);
    try {
      return await this.connect(pool, options);
    } catch (err) {
      if (source.isLoginRejected(errorCode(err))) throw this.toLoginError(retry, err);
      throw this.toConnectError(err);
    }
  }

  /** The error of a login PostgreSQL rejected for good, with the source's explanation. */
  private toLoginError(login: Login, err: unknown): DatabaseConnectError {
    const { host, port } = this.props;
    const sqlState = errorCode(err)!;
    const detail = boundedText(err instanceof Error ? err.message : String(err));
    return new DatabaseConnectError(this.props.login.rejectionMessage(login, host, port, sqlState, detail), { cause: err, sqlState });
  }

  /**
   * `pool.connect()`, bounded when every session is busy: a waiting invocation gives up with a
   * {@link DatabaseBusyError} while it still has time for a connect and a query (with no deadline
   * known, it waits: every lent session comes back within the client's read timeout).
   */
  private async connect(pool: Pool, options: RunOptions): Promise<PoolClient> {
    const remainingMillis = options.remainingMillis?.();
    // Requests already queued take idle sessions first (the pool hands them out on the next tick).
    const free = pool.idleCount + (this.props.maxSessions - pool.totalCount) - pool.waitingCount;
    if (free > 0 || remainingMillis === undefined) return pool.connect();
    const neededMillis = this.connectAndQueryMillis();
    const waitMillis = remainingMillis - neededMillis;
    const busy = () =>
      new DatabaseBusyError(messages.dbBusy(this.props.maxSessions, Math.max(0, waitMillis), neededMillis, LAMBDA_ENV.dbPoolMaxSessions));
    if (waitMillis <= 0) throw busy();
    const pending = pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(busy()), waitMillis);
    });
    try {
      return await Promise.race([pending, timedOut]);
    } catch (err) {
      // The pool still owes this request a session: give it back as soon as it comes.
      if (err instanceof DatabaseBusyError) pending.then((client) => client.release(), () => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private createPool(): Pool {
    const owner = this;
    const { log } = this.props;
    /** A session of this pool: opens with the login prepared last when it is created. */
    class Session extends Client {
      constructor() {
        // acquire() has prepared the login before the pool creates a session.
        const login = owner.props.login.current();
        super(owner.clientConfig(login));
        owner.sessions.set(this, { login: login.origin, startedMillis: performance.now() });
        // Without an 'error' listener, a session closed while lent out would crash the process
        // (the pool listens only while a session is idle).
        this.on('error', (err) => {
          if (!owner.lost.has(this)) log.warn('database session closed with an error', { errorCode: errorCode(err) });
          owner.lost.add(this);
        });
        this.on('end', () => owner.lost.add(this));
      }
    }
    const pool = new Pool({
      Client: Session,
      max: this.props.maxSessions,
      // Kept while the environment lives: Lambda freezes it between invocations, and a session
      // closed by the server meanwhile is found and replaced on the next use.
      idleTimeoutMillis: 0,
    });
    pool.on('connect', (client) => {
      this.connectCount += 1;
      const session = this.sessions.get(client)!;
      log.info('database session opened', {
        ...session.login,
        durationMs: elapsedMillis(session.startedMillis),
        sessions: pool.totalCount,
      });
    });
    // The pool emits the 'error' of an idle session after removing it; the session's own listener logged it.
    pool.on('error', () => undefined);
    return pool;
  }

  private clientConfig(login: Login): ClientConfig {
    const { host, port, database, connectTimeoutMillis, queryTimeoutMillis, ca } = this.props;
    return {
      host,
      port,
      database,
      user: login.user,
      password: login.password,
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
  }

  private isSessionLost(err: unknown, client: ClientBase): boolean {
    if (err instanceof LambdaError) return false;
    if (this.lost.has(client)) return true;
    const code = errorCode(err);
    if (code && SESSION_LOST_CODES.has(code)) return true;
    const message = err instanceof Error ? err.message : '';
    return message.includes('Connection terminated') || message.includes('not queryable');
  }

  private toQueryError(err: unknown): LambdaError {
    if (err instanceof LambdaError) return err;
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
