// cdktf's matchers (toHaveResourceWithProperties, toBeValidTerraform, ...), registered as
// `Testing.setupJest()` does, without loading all of cdktf into every test file.
require('./stacks/cdktf-internals').setupJestMatchers();
// Removes the scratch folders (cdktf test apps' output) each test file made.
afterAll(() => require('./__tests__/support/scratch').removeScratch());
