/**
 * The limits AWS documents for the rotation schedule of a secret, and the checks of
 * `database.secretRotation` against them. The RDS-managed master user secret is rotated by RDS
 * itself ("managed rotation"), so only the schedule, the window and "rotate immediately" are ours
 * to set (seed step 1.4).
 *
 * Sources:
 * - RotationRulesType (AutomaticallyAfterDays 1 to 1000; Duration such as `3h`; ScheduleExpression;
 *   "The window must not extend into the next rotation window or the next UTC day"):
 *   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html
 * - Schedule expressions (rate() units and minimum of four hours, at most 999 days; the cron() field
 *   table; window starts and default lengths):
 *   https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html
 * - Managed rotation (RDS rotates its secrets itself, typically within one minute):
 *   https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_managed.html
 */
import awsCronParser from 'aws-cron-parser';
import { invalidField } from './errors';
import type { SecretRotationConfig } from './types';

/** `AutomaticallyAfterDays`: from 1 to 1000 days (RotationRulesType, "Valid Range"). */
export const AUTOMATICALLY_AFTER_DAYS = { min: 1, max: 1000 } as const;

/** The shortest interval between rotations a schedule may have, in hours ("as often as every four hours"). */
export const MIN_ROTATION_INTERVAL_HOURS = 4;

/** The longest interval a `rate()` expression may have, in days ("The maximum rotation period is 999 days"). */
export const MAX_RATE_DAYS = 999;

/** The rotation window, in whole hours: "as small as one hour", and never into the next UTC day. */
export const WINDOW_HOURS = { min: 1, max: 24 } as const;

/** A window duration as Secrets Manager writes it: whole hours and `h`, e.g. `3h`. */
const DURATION_PATTERN = /^(\d{1,2})h$/;

/** `rate(Value Unit)`: Value a positive integer, Unit `hour`, `hours`, `day` or `days`. */
const RATE_PATTERN = /^rate\((\d+) (hour|hours|day|days)\)$/;

/** `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: six fields separated by single spaces. */
const CRON_PATTERN = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/;

// The values and wildcards of each cron field, from the table in "Schedule expressions".
const MONTH = '(?:[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)';
const DAY_OF_WEEK = '(?:[1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)';
/** A comma-separated list of `*`, values, ranges, each optionally `/step`. */
const list = (value: string) => {
  const item = `(?:\\*|${value}(?:-${value})?)(?:/\\d{1,2})?`;
  return `${item}(?:,${item})*`;
};
const CRON_FIELDS = [
  { name: 'Minutes', allowed: 'must be 0 (rotation windows open on the hour)', pattern: /^0$/ },
  { name: 'Hours', allowed: '0 to 23 with , - * /', pattern: new RegExp(`^${list('(?:1?\\d|2[0-3])')}$`) },
  { name: 'Day-of-month', allowed: '1 to 31 with , - * ? / L', pattern: new RegExp(`^(?:\\?|L|${list('(?:[1-9]|[12]\\d|3[01])')})$`) },
  { name: 'Month', allowed: '1 to 12 or JAN to DEC with , - * /', pattern: new RegExp(`^${list(MONTH)}$`, 'i') },
  { name: 'Day-of-week', allowed: '1 to 7 or SUN to SAT with # , - * ? / L', pattern: new RegExp(`^(?:\\?|L|${DAY_OF_WEEK}L|${DAY_OF_WEEK}#[1-5]|${list(DAY_OF_WEEK)})$`, 'i') },
  { name: 'Year', allowed: 'must be * (schedules more than a year apart are not supported)', pattern: /^\*$/ },
] as const;

/**
 * When the rotation windows of a schedule open, as far as the window checks need it:
 * `startHours` are the UTC hours a window opens on a day it rotates; `intervalHours` is the time
 * between two rotations on the same day, when the schedule rotates more than once a day.
 */
interface WindowStarts {
  readonly startHours: readonly number[];
  readonly intervalHours?: number;
}

const EXAMPLES = 'such as "rate(7 days)", "rate(12 hours)" or "cron(0 18 ? * SAT *)"';

/**
 * The problems of one `secretRotation` value, each naming the field (`<prefix>.<field>`), the
 * value received and what AWS allows; empty when it is valid. Checks exactly one of
 * `automaticallyAfterDays` and `scheduleExpression`, the expression's syntax and intervals, the
 * window duration's format, and that the window fits: within the interval between rotations and
 * within the UTC day it opens on.
 */
