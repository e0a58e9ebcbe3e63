import type { Client } from 'pg';
import { ACTIONS, ACTION_SPECS, DEFAULT_ACTION, parseRequest, runAction } from '../../lambda-src/actions';
import { BadRequestError, echo, messages } from '../../lambda-src/errors';
import { startLambdaFixture, type LambdaFixture } from '../../local/lambda-fixture';

let fixture: LambdaFixture;

beforeAll(async () => {
  fixture = await startLambdaFixture();
});

afterAll(async () => {
  await fixture?.stop();
});

/** Each parameter of `action` with its default, as the table declares them. */
function defaultsOf(action: (typeof ACTIONS)[number]): Record<string, string> {
  return Object.fromEntries(ACTION_SPECS[action].parameters.map((p) => [p.name, p.defaultValue]));
}

describe('parseRequest', () => {
  it.each(ACTIONS)('gives %s the default of every parameter the event leaves out', (action) => {
    expect(parseRequest({ action })).toEqual({ action, ...defaultsOf(action) });
  });

  it.each([
    ['no event', undefined],
    ['null', null],
    ['an event without action', { key1: 'value1' }],
  ])('runs the default action for %s', (_name, event) => {
    expect(parseRequest(event)).toEqual({ action: DEFAULT_ACTION, ...defaultsOf(DEFAULT_ACTION) });
  });

  it.each(['toString', '__proto__', 'constructor', 'hasOwnProperty'])('answers %s, a property every object inherits, as an unknown action', (action) => {
    expect(() => parseRequest({ action })).toThrow(new BadRequestError(messages.unknownAction(echo(action), ACTIONS)));
  });
});

describe('runAction', () => {
  /** A session as the fixture's role, recording the text of every query it sends. */
  async function recordingSession(): Promise<{ client: Client; sent: string[] }> {
    const client = await fixture.appClient();
    const sent: string[] = [];
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      sent.push(typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text);
      return query(...args);
    }) as Client['query'];
    return { client, sent };
  }

  it.each(ACTIONS)('runs the SQL the table gives %s, once, in a transaction of its own, READ ONLY when the table says it only reads', async (action) => {
    const { client, sent } = await recordingSession();
    try {
      await runAction(client, { auth: 'master-secret', secretArn: 'arn', versionId: 'v' }, parseRequest({ action }), 1_000_000);

      const spec = ACTION_SPECS[action];
      expect(sent).toEqual([spec.readOnly ? 'BEGIN READ ONLY' : 'BEGIN', spec.sql, 'COMMIT']);
    } finally {
      await client.end();
    }
  });

  it('leaves the session outside any transaction after an action fails, having rolled back', async () => {
    const { client, sent } = await recordingSession();
    try {
      const failure = await runAction(client, { auth: 'master-secret', secretArn: 'arn', versionId: 'v' }, { action: 'tables', schema: 'pub\u0000lic' }, 1_000_000).catch((err: unknown) => err);

      expect(failure).toBeInstanceOf(BadRequestError);
      expect(sent).toEqual(['BEGIN READ ONLY', ACTION_SPECS.tables.sql, 'ROLLBACK']);
      expect(client.getTransactionStatus()).toBe('I');
    } finally {
      await client.end();
    }
  });
});
