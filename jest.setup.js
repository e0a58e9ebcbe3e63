// Registers cdktf's matchers (toHaveResourceWithProperties, toBeValidTerraform, ...). This is what
// `Testing.setupJest()` runs, from its own module: `require('cdktf')` would load all of cdktf's 379
// modules into every test file, also into the third that never synthesize (15 modules here).
require('cdktf/lib/testing/adapters/jest').setupJest();
// Removes the scratch folders (cdktf test apps' output) each test file made.
afterAll(() => require('./__tests__/support/scratch').removeScratch());
