/**
 * Tests that need something of the machine (the Terraform AWS provider, the AWS API emulator) and
 * what happens when it is missing: under `CI=true` the test file fails, naming what is missing and
 * where it comes from; elsewhere its tests are skipped, with a notice on stderr and the reason in
 * the skipped block's name, so a green local run never hides that they did not run.
 */

/** Whether this run is CI's (`CI=true`, as GitHub Actions and .ci/run set it). */
export const IN_CI = process.env.CI === 'true';

/**
 * `describe(name, body)` when `missing` is undefined. Otherwise, under CI a block whose one test
 * fails with `missing`; elsewhere a skipped block named after `missing`, and a notice on stderr.
 *
 * @param missing undefined when everything the tests need is there, else what is missing and how
 *   to get it, e.g. `the hashicorp/aws provider (no filesystem mirror ... )`
 */
export function describeIfAvailable(name: string, missing: string | undefined, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
  } else if (IN_CI) {
    describe(name, () => {
      it(`fails under CI=true: ${missing}`, () => {
        throw new Error(`Required under CI=true and missing: ${missing}`);
      });
    });
  } else {
    process.stderr.write(`NOTICE: skipping "${name}": missing ${missing} (under CI=true this fails)\n`);
    describe.skip(`${name} (skipped: missing ${missing})`, body);
  }
}
