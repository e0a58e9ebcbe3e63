import type { ClientBase, QueryResult, QueryResultRow } from 'pg';
import { BadRequestError, echo, errorCode, isServerError, messages } from './errors';
import type { SessionLogin } from './db';
import type { DatabaseAuthMode } from './environment';

/**
 * Longest identifier PostgreSQL keeps, in bytes (NAMEDATALEN - 1): it cuts a longer name to this
 * many bytes of the database encoding (UTF-8 here), so a longer value would match another name.
 * Source: https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
export const MAX_IDENTIFIER_BYTES = 63;

/** One string parameter of an action: its name, default and length limits. */
export interface StringParameter<N extends string = string> {
  /** The event's field that carries it. */
  readonly name: N;
  /** The value when the event has none. */
  readonly defaultValue: string;
  /** Longest accepted value, in bytes of UTF-8 (not characters: PostgreSQL limits identifiers in bytes). */
  readonly maxBytes: number;
  /** What is accepted, for messages and the docs. */
  readonly expected: string;
}

/** A parameter naming a PostgreSQL object: 1 to {@link MAX_IDENTIFIER_BYTES} bytes of UTF-8. */
export function identifierParameter<const N extends string>(name: N, defaultValue: string): StringParameter<N> {
  return { name, defaultValue, maxBytes: MAX_IDENTIFIER_BYTES, expected: `a string of 1 to ${MAX_IDENTIFIER_BYTES} bytes in UTF-8` };
}

/** The validated values of `P`, by parameter name. */
export type ParameterValues<P extends readonly StringParameter[]> = { readonly [K in P[number]['name']]: string };

/** What an action's {@link ActionSpec.run} receives. */
export interface ActionContext<P extends readonly StringParameter[]> {
  /** The caller's values, validated. */
  readonly params: ParameterValues<P>;
  /** How the session logged in: the secret's ARN and version, or the IAM role; never a password or token. */
  readonly login: SessionLogin;
  /** The most bytes the result's JSON may take (UTF-8): the response's bound less its envelope. */
  readonly maxResultBytes: number;
  /**
   * Runs the action's {@link ActionSpec.sql}: the caller's values are `$1`... in the order of
   * {@link ActionSpec.parameters}, and `ownValues` (the action's own, such as a row limit) follow.
   * @throws BadRequestError when the driver cannot send a caller's value unchanged or PostgreSQL rejects it
   */
  query<R extends QueryResultRow>(ownValues?: readonly unknown[]): Promise<QueryResult<R>>;
}

/**
 * One action: everything the parser, the handler, the docs and the tests know about it. The
 * handler runs {@link sql} through {@link run} in one transaction of its own, `READ ONLY` when
 * {@link readOnly}, so PostgreSQL refuses a write (SQLSTATE 25006) that the flag denies.
 */
export interface ActionSpec<P extends readonly StringParameter[] = readonly StringParameter[], R = unknown> {
  /** What it does and what it returns, for the docs (Markdown). */
  readonly summary: string;
  /** Its parameters besides `action`, in the order of their `$n` in {@link sql}; each is checked, and echoed only bounded. */
  readonly parameters: P;
  /** It only reads, so retrying it on a new session after a lost session or a read timeout is safe. */
  readonly readOnly: boolean;
  /** Its one SQL statement, with the parameters as `$1`... ({@link ActionContext.query}). */
  readonly sql: string;
  /** Runs {@link sql} once through `context.query` and shapes the rows into the result. */
  run(context: ActionContext<P>): Promise<R>;
}

