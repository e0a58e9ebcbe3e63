// Registers cdktf's matchers (toHaveResourceWithProperties, toBeValidTerraform, ...).
require('cdktf').Testing.setupJest();
// Removes the scratch folders (cdktf test apps' output) each test file made.
afterAll(() => require('./__tests__/support/scratch').removeScratch());
