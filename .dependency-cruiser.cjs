/**
 * The project's layers, as rules that dependency-cruiser checks on every `npm test`
 * (`npm run layers`; __tests__/layers.test.ts). docs/architecture.md ("Layout") describes them; a
 * violation fails with the rule's name and the offending import.
 *
 * From the bottom up: `lambda-src/` imports nothing of the project; `config/` (plain data and its
 * validation) reads of it only the Lambda's settings contract (`config.ts`, `environment.ts`), whose
 * defaults the derived numbers use, the action table (`actions.ts`: a function lists the actions it
 * accepts) and the migration files (`migration-files.ts`: the roles they create); `build/` (the bundle cache) and `local/` (local stand-ins for
 * PostgreSQL and Secrets Manager) import no other folder of the project; `policy/`
 * reads `config/`; `stacks/` composes `config/`, `policy/` and `build/`, and of `lambda-src/`
 * takes only its environment contract and the migration files it bundles; `tools/` and `bench/` sit on top. Only `__tests__/` may
 * import test code, and only `bench/` may import bench code.
 *
 * Type-only imports count (tsPreCompilationDeps), so an interface cannot hide a cycle.
 */
/** Paths a folder's files may not import, by folder. */
const FORBIDDEN = {
  config: ['^(build|local|stacks|policy|tools|bench|__tests__)/', '^lambda-src/(?!(config|environment|actions|migration-files)\\.ts$)', '^(main\\.ts|synth\\.js)$'],
  local: ['^(config|build|stacks|policy|lambda-src|tools|bench|__tests__)/', '^(main\\.ts|synth\\.js)$'],
  build: ['^(config|local|stacks|policy|lambda-src|tools|bench|__tests__)/', '^(main\\.ts|synth\\.js)$'],
  'lambda-src': ['^(config|build|local|stacks|policy|tools|bench|__tests__)/', '^(main\\.ts|synth\\.js)$'],
  policy: ['^(build|local|stacks|lambda-src|tools|bench|__tests__)/', '^(main\\.ts|synth\\.js)$'],
  stacks: ['^(local|tools|bench|__tests__)/', '^lambda-src/(?!(environment|migration-files)\\.ts$)', '^(main\\.ts|synth\\.js)$'],
  tools: ['^(bench|__tests__)/', '^(main\\.ts|synth\\.js)$'],
  bench: ['^__tests__/', '^(main\\.ts|synth\\.js)$'],
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...Object.entries(FORBIDDEN).map(([folder, paths]) => ({
      name: `layer-${folder}`,
      comment: `${folder}/ may not import these (docs/architecture.md, "Layout")`,
      severity: 'error',
      from: { path: `^${folder}/` },
      to: { path: paths },
    })),
    {
      name: 'main-runs-the-app',
      comment: 'main.ts only runs the app: it imports stacks/app.ts and nothing else of the project',
      severity: 'error',
      from: { path: '^main\\.ts$' },
      to: { path: '^(?!stacks/app\\.ts$)[^/]+/|^[^/]+\\.(ts|js)$', pathNot: 'node_modules' },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycle, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves to a file or an installed package',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdktf\\.out|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Packages' `exports` maps, which `moduleResolution: node` does not read (e.g. the subpath
    // `@aws-lambda-powertools/parameters/secrets`).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default'] },
    combinedDependencies: false,
  },
};
