/**
 * Every use of cdktf's internals, the modules under `cdktf/lib/` that its package index does not
 * export, in one module. cdktf is archived (2025-12-10); a move to its continuation, CDK Terrain
 * (docs/cdk-terrain.md), renames the package, and these paths are the part of the API most likely
 * to change on the way, so they are kept here where one file shows and fixes them all.
 */
import type { IConstruct } from 'constructs';
// The jest adapter's type declarations add cdktf's matchers (toHaveResourceWithProperties, ...) to
// jest's `expect`; importing them here puts them in every file of the program.
import type {} from 'cdktf/lib/testing/adapters/jest';

/**
 * Runs the aspects of `scope` and of everything below it, as `app.synth()` does before it
 * validates and writes a stack, without writing anything: `npm run policy` evaluates the resources
 * that synth would write. cdktf's `StackSynthesizer.synthesize` calls the same function.
 */
export function invokeAspects(scope: IConstruct): void {
  (require('cdktf/lib/synthesize/synthesizer') as { invokeAspects(scope: IConstruct): void }).invokeAspects(scope);
}

/**
 * Registers cdktf's jest matchers, what `Testing.setupJest()` does, from the adapter module alone:
 * `require('cdktf')` would load all of cdktf's 379 modules into every test file, also into the
 * third of them that never synthesize.
 */
export function setupJestMatchers(): void {
  (require('cdktf/lib/testing/adapters/jest') as { setupJest(): void }).setupJest();
}
