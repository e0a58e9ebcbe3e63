import { MAX_LOG_FIELD_CHARS, MAX_LOG_LINE_BYTES, createLogger } from '../../lambda-src/log';

function linesOf(write: (log: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  write(createLogger((line) => lines.push(line)));
  return lines;
}

describe('createLogger', () => {
  it('cuts a 1 MiB field to its first characters and says how many it left out', () => {
    const [line] = linesOf((log) => log.warn('invocation failed', { errorMessage: 'y'.repeat(1024 * 1024), requestId: 'r1' }));

    const parsed = JSON.parse(line);
    expect(parsed.errorMessage).toBe(`${'y'.repeat(MAX_LOG_FIELD_CHARS)}…[${1024 * 1024 - MAX_LOG_FIELD_CHARS} more characters]`);
    expect(parsed).toMatchObject({ level: 'warn', message: 'invocation failed', requestId: 'r1' });
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
  });

  it('keeps the line under 16 KiB even when JSON escaping inflates every field sixfold', () => {
    const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, '\u0000'.repeat(5000)]));

    const [line] = linesOf((log) => log.error('\u0001'.repeat(100_000), fields));

    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(16 * 1024);
    expect(JSON.parse(line)).toMatchObject({ level: 'error' });
  });

  it('keeps the line under 16 KiB when every field is short but JSON escaping inflates them sixfold', () => {
    // Each field fits MAX_LOG_FIELD_CHARS, so only the byte count of the whole line catches it.
    const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, '\u0000'.repeat(MAX_LOG_FIELD_CHARS)]));

    const [line] = linesOf((log) => log.warn('invocation failed', fields));

    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
    expect(JSON.parse(line)).toMatchObject({ level: 'warn', message: 'invocation failed' });
  });

  it('writes short fields unchanged and still redacts credential keys', () => {
    const [line] = linesOf((log) => log.info('database session opened', { versionId: 'v1', password: 'hunter2', durationMs: 1.5 }));

    expect(JSON.parse(line)).toMatchObject({ message: 'database session opened', versionId: 'v1', password: '[redacted]', durationMs: 1.5 });
  });
});
