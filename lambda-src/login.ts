import type { HandlerConfig, MasterSecretAuth } from './config';
import type { Login, LoginSource } from './db';
import { messages } from './errors';
import { createIamAuthTokenSigner, type IamAuthTokenProps } from './iam-auth';
import type { Logger } from './log';
import { SecretCache, createSecretsManagerClient, type CredentialSource, type DbCredentials, type SecretsManagerLike } from './secrets';

/** SQLSTATE invalid_password: PostgreSQL's answer to a wrong password (and to an unknown role). */
const INVALID_PASSWORD = '28P01';

/**
 * SQLSTATE invalid_authorization_specification: PostgreSQL's answer when PAM refuses a login,
 * which is how RDS checks an IAM token of a role in `rds_iam` ("PAM authentication failed for user").
 * Source: `auth_failed` in PostgreSQL's src/backend/libpq/auth.c, which gives 28P01 only to the
 * password methods; https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Troubleshooting.html
 */
const INVALID_AUTHORIZATION = '28000';

/**
 * Logs in with the RDS-managed secret (`DB_AUTH=master-secret`): the user and password fetched last;
 * after PostgreSQL rejects them (28P01, as after a rotation) the secret is fetched again once, and
 * concurrent sessions rejected with the same version share that fetch (SecretCache.refresh).
 */
export class SecretLogin implements LoginSource {
  /**
   * @param credentials the secret's cache, read before each connect that may open a session
   * @param log where a retry after 28P01 is logged (ARN and version, never the password)
   */
  constructor(
    readonly credentials: CredentialSource,
    private readonly log: Logger,
  ) {}

  async prepare(mayOpen: boolean): Promise<Login> {
    // With a session idle, none opens: the cache is not read, so no fetch delays the invocation.
    const latest = this.credentials.latest();
    return toLogin(mayOpen || latest === undefined ? await this.credentials.get() : latest);
  }

  current(): Login {
    const latest = this.credentials.latest();
    if (latest === undefined) throw new Error('SecretLogin.current() before prepare()');
    return toLogin(latest);
  }

  async afterRejection(rejected: Login): Promise<Login> {
    const { secretArn, versionId } = origin(rejected);
    this.log.warn('PostgreSQL rejected the cached password (28P01); fetching the secret again', { secretArn, versionId });
    return toLogin(await this.credentials.refresh(versionId));
  }

  rejectionMessage(login: Login, host: string, port: number): string {
    const { secretArn, versionId } = origin(login);
    return messages.dbAuth(host, port, login.user, secretArn, versionId);
  }

  isLoginRejected(sqlState: string | undefined): boolean {
    return sqlState === INVALID_PASSWORD;
  }
}

/** Props of {@link IamLogin}. */
export interface IamLoginProps {
  /** The PostgreSQL role to log in as (`DB_USER`), a member of `rds_iam`. */
  readonly user: string;
  /** Makes a new IAM database authentication token for `user` on each call ({@link createIamAuthTokenSigner}). */
  readonly signToken: () => Promise<string>;
}

/**
 * Logs in with IAM database authentication (`DB_AUTH=iam`): as `user`, with a token pg asks
 * `signToken` for once per new session, so no session opens with an expired token and an open
 * session needs none. A rejection is final: a new token signed by the same role would be refused
 * for the same reason (a missing grant), so there is no retry.
 */
export class IamLogin implements LoginSource {
  private readonly login: Login;

  constructor(props: IamLoginProps) {
    this.login = { user: props.user, password: props.signToken, origin: { auth: 'iam', user: props.user } };
  }

  async prepare(): Promise<Login> {
    return this.login;
  }

  current(): Login {
    return this.login;
  }

  async afterRejection(): Promise<undefined> {
    return undefined;
  }

  rejectionMessage(login: Login, host: string, port: number, sqlState: string, detail: string): string {
    return messages.dbIamAuth(host, port, login.user, sqlState, detail);
  }

  /**
   * 28P01 when the role is not in `rds_iam` (PostgreSQL then checks the token as a password), 28000
   * when it is and IAM refused the token (PAM).
   */
  isLoginRejected(sqlState: string | undefined): boolean {
    return sqlState === INVALID_PASSWORD || sqlState === INVALID_AUTHORIZATION;
  }
}

/** What {@link createLoginSource} may be given instead of its defaults; tests only. */
export interface LoginSourceDeps {
  /**
   * The Secrets Manager client (`master-secret`).
   * @default - an SDK client created on the first fetch with the configured timeouts
   */
  readonly secretsManager?: SecretsManagerLike;
  /**
   * Makes the token signer (`iam`).
   * @default createIamAuthTokenSigner
   */
  readonly createTokenSigner?: (props: IamAuthTokenProps) => () => Promise<string>;
}

/**
 * The login source `config.auth` asks for: a {@link SecretLogin} over a new {@link SecretCache} of
 * the RDS-managed secret, or an {@link IamLogin} whose tokens are signed for `DB_HOST`, `DB_PORT`,
 * `DB_USER` and `AWS_REGION` with the function role's credentials (the SDK's default chain).
 * Creates cheap objects only: the first fetch or signature happens at the first connect.
 */
export function createLoginSource(config: HandlerConfig, log: Logger, deps: LoginSourceDeps = {}): SecretLogin | IamLogin {
  const { auth } = config;
  if (auth.mode === 'master-secret') return createSecretLogin(auth, config, log, deps);
  const createTokenSigner = deps.createTokenSigner ?? createIamAuthTokenSigner;
  const signToken = createTokenSigner({ hostname: config.dbHost, port: config.dbPort, username: auth.user, region: auth.region });
  return new IamLogin({ user: auth.user, signToken });
}

/**
 * A {@link SecretLogin} over a new {@link SecretCache} of `auth.secretArn`, with the TTL and the
 * Secrets Manager timeouts of `config`; the client is created at the first fetch.
 */
export function createSecretLogin(auth: MasterSecretAuth, config: HandlerConfig, log: Logger, deps: Pick<LoginSourceDeps, 'secretsManager'> = {}): SecretLogin {
  const cache = new SecretCache({
    secretArn: auth.secretArn,
    ttlSeconds: config.secretCacheTtlSeconds,
    fetchBudgetMillis: secretFetchBudgetMillis(config),
    client: () =>
      deps.secretsManager ??
      createSecretsManagerClient({
        connectTimeoutMillis: config.secretsManagerConnectTimeoutMillis,
        requestTimeoutMillis: config.secretsManagerRequestTimeoutMillis,
      }),
    log,
  });
  return new SecretLogin(cache, log);
}

/** The longest one secret fetch may take, SDK retries included, in milliseconds: connect plus request timeout. */
export function secretFetchBudgetMillis(config: HandlerConfig): number {
  return config.secretsManagerConnectTimeoutMillis + config.secretsManagerRequestTimeoutMillis;
}

function toLogin(credentials: DbCredentials): Login {
  return {
    user: credentials.username,
    password: credentials.password,
    origin: { auth: 'master-secret', secretArn: credentials.secretArn, versionId: credentials.versionId },
  };
}

function origin(login: Login): { secretArn: string; versionId: string } {
  if (login.origin.auth !== 'master-secret') throw new Error(`SecretLogin was given a login of ${login.origin.auth}`);
  return login.origin;
}