export function secretRotationProblems(rotation: SecretRotationConfig, prefix: string): string[] {
  const field = (name: string) => `${prefix}.${name}`;
  const { automaticallyAfterDays, scheduleExpression, windowDuration } = rotation;

  if ((automaticallyAfterDays === undefined) === (scheduleExpression === undefined)) {
    return [
      invalidField(
        prefix,
        rotation,
        `exactly one of automaticallyAfterDays (days between rotations) and scheduleExpression (a rate() or cron() expression); AWS accepts one, not both`,
      ),
    ];
  }

  const problems: string[] = [];
  const windowHours = windowDuration === undefined ? undefined : parseWindowDuration(windowDuration);
  if (windowDuration !== undefined && windowHours === undefined) {
    problems.push(invalidField(field('windowDuration'), windowDuration, `whole hours from ${WINDOW_HOURS.min}h to ${WINDOW_HOURS.max}h, such as "3h"`));
  }

  if (automaticallyAfterDays !== undefined) {
    if (windowDuration !== undefined) {
      problems.push(
        invalidField(
          field('windowDuration'),
          windowDuration,
          'nothing with automaticallyAfterDays: the window starts according to a schedule expression, so set scheduleExpression (e.g. "rate(7 days)") to use a window',
        ),
      );
    }
    return problems;
  }

  const expression = scheduleExpression as string;
  const parsed = parseScheduleExpression(expression);
  if (typeof parsed === 'string') {
    problems.push(invalidField(field('scheduleExpression'), expression, parsed));
    return problems;
  }
  if (windowHours !== undefined) {
    for (const start of parsed.startHours) {
      if (start + windowHours > 24) {
        problems.push(
          invalidField(
            field('windowDuration'),
            windowDuration,
            `at most ${24 - start}h: the window opening at ${pad(start)}:00 UTC must close by the end of that UTC day`,
          ),
        );
        break;
      }
    }
    if (parsed.intervalHours !== undefined && windowHours > parsed.intervalHours) {
      problems.push(
        invalidField(
          field('windowDuration'),
          windowDuration,
          `at most ${parsed.intervalHours}h: a window must close before the next one opens, ${parsed.intervalHours} hours later`,
        ),
      );
    }
  }
  return problems;
}

/** The hours of a window duration such as `3h`, or undefined when it is not 1h to 24h. */
export function parseWindowDuration(duration: string): number | undefined {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) return undefined;
  const hours = Number(match[1]);
  return hours >= WINDOW_HOURS.min && hours <= WINDOW_HOURS.max ? hours : undefined;
}

/**
 * Parses a Secrets Manager schedule expression.
 * @returns when its windows open, or a sentence saying what is allowed instead
 */
function parseScheduleExpression(expression: string): WindowStarts | string {
  const rate = RATE_PATTERN.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const hours = rate[2].startsWith('hour') ? value : value * 24;
    if (hours < MIN_ROTATION_INTERVAL_HOURS || hours > MAX_RATE_DAYS * 24) {
      return `a rate from ${MIN_ROTATION_INTERVAL_HOURS} hours to ${MAX_RATE_DAYS} days ("as often as every four hours"; "the maximum rotation period is 999 days")`;
    }
    // A rate's windows start at midnight UTC; in hours, the next one opens `hours` later.
    return rate[2].startsWith('hour') ? { startHours: [0], intervalHours: hours } : { startHours: [0] };
  }

  const cron = CRON_PATTERN.exec(expression);
  if (!cron) return `a rate(Value Unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year) expression, ${EXAMPLES}`;
  const fields = cron.slice(1);
  for (const [i, spec] of CRON_FIELDS.entries()) {
    if (!spec.pattern.test(fields[i])) return `a cron() expression whose ${spec.name} field (here "${fields[i]}") is ${spec.allowed}`;
  }
  // "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you
  // specify a value or a * in one of the fields, you must use a ? in the other."
  if ((fields[2] === '?') === (fields[4] === '?')) {
    return `a cron() expression with "?" in exactly one of Day-of-month and Day-of-week (here "${fields[2]}" and "${fields[4]}"), ${EXAMPLES}`;
  }
  let hours: number[];
  try {
    // aws-cron-parser expands lists, ranges and steps and checks each value's range; it assumes
    // AWS has checked the syntax, which the field patterns above do.
    hours = awsCronParser.parse(fields.join(' ')).hours.filter((h): h is number => typeof h === 'number');
  } catch (err) {
    return `a cron() expression with values in range (${err instanceof Error ? err.message : String(err)})`;
  }
  const startHours = [...new Set(hours)].sort((a, b) => a - b);
  if (startHours.length === 0) return `a cron() expression whose Hours field (here "${fields[1]}") names at least one hour`;
  const gaps = startHours.slice(1).map((h, i) => h - startHours[i]);
  const intervalHours = gaps.length > 0 ? Math.min(...gaps) : undefined;
  if (intervalHours !== undefined && intervalHours < MIN_ROTATION_INTERVAL_HOURS) {
    return `a cron() expression whose hours are at least ${MIN_ROTATION_INTERVAL_HOURS} apart (here ${startHours.join(',')}): a secret rotates at most every four hours`;
  }
  return { startHours, intervalHours };
}

function pad(hour: number): string {
  return String(hour).padStart(2, '0');
}
