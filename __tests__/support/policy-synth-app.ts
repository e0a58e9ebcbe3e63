/**
 * The app __tests__/policy/check.test.ts runs in a child process, bundled as `npm run synth` bundles main.ts: the
 * compliant fixture with the policy check, and with unencrypted database storage when the first
 * argument is `violating`, reporting errors as `main.ts` does. The exit code and stderr are what the test asserts.
 */
import { exitCodeOf } from '../../stacks/app';
import { addPolicyChecks } from '../../policy';
import { compliantFixture } from './policy-fixture';
import { removeScratch } from './scratch';

const fixture = compliantFixture();
if (process.argv[2] === 'violating') fixture.db.addOverride('storage_encrypted', false);
addPolicyChecks(fixture.app);
try {
  process.exitCode = exitCodeOf(() => fixture.app.synth());
} finally {
  removeScratch();
}
