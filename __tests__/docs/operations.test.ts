/**
 * docs/operations.md describes facts that live in code; these tests fail when the code gains one the
 * page does not mention (an alarm, a usage assumption, a policy rule, a pinned action).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { alarmThresholds } from '../../config/derived';
import { prod } from '../support/environments';
import { USAGE_FIELDS } from '../../config/usage';
import { databaseAlarmSpecs, lambdaAlarmSpecs, rotationFailedPattern } from '../../stacks/constructs/alarms';

const ROOT = path.resolve(__dirname, '..', '..');
const page = readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');

describe('docs/operations.md', () => {
  const specs = [...lambdaAlarmSpecs(alarmThresholds(prod.database, prod.functions[0])), ...databaseAlarmSpecs(alarmThresholds(prod.database, prod.functions[0]))];

  it.each(specs.map((s) => [s.id, s]))('describes the %s alarm: its metric, statistic and missing-data treatment', (id, spec) => {
    const row = page.split('\n').find((l) => l.startsWith(`| \`${id}\``));
    expect(row).toContain(`\`${spec.metricName}\`, ${spec.statistic}`);
    expect(row).toContain(`${spec.datapointsToAlarm} of ${spec.evaluationPeriods}`);
    expect(page).toMatch(new RegExp(`${spec.treatMissingData}`));
  });

  it.each([...USAGE_FIELDS])('names the usage assumption %s', (field) => {
    expect(page).toContain(`\`${field}\``);
  });

  it.each(['WB-SNS-TOPIC-CMK', 'WB-SNS-TOPIC-POLICY', 'WB-CLOUDWATCH-ALARM-ACTIONS', 'WB-CLOUDWATCH-MONITORED'])('explains the rule %s', (id) => {
    expect(page).toContain(`\`${id}\``);
  });

  it('shows the event pattern of the rotation rule as alarms.ts builds it', () => {
    const shown = /The rule `<namePrefix>-db-secret-rotation-failed` matches:\n\n```json\n([^`]+)```/.exec(page);
    expect(shown).not.toBeNull();
    expect(JSON.parse(shown![1])).toEqual(rotationFailedPattern("<the RDS-managed secret's ARN>"));
  });

  it('names the major version of every pinned action', () => {
    const dir = path.join(ROOT, '.github', 'workflows');
    const pins = readdirSync(dir).flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/uses: ([\w.-]+\/[\w./-]+)@[0-9a-f]{40} # (v\d+)\./g)]);
    expect(pins.length).toBeGreaterThan(0);
    for (const [, action, major] of pins) expect(page).toContain(`\`${action}\` ${major}`);
  });
});
