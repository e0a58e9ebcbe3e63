/**
 * The names of the environment variables the Lambda reads: the contract between the stack that
 * sets them (stacks/constructs/backend-function.ts) and the handler that reads them
 * (lambda-src/config.ts). Both import these names from here; nothing else may spell them.
 */
export const LAMBDA_ENV = {
  /** ARN of the RDS-managed secret. */
  secretArn: 'DB_SECRET_ARN',
  /** PostgreSQL host name, also the TLS server name. */
  dbHost: 'DB_HOST',
  /** PostgreSQL port. */
  dbPort: 'DB_PORT',
  /** Database name. */
  dbName: 'DB_NAME',
  /** TCP connect timeout to Secrets Manager, in milliseconds. */
  secretsManagerConnectTimeoutMillis: 'SECRETS_MANAGER_CONNECT_TIMEOUT_MS',
  /** One Secrets Manager request, in milliseconds. */
  secretsManagerRequestTimeoutMillis: 'SECRETS_MANAGER_REQUEST_TIMEOUT_MS',
  /** Opening a PostgreSQL session, in milliseconds. */
  dbConnectTimeoutMillis: 'DB_CONNECT_TIMEOUT_MS',
  /** One query, in milliseconds. */
  dbQueryTimeoutMillis: 'DB_QUERY_TIMEOUT_MS',
  /**
   * Most PostgreSQL sessions the handler holds at once: its pool's size. Standard Lambda runs one
   * invocation at a time per container, so it opens only one.
   */
  dbPoolMaxSessions: 'DB_POOL_MAX_SESSIONS',
  /** How long fetched credentials are reused, in seconds. */
  secretCacheTtlSeconds: 'SECRET_CACHE_TTL_SECONDS',
  /**
   * How the function logs in to PostgreSQL: one of {@link DATABASE_AUTH_MODES}.
   * @default 'master-secret'
   */
  dbAuth: 'DB_AUTH',
  /** The PostgreSQL role to log in as with `DB_AUTH=iam`; unused with `master-secret` (the secret names the user). */
  dbUser: 'DB_USER',
  /**
   * The actions this function accepts, comma-separated names of `ACTION_SPECS` (lambda-src/actions.ts); any other is
   * refused with 400 before a session opens.
   * @default - every action
   */
  dbActions: 'DB_ACTIONS',
  /** Node.js's extra trust store: the runtime's RDS CA bundle. */
  nodeExtraCaCerts: 'NODE_EXTRA_CA_CERTS',
} as const;

/**
 * How a function logs in to PostgreSQL:
 * - `master-secret`: as the RDS master user, with the RDS-managed secret read through the Secrets
 *   Manager endpoint (the seed's flow);
 * - `iam`: as its own database role (`DB_USER`), with an IAM database authentication token signed
 *   for each new session; the role needs `rds-db:connect` on
 *   `arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<role>`, and the role must be
 *   a member of `rds_iam` (lambda-src/migrations/).
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html
 */
export const DATABASE_AUTH_MODES = ['master-secret', 'iam'] as const;

/** One of {@link DATABASE_AUTH_MODES}. */
export type DatabaseAuthMode = (typeof DATABASE_AUTH_MODES)[number];

