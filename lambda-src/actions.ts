import type { ClientBase, QueryResult, QueryResultRow } from 'pg';
import { BadRequestError, echo, errorCode, isServerError, messages } from './errors';
import type { SessionSecret } from './db';

/** The requests the Lambda accepts, after validation. */
export type ActionRequest =
  | { readonly action: 'health' }
  | { readonly action: 'tables'; readonly schema: string };

/** The accepted action names, in the order error messages list them. */
export const ACTIONS = ['health', 'tables'] as const;

/** An accepted action name. */
export type ActionName = (typeof ACTIONS)[number];

/**
 * Longest identifier PostgreSQL keeps, in bytes (NAMEDATALEN - 1): it cuts a longer name to this
 * many bytes of the database encoding (UTF-8 here), so a longer value would match another name.
 * Source: https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
export const MAX_IDENTIFIER_BYTES = 63;

/** One string parameter of an action: its name, default and length limits. */
export interface StringParameter {
  readonly name: string;
  /** The value when the event has none. */
  readonly defaultValue: string;
  /** Longest accepted value, in bytes of UTF-8 (not characters: PostgreSQL limits identifiers in bytes). */
  readonly maxBytes: number;
  /** What is accepted, for messages. */
  readonly expected: string;
}

/** What the handler needs to know about an action. */
export interface ActionSpec {
  /** Its parameters besides `action`; every one is checked, and echoed only bounded. */
  readonly parameters: readonly StringParameter[];
  /** It only reads, so retrying it on a new session after a lost session or a read timeout is safe. */
  readonly readOnly: boolean;
}

/** Every action with its parameters: the parser and the tests of caller errors both read this. */
export const ACTION_SPECS: { readonly [A in ActionName]: ActionSpec } = {
  health: { parameters: [], readOnly: true },
  tables: {
    parameters: [
      {
        name: 'schema',
        defaultValue: 'public',
        maxBytes: MAX_IDENTIFIER_BYTES,
        expected: `a string of 1 to ${MAX_IDENTIFIER_BYTES} bytes in UTF-8`,
      },
    ],
    readOnly: true,
  },
};

/**
 * Validates an invocation event. No action means `health`. Fields other than `action` and the
 * action's parameters are ignored (the Lambda console's sample events carry `key1`...).
 * @throws BadRequestError naming what is wrong and what is accepted; the caller's value appears
 *   in the message only through {@link echo}, bounded.
 */
export function parseRequest(event: unknown): ActionRequest {
  if (event === undefined || event === null) return { action: 'health' };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new BadRequestError(messages.notAnObject(echo(event)));
  }
  const fields = event as Record<string, unknown>;
  const action = fields.action ?? 'health';
  if (typeof action !== 'string') {
    throw new BadRequestError(messages.badParam('<none>', 'action', `one of ${ACTIONS.join(', ')}`, echo(action)));
  }
  switch (action) {
    case 'health':
      return { action };
    case 'tables':
      return { action, schema: stringParameter(fields, action, ACTION_SPECS.tables.parameters[0]) };
    default:
      throw new BadRequestError(messages.unknownAction(echo(action), ACTIONS));
  }
}

function stringParameter(fields: Readonly<Record<string, unknown>>, action: ActionName, spec: StringParameter): string {
  const value = fields[spec.name] ?? spec.defaultValue;
  if (typeof value !== 'string' || value.length === 0) {
    throw new BadRequestError(messages.badParam(action, spec.name, spec.expected, echo(value)));
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > spec.maxBytes) {
    throw new BadRequestError(messages.paramTooManyBytes(action, spec.name, bytes, spec.maxBytes, echo(value)));
  }
  return value;
}

/** A caller's value bound to a query parameter, with the name the caller gave it. */
export interface CallerValue {
  readonly name: string;
  readonly value: string;
}

/** SQLSTATE class 22, data exception: PostgreSQL could not take a value as the type it needed. */
const DATA_EXCEPTION_CLASS = '22';

