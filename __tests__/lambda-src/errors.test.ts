import { MAX_ECHO_CHARS, MAX_ERROR_TEXT_CHARS, boundedText, describeError, echo } from '../../lambda-src/errors';

describe('echo', () => {
  it('repeats a short string whole, as JSON', () => {
    expect(echo('drop')).toBe('the string "drop"');
    expect(echo('')).toBe('the string ""');
  });

  it('repeats at most 40 characters of a long string, with its length', () => {
    expect(echo('y'.repeat(1024 * 1024))).toBe(`the string "${'y'.repeat(MAX_ECHO_CHARS)}…" (1048576 characters)`);
  });

  it('escapes control characters and never splits a surrogate pair', () => {
    expect(echo('a\u0000\u001b[2J')).toBe('the string "a\\u0000\\u001b[2J"');
    const emoji = '😀'.repeat(50);
    expect(echo(emoji)).toBe(`the string "${'😀'.repeat(MAX_ECHO_CHARS)}…" (100 characters)`);
  });

  it('describes anything but a string by its type alone', () => {
    expect([undefined, null, 42, true, [1], { a: 'y'.repeat(1000) }].map(echo)).toEqual([
      'nothing',
      'null',
      'a number',
      'a boolean',
      'an array',
      'an object',
    ]);
  });
});

describe('boundedText and describeError', () => {
  it('cut text from other layers to 200 characters', () => {
    expect(boundedText('short')).toBe('short');
    expect(boundedText('x'.repeat(1000))).toHaveLength(MAX_ERROR_TEXT_CHARS);
    const quoted = Object.assign(new Error(`invalid input syntax for type integer: "${'y'.repeat(10_000)}"`), { code: '22P02' });
    expect(describeError(quoted).length).toBeLessThan(MAX_ERROR_TEXT_CHARS + 20);
    expect(describeError(quoted)).toMatch(/^Error 22P02: invalid input syntax/);
  });
});