/** Declares an action, keeping the names of its parameters in the types of {@link ActionSpec.run}. */
function defineAction<const P extends readonly StringParameter[], R>(spec: ActionSpec<P, R>): ActionSpec<P, R> {
  return spec;
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
  /** How the session logged in (`DB_AUTH`): `master-secret` or `iam`. */
  readonly auth: DatabaseAuthMode;
  /**
   * With `master-secret`, the secret the session's password came from: ARN and version, never its
   * value. Absent with `iam`: no secret is read, and the role the token was signed for is `currentUser`.
   */
  readonly secret?: { readonly arn: string; readonly versionId: string };
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

/**
 * Every action the Lambda accepts, by name, in the order messages and the docs list them: the one
 * place an action is declared (docs/lambda.md, "Adding an action"). The parser ({@link parseRequest}),
 * the handler ({@link runAction}), the actions section of docs/lambda.md (`npm run docs`) and the
 * tests of caller errors all read this table.
 */
export const ACTION_SPECS = {
  health: defineAction({
    summary:
      "The server's version and time, `current_user`, the database, the session's backend pid, whether it uses TLS " +
      "and which version (`pg_stat_ssl`), and how the session logged in: `auth` (`master-secret` or `iam`) and, with " +
      '`master-secret`, the secret\'s ARN and version id (`secret`), never the password; with `iam` no secret is read ' +
      'and the role the token was signed for is `currentUser`.',
    parameters: [],
    readOnly: true,
    sql: `SELECT version() AS server_version, now() AS server_time,
  current_user AS "current_user", current_database() AS database, pg_backend_pid() AS backend_pid,
  coalesce(s.ssl, false) AS ssl, s.version AS tls_version
FROM (SELECT 1) AS one LEFT JOIN pg_stat_ssl AS s ON s.pid = pg_backend_pid()`,
    run: health,
  }),
  tables: defineAction({
    summary:
      'The tables and views of `schema` that the role may see, by name: `{"schema", "tableCount", "truncated", ' +
      '"tables": [{"name", "type"}]}`, as many as fit the response\'s bound (`truncated` then says so). The schema ' +
      'is a query parameter, never part of the SQL.',
    parameters: [identifierParameter('schema', 'public')],
    readOnly: true,
    // The window counts every row of the schema before LIMIT cuts them.
    sql: `SELECT table_name AS name, table_type AS type, count(*) OVER () AS total
FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name LIMIT $2`,
    run: tables,
  }),
};

/** An accepted action name. */
export type ActionName = keyof typeof ACTION_SPECS;

/** The accepted action names, in the order error messages list them. */
export const ACTIONS = Object.keys(ACTION_SPECS) as readonly ActionName[];

/** The action of an event that names none. */
export const DEFAULT_ACTION = 'health' satisfies ActionName;

/** A request for action `A`, after validation: its name and its parameters' values. */
export type RequestFor<A extends ActionName> = { readonly action: A } & ParameterValues<(typeof ACTION_SPECS)[A]['parameters']>;

/** The requests the Lambda accepts, after validation. */
export type ActionRequest = { [A in ActionName]: RequestFor<A> }[ActionName];

/** True when `name` is an action of {@link ACTION_SPECS} (its own key: never `toString` or `__proto__`). */
function isActionName(name: string): name is ActionName {
  return Object.hasOwn(ACTION_SPECS, name);
}

/**
 * Validates an invocation event. No event or no action means {@link DEFAULT_ACTION}. Fields other than
 * `action` and the action's parameters are ignored (the Lambda console's sample events carry
 * `key1`...).
 * @throws BadRequestError naming what is wrong and what is accepted; the caller's value appears
 *   in the message only through {@link echo}, bounded.
 */
export function parseRequest(event: unknown): ActionRequest {
  if (event !== undefined && event !== null && (typeof event !== 'object' || Array.isArray(event))) {
    throw new BadRequestError(messages.notAnObject(echo(event)));
  }
  const fields = (event ?? {}) as Record<string, unknown>;
  const action = fields.action ?? DEFAULT_ACTION;
  if (typeof action !== 'string') {
    throw new BadRequestError(messages.badParam('<none>', 'action', `one of ${ACTIONS.join(', ')}`, echo(action)));
  }
  if (!isActionName(action)) throw new BadRequestError(messages.unknownAction(echo(action), ACTIONS));
  const request: Record<string, string> = { action };
  for (const parameter of ACTION_SPECS[action].parameters) request[parameter.name] = stringParameter(fields, action, parameter);
  return request as ActionRequest;
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

/**
 * Runs `request`'s action on `client` in a transaction of its own (`READ ONLY` when the action is
 * declared read-only) and returns its result. Rolls back when the action fails.
 *
 * @param maxResultBytes the most bytes the result's JSON may take (UTF-8)
 * @throws BadRequestError when a caller's value cannot be sent unchanged or PostgreSQL rejects it
 */
export function runAction(client: ClientBase, login: SessionLogin, request: ActionRequest, maxResultBytes: number): Promise<unknown> {
  // The table's entries, seen through their common shape; parseRequest made `request` match its action's parameters.
  const spec: ActionSpec = ACTION_SPECS[request.action];
  const params = request as unknown as Readonly<Record<string, string>>;
  const callerValues = spec.parameters.map(({ name }) => ({ name, value: params[name] }));
  return transaction(client, spec.readOnly ? 'BEGIN READ ONLY' : 'BEGIN', () =>
    spec.run({
      params,
      login,
      maxResultBytes,
      query: (ownValues = []) => queryWithCallerValues(client, request.action, spec.sql, callerValues, ownValues),
    }),
  );
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
 * such as a row limit) follow the caller's as further parameters. With no values at all, pg sends
 * `sql` as a simple query.
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

/** `health`: reports the server, the session's user and TLS state, and how the session logged in. */
async function health({ query, login }: ActionContext<readonly []>): Promise<HealthResult> {
  const { rows } = await query();
  const row = rows[0];
  return {
    serverVersion: row.server_version,
    serverTime: new Date(row.server_time).toISOString(),
    currentUser: row.current_user,
    database: row.database,
    backendPid: row.backend_pid,
    tls: row.ssl,
    tlsVersion: row.tls_version,
    auth: login.auth,
    ...(login.auth === 'master-secret' ? { secret: { arn: login.secretArn, versionId: login.versionId } } : {}),
  };
}

/** The fewest bytes a row takes in the JSON of a result: a one-character name and the shortest type. */
const MIN_ROW_JSON_BYTES = Buffer.byteLength(JSON.stringify({ name: 'x', type: 'VIEW' } satisfies TableRow));

/**
 * `tables`: lists the tables and views of `schema` visible to the Lambda's role, by name, as many
 * as keep the result's JSON within `maxResultBytes` (bytes of UTF-8); `tableCount` and `truncated`
 * say whether that was all of them. PostgreSQL sends no more rows than could fit.
 */
async function tables({ query, params, maxResultBytes }: ActionContext<readonly [StringParameter<'schema'>]>): Promise<TablesResult> {
  const { schema } = params;
  const rowLimit = Math.max(1, Math.floor(maxResultBytes / MIN_ROW_JSON_BYTES) + 1);
  const { rows } = await query<{ name: string; type: string; total: string }>([rowLimit]);
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
export function readOnly<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  return transaction(client, 'BEGIN READ ONLY', work);
}

/** Runs `work` between `begin` and `COMMIT`; rolls back when `work` fails. */
async function transaction<T>(client: ClientBase, begin: 'BEGIN' | 'BEGIN READ ONLY', work: () => Promise<T>): Promise<T> {
  await client.query(begin);
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
