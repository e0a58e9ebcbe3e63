import type { ClientBase } from 'pg';
import { BadRequestError, messages } from './errors';
import type { SessionSecret } from './db';

/** The requests the Lambda accepts, after validation. */
export type ActionRequest =
  | { readonly action: 'health' }
  | { readonly action: 'tables'; readonly schema: string };

/** The accepted action names, in the order error messages list them. */
export const ACTIONS = ['health', 'tables'] as const;

/** Longest identifier PostgreSQL keeps (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_LENGTH = 63;

/**
 * Validates an invocation event. No action means `health`.
 * @throws BadRequestError naming what is wrong and what is accepted.
 */
export function parseRequest(event: unknown): ActionRequest {
  if (event === undefined || event === null) return { action: 'health' };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new BadRequestError(messages.notAnObject(describeValue(event)));
  }
  const fields = event as Record<string, unknown>;
  const action = fields.action ?? 'health';
  if (typeof action !== 'string') {
    throw new BadRequestError(messages.badParam('<none>', 'action', `one of ${ACTIONS.join(', ')}`, describeValue(action)));
  }
  switch (action) {
    case 'health':
      return { action };
    case 'tables': {
      const schema = fields.schema ?? 'public';
      if (typeof schema !== 'string' || schema.length === 0 || schema.length > MAX_IDENTIFIER_LENGTH) {
        throw new BadRequestError(
          messages.badParam(action, 'schema', `a string of 1 to ${MAX_IDENTIFIER_LENGTH} characters`, describeValue(schema)),
        );
      }
      return { action, schema };
    }
    default:
      throw new BadRequestError(messages.unknownAction(action, ACTIONS));
  }
}

/** What the `health` action returns. */
export interface HealthResult {
  readonly serverVersion: string;
  readonly serverTime: string;
  readonly currentUser: string;
  readonly database: string;
  readonly backendPid: number;
  readonly tls: boolean;
  /** e.g. `TLSv1.3`; null when the session is not encrypted. */
  readonly tlsVersion: string | null;
  /** The secret the session's credentials came from: ARN and version, never its value. */
  readonly secret: { readonly arn: string; readonly versionId: string };
}

/** The SQL of `health`; exported so the benchmark can time the same query without the handler. */
export const HEALTH_SQL = `SELECT version() AS server_version, now() AS server_time,
  current_user AS "current_user", current_database() AS database, pg_backend_pid() AS backend_pid,
  coalesce(s.ssl, false) AS ssl, s.version AS tls_version
FROM (SELECT 1) AS one LEFT JOIN pg_stat_ssl AS s ON s.pid = pg_backend_pid()`;

/** Reports the server, the session's user and TLS state, and the secret version in use. */
export async function health(client: ClientBase, secret: SessionSecret): Promise<HealthResult> {
  const { rows } = await client.query(HEALTH_SQL);
  const row = rows[0];
  return {
    serverVersion: row.server_version,
    serverTime: new Date(row.server_time).toISOString(),
    currentUser: row.current_user,
    database: row.database,
    backendPid: row.backend_pid,
    tls: row.ssl,
    tlsVersion: row.tls_version,
    secret: { arn: secret.secretArn, versionId: secret.versionId },
  };
}

/** One row of the `tables` action. */
export interface TableRow {
  readonly name: string;
  readonly type: string;
}

/** Lists the tables and views of `schema` visible to the Lambda's role. */
export async function tables(client: ClientBase, schema: string): Promise<{ schema: string; tables: TableRow[] }> {
  const { rows } = await readOnly(client, () =>
    client.query<{ name: string; type: string }>(
      `SELECT table_name AS name, table_type AS type FROM information_schema.tables
       WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    ),
  );
  return { schema, tables: rows };
}

/**
 * Runs `work` in a `READ ONLY` transaction: PostgreSQL then refuses any write (SQLSTATE 25006),
 * whatever SQL `work` sends. Rolls back when `work` fails.
 */
export async function readOnly<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN READ ONLY');
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  await client.query('COMMIT');
  return result;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `a ${typeof value}`;
}
