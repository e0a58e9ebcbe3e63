import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { dev, prod } from '../support/environments';
import { SEED_NAMES, seedNamesTable, type SeedName } from '../../config/names';
import { resourcesOf, synthStack, withField, type TerraformDocument } from '../support/synth';
import { problemsOf } from '../support/config';

/** The values `entry`'s attribute has across the resources of its type in `doc`. */
function valuesOf(doc: TerraformDocument, entry: SeedName): unknown[] {
  return Object.values(resourcesOf(doc, entry.terraform.type)).map((body) =>
    entry.terraform.attribute.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], body),
  );
}


const ROLE_NAME = SEED_NAMES.find((entry) => entry.terraform.type === 'aws_iam_role' && entry.terraform.attribute === 'name')!;

describe("the seed's names", () => {
  const devStack = synthStack(dev);
  const prodStack = synthStack(prod);

  it.each(SEED_NAMES.map((entry) => [`${entry.what} (step ${entry.seedStep})`, entry]))(
    'gives dev the seed\'s %s letter for letter',
    (_what, entry) => {
      expect(valuesOf(devStack.doc, entry)).toContain(entry.seedValue);
    },
  );

  it('spells the role as the seed does in dev: lamda, not lambda', () => {
    expect(valuesOf(devStack.doc, ROLE_NAME)).toEqual(expect.arrayContaining(['workshop-lamda-secretsmng-role']));
    expect(devStack.json).not.toContain('workshop-lambda-secretsmng-role');
  });

  it.each(SEED_NAMES.filter((entry) => entry.seedValue.startsWith('workshop-')).map((entry) => [entry.what, entry]))(
    'keeps prod\'s own prefix for the %s',
    (_what, entry) => {
      const value = entry.valueFor(prod);
      expect(value.startsWith('workshop-prod-')).toBe(true);
      expect(valuesOf(prodStack.doc, entry)).toContain(value);
      expect(valuesOf(prodStack.doc, entry)).not.toContain(entry.seedValue);
    },
  );

  it("keeps prod's role spelt lambda, so seedNames never replaces prod's role", () => {
    expect(ROLE_NAME.valueFor(prod)).toBe('workshop-prod-lambda-secretsmng-role');
  });

  it('rejects seedNames when the configuration cannot give the seed\'s names, listing each name that differs', () => {
    const problems = problemsOf(withField(dev, 'namePrefix', 'lab'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^seedNames: received true; allowed: false, or a configuration that gives the seed's names; here /);
    expect(problems[0]).toContain('IAM role of the Lambda: name would be "lab-lamda-secretsmng-role" where the seed (step 2.5) has "workshop-lamda-secretsmng-role"');
    expect(problems[0]).toContain('VPC: Name tag would be "lab-backend-vpc" where the seed (step 3.2) has "workshop-backend-vpc"');
    expect(problemsOf(withField(withField(dev, 'namePrefix', 'lab'), 'seedNames', false))).toEqual([]);
  });

  it('is the table docs/rotation.md shows', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'rotation.md'), 'utf8');
    expect(doc).toContain(seedNamesTable([dev, prod]));
  });
});