/**
 * Runs `sql` with the caller's `values` as its parameters, and answers any mistake in those
 * values with a {@link BadRequestError} naming them, whichever layer finds it:
 * - at the driver's boundary, a string that is not well-formed Unicode: node-postgres would send a
 *   lone surrogate as U+FFFD, so the query would silently use another value than the caller's;
 * - in PostgreSQL, a data exception (SQLSTATE class 22), such as 22021 for a NUL character, which
 *   text cannot hold (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 * Any other error is not the caller's, and propagates unchanged. `ownValues` (the action's own,
 * such as a row limit) follow the caller's as further parameters.
 */
export async function queryWithCallerValues<R extends QueryResultRow>(
  client: ClientBase,
  action: ActionName,
  sql: string,
  values: readonly CallerValue[],
  ownValues: readonly unknown[] = [],
): Promise<QueryResult<R>> {
  for (const { name, value } of values) {
    if (LONE_SURROGATE.test(value)) throw new BadRequestError(messages.paramNotSendable(action, name, echo(value)));
  }
  try {
    return await client.query<R>(sql, [...values.map((v) => v.value), ...ownValues]);
  } catch (err) {
    const sqlState = errorCode(err);
    if (isServerError(err) && sqlState?.startsWith(DATA_EXCEPTION_CLASS)) {
      throw new BadRequestError(
        messages.paramRejectedByDatabase(
          action,
          values.map((v) => v.name),
          sqlState,
          (err as Error).message,
          values.map((v) => echo(v.value)),
        ),
        { cause: err },
      );
    }
    throw err;
  }
}

/** A UTF-16 surrogate not paired with its other half (with `u`, a pair matches as one astral code point). */
const LONE_SURROGATE = /\p{Cs}/u;

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
  /** `BASE TABLE`, `VIEW`, `FOREIGN` or `LOCAL TEMPORARY` (information_schema's `table_type`). */
  readonly type: string;
}

/** What the `tables` action returns. */
export interface TablesResult {
  readonly schema: string;
  /** How many tables and views the schema has, listed or not. */
  readonly tableCount: number;
  /** True when `tables` lists only the first of them (by name), to keep the response within its bound. */
  readonly truncated: boolean;
  /** The tables and views, by name: all of them, or as many as fit when `truncated`. */
  readonly tables: TableRow[];
}

/** The fewest bytes a row takes in the JSON of a result: a one-character name and the shortest type. */
const MIN_ROW_JSON_BYTES = Buffer.byteLength(JSON.stringify({ name: 'x', type: 'VIEW' } satisfies TableRow));

/**
 * Lists the tables and views of `schema` visible to the Lambda's role, by name, as many as keep
 * the result's JSON within `maxResultBytes` (bytes of UTF-8); `tableCount` and `truncated` say
 * whether that was all of them. PostgreSQL sends no more rows than could fit.
 * @throws BadRequestError when the driver cannot send `schema` unchanged or PostgreSQL rejects it
 */
export async function tables(client: ClientBase, schema: string, maxResultBytes: number): Promise<TablesResult> {
  const rowLimit = Math.max(1, Math.floor(maxResultBytes / MIN_ROW_JSON_BYTES) + 1);
  const { rows } = await readOnly(client, () =>
    queryWithCallerValues<{ name: string; type: string; total: string }>(
      client,
      'tables',
      // The window counts every row of the schema before LIMIT cuts them.
      `SELECT table_name AS name, table_type AS type, count(*) OVER () AS total
       FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name LIMIT $2`,
      [{ name: 'schema', value: schema }],
      [rowLimit],
    ),
  );
  const tableCount = rows.length === 0 ? 0 : Number(rows[0].total);
  // `false` is the longer of the two values, so the result is never larger than counted.
  let bytes = Buffer.byteLength(JSON.stringify({ schema, tableCount, truncated: false, tables: [] } satisfies TablesResult));
  const listed: TableRow[] = [];
  for (const { name, type } of rows) {
    const row: TableRow = { name, type };
    const rowBytes = Buffer.byteLength(JSON.stringify(row)) + (listed.length > 0 ? 1 : 0);
    if (bytes + rowBytes > maxResultBytes) break;
    bytes += rowBytes;
    listed.push(row);
  }
  return { schema, tableCount, truncated: listed.length < tableCount, tables: listed };
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
