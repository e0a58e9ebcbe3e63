/**
 * Structured logs: one JSON object per line on stdout, which Lambda ships to CloudWatch Logs.
 *
 * Callers pass only names, ids, codes and durations. As a second line of defence, fields whose
 * key names a credential are replaced, so a mistake cannot put a password in the logs, and every
 * line stays under {@link MAX_LOG_LINE_BYTES}, so a caller's oversized value cannot make one huge
 * (CloudWatch Logs cuts events at 256 KiB:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
 */

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Extra fields of a log line: flat values only. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null>>;

/** Receives each finished line (without the newline). */
export type LogSink = (line: string) => void;

/** Writes log lines at a level. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Keys whose values are never written, whatever a caller passes. */
const REDACTED_KEY = /pass(word)?|secret(string|binary)?$|connection_?string|credential|token/i;

/** The longest log line written, in bytes of UTF-8, newline excluded. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

/** The most characters of one string field a line keeps; longer values are cut, saying by how much. */
export const MAX_LOG_FIELD_CHARS = 1024;

/** What a field is cut to when a line with {@link MAX_LOG_FIELD_CHARS} still exceeds the limit. */
const SHORT_FIELD_CHARS = 128;

/** Writes to stdout directly: `console.log` in Lambda's text format would prefix every line. */
export const stdoutSink: LogSink = (line) => {
  process.stdout.write(line + '\n');
};

/** Creates a logger writing JSON lines to `sink`; lines below `minLevel` are dropped. */
export function createLogger(sink: LogSink = stdoutSink, minLevel: LogLevel = 'info'): Logger {
  const threshold = LEVEL_ORDER[minLevel];
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (LEVEL_ORDER[level] < threshold) return;
    const line: Record<string, unknown> = { level, message, time: new Date().toISOString() };
    if (fields) copyFields(line, fields);
    sink(serialize(line));
  };
  return {
    log,
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/** Milliseconds since `startedMillis` (a `performance.now()` reading), to the microsecond: a line's `durationMs`. */
export function elapsedMillis(startedMillis: number): number {
  return Math.round((performance.now() - startedMillis) * 1000) / 1000;
}

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The line as JSON, within {@link MAX_LOG_LINE_BYTES}: string fields cut to
 * {@link MAX_LOG_FIELD_CHARS}, then to {@link SHORT_FIELD_CHARS} if the line is still too long
 * (JSON escapes a control character as six bytes), then only level, message and time.
 */
function serialize(line: Record<string, unknown>): string {
  if (!hasStringLongerThan(line, MAX_LOG_FIELD_CHARS)) {
    // The usual line: nothing to cut, so no replacer, and a line short enough that even at three
    // bytes of UTF-8 per UTF-16 code unit it fits needs no byte count.
    const text = JSON.stringify(line);
    if (text.length * 3 <= MAX_LOG_LINE_BYTES || Buffer.byteLength(text) <= MAX_LOG_LINE_BYTES) return text;
  }
  for (const maxChars of [MAX_LOG_FIELD_CHARS, SHORT_FIELD_CHARS]) {
    const text = JSON.stringify(line, (_key, value: unknown) => (typeof value === 'string' ? cut(value, maxChars) : value));
    if (Buffer.byteLength(text) <= MAX_LOG_LINE_BYTES) return text;
  }
  return JSON.stringify({ level: line.level, message: cut(String(line.message), SHORT_FIELD_CHARS), time: line.time, truncated: true });
}

function hasStringLongerThan(line: Record<string, unknown>, maxChars: number): boolean {
  for (const key in line) {
    const value = line[key];
    if (typeof value === 'string' && value.length > maxChars) return true;
  }
  return false;
}

function cut(value: string, maxChars: number): string {
  return value.length <= maxChars ? value : `${value.slice(0, maxChars)}…[${value.length - maxChars} more characters]`;
}

function copyFields(target: Record<string, unknown>, fields: LogFields): void {
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    target[key] = REDACTED_KEY.test(key) && key !== 'secretArn' ? '[redacted]' : value;
  }
}
