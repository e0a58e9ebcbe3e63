import { dev, prod } from '../support/environments';
import { parseWindowDuration } from '../../config/rotation';
import type { SecretRotationConfig } from '../../config/types';
import { withField } from '../support/synth';
import { problemsOf } from '../support/config';

/** `dev` with `database.secretRotation` replaced. */
function withRotation(rotation: unknown): unknown {
  return withField(dev, 'database.secretRotation', rotation);
}


const FIELD = 'database.secretRotation';

describe('database.secretRotation', () => {
  it("ships the seed's 7 days in dev and a weekly off-peak cron window in prod, neither rotating on deploy", () => {
    expect(dev.database.secretRotation).toEqual({ automaticallyAfterDays: 7, rotateImmediately: false });
    expect(prod.database.secretRotation).toEqual({ scheduleExpression: 'cron(0 18 ? * SAT *)', windowDuration: '3h', rotateImmediately: false });
    expect(problemsOf(dev)).toEqual([]);
    expect(problemsOf(prod)).toEqual([]);
  });

  it.each<[string, SecretRotationConfig]>([
    ['1 day', { automaticallyAfterDays: 1, rotateImmediately: true }],
    ['1000 days', { automaticallyAfterDays: 1000, rotateImmediately: false }],
    ['every 4 hours with a 4-hour window', { scheduleExpression: 'rate(4 hours)', windowDuration: '4h', rotateImmediately: false }],
    ['every day', { scheduleExpression: 'rate(1 day)', rotateImmediately: false }],
    ['every 999 days with a 24-hour window', { scheduleExpression: 'rate(999 days)', windowDuration: '24h', rotateImmediately: false }],
    ['twice a day, 4:00 and 16:00, 8-hour windows', { scheduleExpression: 'cron(0 4/12 * * ? *)', windowDuration: '8h', rotateImmediately: false }],
    ['the first Sunday of the month', { scheduleExpression: 'cron(0 0 ? * SUN#1 *)', rotateImmediately: false }],
    ['the last day of the month at 16:00 for the rest of the day', { scheduleExpression: 'cron(0 16 L * ? *)', windowDuration: '8h', rotateImmediately: false }],
    ['the 1st and 15th at 16:00', { scheduleExpression: 'cron(0 16 1,15 * ? *)', windowDuration: '2h', rotateImmediately: false }],
    ['weekdays in some months', { scheduleExpression: 'cron(0 2 ? JAN,APR,JUL,OCT MON-FRI *)', rotateImmediately: false }],
  ])('accepts %s', (_name, rotation) => {
    expect(problemsOf(withRotation(rotation))).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['neither schedule', { rotateImmediately: false }, `${FIELD}: received {"rotateImmediately":false}; allowed: exactly one of automaticallyAfterDays`],
    [
      'both schedules',
      { automaticallyAfterDays: 7, scheduleExpression: 'rate(7 days)', rotateImmediately: false },
      `${FIELD}: received {"automaticallyAfterDays":7,"scheduleExpression":"rate(7 days)","rotateImmediately":false}; allowed: exactly one of automaticallyAfterDays`,
    ],
    ['0 days', { automaticallyAfterDays: 0, rotateImmediately: false }, `${FIELD}.automaticallyAfterDays: received 0; allowed: an integer from 1 to 1000`],
    ['1001 days', { automaticallyAfterDays: 1001, rotateImmediately: false }, `${FIELD}.automaticallyAfterDays: received 1001; allowed: an integer from 1 to 1000`],
    ['a fraction of a day', { automaticallyAfterDays: 1.5, rotateImmediately: false }, `${FIELD}.automaticallyAfterDays: received 1.5; allowed: an integer from 1 to 1000`],
    ['a window with automaticallyAfterDays', { automaticallyAfterDays: 7, windowDuration: '3h', rotateImmediately: false }, `${FIELD}.windowDuration: received "3h"; allowed: nothing with automaticallyAfterDays`],
    ['no rotateImmediately', { automaticallyAfterDays: 7 }, `${FIELD}.rotateImmediately: received nothing (the field is missing)`],
    ['an unknown field', { automaticallyAfterDays: 7, rotateImmediately: false, enabled: false }, `${FIELD}: unknown field(s) "enabled"`],
    ['a rate under 4 hours', { scheduleExpression: 'rate(3 hours)', rotateImmediately: false }, `${FIELD}.scheduleExpression: received "rate(3 hours)"; allowed: a rate from 4 hours to 999 days`],
    ['a rate over 999 days', { scheduleExpression: 'rate(1000 days)', rotateImmediately: false }, `${FIELD}.scheduleExpression: received "rate(1000 days)"; allowed: a rate from 4 hours to 999 days`],
    ['a rate in minutes', { scheduleExpression: 'rate(300 minutes)', rotateImmediately: false }, `${FIELD}.scheduleExpression: received "rate(300 minutes)"; allowed: a rate(Value Unit) or cron(`],
    ['a cron with minutes', { scheduleExpression: 'cron(30 18 ? * SAT *)', rotateImmediately: false }, 'whose Minutes field (here "30") is must be 0'],
    ['a cron with a year', { scheduleExpression: 'cron(0 18 ? * SAT 2030)', rotateImmediately: false }, 'whose Year field (here "2030") is must be *'],
    ['a cron with five fields', { scheduleExpression: 'cron(0 18 ? * SAT)', rotateImmediately: false }, 'allowed: a rate(Value Unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year) expression'],
    ['a cron hour of 24', { scheduleExpression: 'cron(0 24 ? * SAT *)', rotateImmediately: false }, 'whose Hours field (here "24") is 0 to 23'],
    ['a cron with W in the day of month', { scheduleExpression: 'cron(0 3 15W * ? *)', rotateImmediately: false }, 'whose Day-of-month field (here "15W") is 1 to 31 with , - * ? / L'],
    ['a cron day of week 8', { scheduleExpression: 'cron(0 3 ? * 8 *)', rotateImmediately: false }, 'whose Day-of-week field (here "8") is 1 to 7 or SUN to SAT'],
    ['a cron value out of bounds', { scheduleExpression: 'cron(0 3 1-40 * ? *)', rotateImmediately: false }, 'whose Day-of-month field (here "1-40") is 1 to 31'],
    ['a cron step out of bounds', { scheduleExpression: 'cron(0 0/30 * * ? *)', rotateImmediately: false }, 'allowed: a cron() expression with values in range (Invalid: number 30 is not between 1 and 23)'],
    ['cron hours that name no hour', { scheduleExpression: 'cron(0 20-4 * * ? *)', rotateImmediately: false }, 'allowed: a cron() expression whose Hours field (here "20-4") names at least one hour'],
    ['cron hours 2 apart', { scheduleExpression: 'cron(0 0/2 * * ? *)', rotateImmediately: false }, 'allowed: a cron() expression whose hours are at least 4 apart'],
    ['a window in minutes', { scheduleExpression: 'rate(7 days)', windowDuration: '90m', rotateImmediately: false }, `${FIELD}.windowDuration: received "90m"; allowed: whole hours from 1h to 24h`],
    ['a window of 0 hours', { scheduleExpression: 'rate(7 days)', windowDuration: '0h', rotateImmediately: false }, `${FIELD}.windowDuration: received "0h"; allowed: whole hours from 1h to 24h`],
    ['a window of 25 hours', { scheduleExpression: 'rate(7 days)', windowDuration: '25h', rotateImmediately: false }, `${FIELD}.windowDuration: received "25h"; allowed: whole hours from 1h to 24h`],
    [
      'a window into the next UTC day',
      { scheduleExpression: 'cron(0 22 ? * SAT *)', windowDuration: '3h', rotateImmediately: false },
      `${FIELD}.windowDuration: received "3h"; allowed: at most 2h: the window opening at 22:00 UTC must close by the end of that UTC day`,
    ],
    [
      'a window into the next rotation window (rate)',
      { scheduleExpression: 'rate(6 hours)', windowDuration: '7h', rotateImmediately: false },
      `${FIELD}.windowDuration: received "7h"; allowed: at most 6h: a window must close before the next one opens, 6 hours later`,
    ],
    [
      'a window into the next rotation window (cron)',
      { scheduleExpression: 'cron(0 0,4 * * ? *)', windowDuration: '5h', rotateImmediately: false },
      `${FIELD}.windowDuration: received "5h"; allowed: at most 4h: a window must close before the next one opens, 4 hours later`,
    ],
  ])('rejects %s, naming the field, the value and what AWS allows', (_name, rotation, message) => {
    const problems = problemsOf(withRotation(rotation));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('reads window durations in whole hours only', () => {
    expect(['1h', '3h', '24h'].map(parseWindowDuration)).toEqual([1, 3, 24]);
    expect(['h', '3', '3H', ' 3h', '1.5h', '100h'].map(parseWindowDuration)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
