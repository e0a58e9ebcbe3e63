/**
 * `npm run docs`: rewrites the generated regions of README.md and docs/*.md from the code that
 * defines their facts, then checks every link, anchor and pointer (tools/doc-links.ts).
 *
 *   npm run docs              # rewrite the regions that are out of date, then check links
 *   npm run docs -- --check   # change nothing; exit 1 when a region is out of date or a link is broken
 *
 * A region is the text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`, where NAME
 * is a key of {@link REGIONS}. Everything outside the markers is written by hand and left alone.
 * Reference tables are rendered, never typed, so they cannot disagree with the code
 * (__tests__/tools/docs.test.ts fails when a file in the repository is out of date).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { TerraformStack } from 'cdktf';
import { buildApp } from '../stacks/app';
import { CI_ROLE_KINDS, CI_ROLE_PURPOSES, ciAccounts, ciRoleName, oidcSubjects, trustedClaim } from '../config/ci';
import { connectionBudget, lambdaTimeouts, totalReservedConcurrency, longestInvocationPathMillis } from '../config/derived';
import { environments } from '../config/environments';
import { UserError } from '../config/errors';
import { validateEnvironmentConfig } from '../config/schema';
import type { EnvironmentConfig } from '../config/types';
import { REPOSITORY, type GitHubRepository } from '../config/repository';
import { STATE_BACKEND_ENV } from '../config/state-backend';
import { ACTION_SPECS, ACTIONS, DEFAULT_ACTION, type ActionSpec } from '../lambda-src/actions';
import { TUNING_VARIABLES } from '../lambda-src/config';
import { LAMBDA_ENV } from '../lambda-src/environment';
import { RULES } from '../policy/registry';
import { CI_ROLE_ACCESS } from '../stacks/ci-access-stack';
import type { Rule } from '../policy/types';
import { REGIONS as AWS_REGIONS } from '../config/regions';
import { allPrices, PRICE_TABLES, readOnRange, type RegionPrices } from './cost/prices';
import { brokenLinks, formatBrokenLink, markdownFiles } from './doc-links';

/** The repository root. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The file whose interfaces document the configuration, and the interface of one environment. */
export const CONFIG_TYPES_FILE = 'config/types.ts';
const CONFIG_ROOT_INTERFACE = 'EnvironmentConfig';
/** The file that computes every derived number, and documents each in its interfaces. */
export const DERIVED_FILE = 'config/derived.ts';
/** The file that reads the `TF_STATE_*` variables and documents the settings they carry. */
export const STATE_BACKEND_FILE = 'config/state-backend.ts';
/** The file that names the Lambda's environment variables. */
export const LAMBDA_ENVIRONMENT_FILE = 'lambda-src/environment.ts';

/** One documented property of an interface, with nested interfaces of the same file flattened. */
export interface DocumentedField {
  /** Dotted path from the root interface, e.g. `database.maxConnections`. */
  readonly path: string;
  /** The property's type as TypeScript prints it, e.g. `"ACCEPT" | "REJECT" | "ALL"`. */
  readonly type: string;
  /** The docstring, on one line; `{@link X}` becomes `` `X` ``. Empty when there is none. */
  readonly description: string;
  /** The text of its `@default` tag, when it has one. */
  readonly defaultValue?: string;
}

/**
 * Reads the properties of the interface or constant `name` in `file` with the TypeScript compiler,
 * descending into properties whose type is another interface declared in the same file (so
 * `network.vpcCidr`, not `network`). A property added later appears without any change to this tool.
 *
 * @param file path of a TypeScript file, absolute or relative to the current directory
 * @throws Error when the file declares no interface or constant of that name
 */
export function documentedFields(file: string, name: string): DocumentedField[] {
  const { checker, source } = compiled(file);
  const root = source && declaredName(source, name);
  if (!source || !root) throw new Error(`${file} declares no interface or constant ${name}`);

  const fields: DocumentedField[] = [];
  const walk = (type: ts.Type, prefix: string): void => {
    for (const property of type.getProperties()) {
      const propertyType = checker.getTypeOfSymbol(property);
      const declaration = propertyType.getSymbol()?.declarations?.[0];
      if (declaration && ts.isInterfaceDeclaration(declaration) && declaration.getSourceFile() === source) {
        walk(propertyType, `${prefix}${property.name}.`);
        continue;
      }
      const defaultTag = property.getJsDocTags(checker).find((t) => t.name === 'default');
      fields.push({
        path: `${prefix}${property.name}`,
        type: checker.typeToString(propertyType),
        description: docText(property.getDocumentationComment(checker)),
        ...(defaultTag ? { defaultValue: docText(defaultTag.text ?? []) } : {}),
      });
    }
  };
  walk(checker.getTypeAtLocation(root), '');
  return fields;
}

/**
 * The docstring of a top-level function or constant of `file`, on one line.
 * @throws Error when the file declares no such function or constant
 */
export function declarationDoc(file: string, name: string): string {
  const { checker, source } = compiled(file);
  const declared = source && declaredName(source, name);
  const symbol = declared && checker.getSymbolAtLocation(declared);
  if (!symbol) throw new Error(`${file} declares no function or constant ${name}`);
  return docText(symbol.getDocumentationComment(checker));
}

const programs = new Map<string, { checker: ts.TypeChecker; source: ts.SourceFile | undefined }>();

/**
 * The options of every program here. noResolve: only the file's own declarations are needed, and
 * skipping its imports (zod's types among them) keeps this at a fraction of a full type-check.
 * ES2022 is the project's lib.
 */
const PROGRAM_OPTIONS: ts.CompilerOptions = { strict: true, noEmit: true, noResolve: true, types: [], lib: ['lib.es2022.d.ts'] };

/**
 * A compiler host that parses TypeScript's own lib files once per process: they are most of what
 * a program here parses (lib.es2022.d.ts and the files it references), and they do not change.
 */
const host = ((): ts.CompilerHost => {
  const base = ts.createCompilerHost(PROGRAM_OPTIONS);
  const libDir = path.dirname(ts.getDefaultLibFilePath(PROGRAM_OPTIONS));
  const libFiles = new Map<string, ts.SourceFile | undefined>();
  return {
    ...base,
    getSourceFile(fileName, languageVersion, onError, shouldCreate) {
      if (path.dirname(fileName) !== libDir) return base.getSourceFile(fileName, languageVersion, onError, shouldCreate);
      if (!libFiles.has(fileName)) libFiles.set(fileName, base.getSourceFile(fileName, languageVersion, onError, shouldCreate));
      return libFiles.get(fileName);
    },
  };
})();

/** One program per file, read once per process. */
function compiled(file: string): { checker: ts.TypeChecker; source: ts.SourceFile | undefined } {
  let entry = programs.get(file);
  if (entry === undefined) {
    const program = ts.createProgram([file], PROGRAM_OPTIONS, host);
    entry = { checker: program.getTypeChecker(), source: program.getSourceFile(file) };
    programs.set(file, entry);
  }
  return entry;
}

/** The name node of a top-level interface, function or constant called `name`. */
function declaredName(source: ts.SourceFile, name: string): ts.Identifier | undefined {
  return source.statements
    .flatMap((s) =>
      ts.isInterfaceDeclaration(s) || ts.isFunctionDeclaration(s) ? [s.name] : ts.isVariableStatement(s) ? s.declarationList.declarations.map((d) => d.name) : [],
    )
    .find((n): n is ts.Identifier => n !== undefined && ts.isIdentifier(n) && n.text === name);
}

function docText(parts: readonly ts.SymbolDisplayPart[]): string {
  return parts
    .map((p) => (p.kind === 'link' ? '' : p.kind === 'linkName' ? `\`${p.text}\`` : p.text))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Escapes a table cell: pipes (also inside code spans, as GitHub requires) and line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** How a configured or derived value reads in a table. */
export function formatValue(value: unknown): string {
  if (value === null) return '`null`';
  if (typeof value === 'string') return `\`${value}\``;
  if (Array.isArray(value)) return value.map(formatValue).join(', ');
  if (typeof value === 'object' && value !== undefined) {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `\`${k}=${String(v)}\``)
      .join(', ');
  }
  return String(value);
}

/** Units follow the house rule "units in names": the suffix of a field's name says its unit. */
const UNIT_SUFFIXES: readonly (readonly [RegExp, string])[] = [
  [/GiB$/, 'GiB'],
  [/MiB$/, 'MiB'],
  [/Days$/, 'days'],
  [/Seconds$/, 'seconds'],
  [/Millis$/, 'ms'],
];

/** The unit a field's name carries, or an empty string. */
export function unitOf(fieldPath: string): string {
  return UNIT_SUFFIXES.find(([suffix]) => suffix.test(fieldPath))?.[1] ?? '';
}

function valueAt(config: EnvironmentConfig, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], config);
}

/**
 * The configuration fields: dotted name, type, unit, description (the interfaces' docstrings in
 * config/types.ts) and one column per environment (config/environments.ts).
 *
 * @throws Error when a field has no docstring: the table is the reference, so every field needs one
 */
export function renderConfigFields(
  configs: readonly EnvironmentConfig[] = environments,
  schemaFile: string = path.join(PROJECT_ROOT, CONFIG_TYPES_FILE),
): string {
  const fields = documentedFields(schemaFile, CONFIG_ROOT_INTERFACE);
  const undocumented = fields.filter((f) => f.description === '').map((f) => f.path);
  if (undocumented.length > 0) throw new Error(`${CONFIG_TYPES_FILE}: document ${undocumented.join(', ')} (the configuration table shows each field's docstring)`);
  return table(
    ['Field', 'Type', 'Unit', 'Description', ...configs.map((c) => `\`${c.environment}\``)],
    fields.map((f) => [`\`${f.path}\``, `\`${f.type}\``, unitOf(f.path), f.description, ...configs.map((c) => formatValue(valueAt(c, f.path)))]),
  );
}

/** Rows of one derived interface: its fields' docstrings with one value per environment. */
function derivedRows(interfaceName: string, valuesPerEnvironment: readonly object[]): string[][] {
  const docs = new Map(documentedFields(path.join(PROJECT_ROOT, DERIVED_FILE), interfaceName).map((f) => [f.path, f.description]));
  return Object.keys(valuesPerEnvironment[0]).map((key) => [
    `\`${key}\``,
    ...valuesPerEnvironment.map((v) => formatValue((v as Record<string, unknown>)[key])),
    docs.get(key) ?? '',
  ]);
}

/**
 * The derived numbers, computed by config/derived.ts: each environment's connection budget, and each
 * function's derived timeouts with the longest invocation path against the function timeout.
 */
export function renderDerivedNumbers(configs: readonly EnvironmentConfig[] = environments): string {
  const header = ['Number', ...configs.map((c) => `\`${c.environment}\``), 'What it is'];
  const budgets = configs.map((c) => connectionBudget(c.database, totalReservedConcurrency(c.functions)));
  const functions = configs.flatMap((c) => c.functions.map((fn) => ({ column: `\`${c.environment}\` ${fn.name}`, timeoutMillis: fn.timeoutSeconds * 1000 })));
  const timeouts = functions.map((fn) => lambdaTimeouts(fn.timeoutMillis / 1000));
  const longest = timeouts.map(longestInvocationPathMillis);
  const derivedFile = path.join(PROJECT_ROOT, DERIVED_FILE);
  return [
    `Connection budget (connections; \`connectionBudget\` in ${DERIVED_FILE}):`,
    '',
    table(header, derivedRows('ConnectionBudget', budgets)),
    '',
    `Lambda timeouts, per function (milliseconds; \`lambdaTimeouts\` in ${DERIVED_FILE}):`,
    '',
    table(['Number', ...functions.map((fn) => fn.column), 'What it is'], [
      ...derivedRows('LambdaTimeouts', timeouts),
      ['`longestInvocationPathMillis`', ...longest.map(String), declarationDoc(derivedFile, 'longestInvocationPathMillis')],
      ['function timeout', ...functions.map((fn) => String(fn.timeoutMillis)), "The function's `timeoutSeconds`, in milliseconds."],
      ['longest path / function timeout', ...functions.map((fn, i) => `${Math.round((100 * longest[i]) / fn.timeoutMillis)}%`), 'Below 100%, a slow dependency fails with a named error before Lambda ends the invocation.'],
    ]),
  ].join('\n');
}

/** The policy rules of policy/registry.ts: id, severity, what, why, and the scanner checks mirrored. */
export function renderPolicyRules(rules: readonly Rule[] = RULES): string {
  return [
    `${rules.length} rules (registry: \`policy/registry.ts\`).`,
    '',
    table(
      ['Rule', 'Severity', 'Compliant when', 'Why, and the fix', 'Mirrors'],
      rules.map((r) => [`\`${r.id}\``, r.severity, r.title, r.explanation, r.mirrors.length > 0 ? r.mirrors.join(', ') : '— (project rule)']),
    ),
  ].join('\n');
}

/**
 * The Lambda's environment variables (lambda-src/environment.ts) with their docstrings, and the
 * default and range of those the handler may do without (`TUNING_VARIABLES`, lambda-src/config.ts).
 */
export function renderLambdaEnvironment(): string {
  const tuning: Readonly<Record<string, { defaultValue: number; min: number; max: number; unit: string }>> = TUNING_VARIABLES;
  const fields = documentedFields(path.join(PROJECT_ROOT, LAMBDA_ENVIRONMENT_FILE), 'LAMBDA_ENV');
  return table(
    ['Variable', 'Meaning', 'When unset'],
    fields.map((f) => {
      const t = tuning[f.path];
      return [`\`${LAMBDA_ENV[f.path as keyof typeof LAMBDA_ENV]}\``, f.description, t ? `${t.defaultValue} ${t.unit} (allowed: ${t.min} to ${t.max})` : '—'];
    }),
  );
}

/**
 * The Lambda's actions, from their table (`ACTION_SPECS`, lambda-src/actions.ts): name,
 * parameters with their limits and defaults, whether the action only reads, what it returns, and
 * then the SQL of each.
 */
export function renderLambdaActions(specs: Readonly<Record<string, ActionSpec>> = ACTION_SPECS, names: readonly string[] = ACTIONS): string {
  return [
    table(
      ['Action', 'Parameters', 'Read-only', 'Returns'],
      names.map((name) => {
        const spec = specs[name];
        const parameters = spec.parameters.map((p) => `\`${p.name}\`: ${p.expected}, default \`${p.defaultValue}\``).join('; ');
        return [`\`${name}\`${name === DEFAULT_ACTION ? ' (the default)' : ''}`, parameters || '—', spec.readOnly ? 'yes' : 'no', spec.summary];
      }),
    ),
    '',
    'Their SQL; `$1`... are the parameters in the order above, then the values the action adds itself:',
    ...names.flatMap((name) => ['', `\`${name}\`:`, '', '```sql', specs[name].sql, '```']),
  ].join('\n');
}

/**
 * The `TF_STATE_*` variables (`STATE_BACKEND_ENV`) with the docstring and `@default` of the
 * setting each carries (`StateBackendSettings`, config/state-backend.ts).
 */
export function renderStateBackendVariables(): string {
  const fields = new Map(documentedFields(path.join(PROJECT_ROOT, STATE_BACKEND_FILE), 'StateBackendSettings').map((f) => [f.path, f]));
  return table(
    ['Variable', 'Meaning', 'When unset'],
    Object.entries(STATE_BACKEND_ENV).map(([setting, variable]) => {
      const field = fields.get(setting);
      if (!field) throw new Error(`${STATE_BACKEND_FILE}: StateBackendSettings has no field ${setting} for ${variable}`);
      return [`\`${variable}\``, field.description, field.defaultValue?.replace(/^- /, '').replace(/^'(.*)'$/, '`$1`') ?? '—'];
    }),
  );
}

/**
 * What a bad value prints: the real message of the validation, for `dev` with a Lambda timeout
 * above the maximum, so the example in the docs is always the current wording.
 */
export function renderConfigErrorExample(config: EnvironmentConfig = environments[0]): string {
  try {
    validateEnvironmentConfig({ ...config, functions: config.functions.map((fn, i) => (i === 0 ? { ...fn, timeoutSeconds: 1000 } : fn)) });
  } catch (error) {
    if (UserError.is(error)) return ['```text', error.message, '```'].join('\n');
    throw error;
  }
  throw new Error('a Lambda timeout of 1000 s passed validation; pick another invalid value for the example');
}

/**
 * The Regions `npm run cost` prices (tools/cost/prices.ts): when each table was read, and which of
 * its prices were not checked against the Region's price list.
 */
export function renderPriceTables(tables: readonly RegionPrices[] = Object.values(PRICE_TABLES)): string {
  return table(
    ['Region', 'Prices read', 'Checked against the price list', 'Not checked (printed with `*`)'],
    tables.map((t) => {
      const prices = allPrices(t);
      const unchecked = [
        ...Object.entries(t.rdsPostgresInstanceHour).filter(([, p]) => !p.verified).map(([cls]) => `\`${cls}\` hours`),
        ...Object.entries(t.prices).filter(([, p]) => !p.verified).map(([key]) => `\`${key}\``),
      ];
      const checked = prices.length - unchecked.length;
      return [
        `\`${t.region}\` (${AWS_REGIONS[t.region]?.name ?? 'not in config/regions.ts'})`,
        readOnRange(prices),
        `${checked} of ${prices.length}`,
        unchecked.length === prices.length ? 'all' : unchecked.length === 0 ? 'none' : unchecked.join(', '),
      ];
    }),
  );
}

/** What a CI role may do with its stacks' state, for the table. */
const STATE_ACCESS_TEXT = {
  lock: 'read the state of the account\'s environments, take and release their locks',
  write: 'read and write its environment\'s state, take and release its lock',
} as const;

/**
 * The CI roles of each account an environment is pinned to (config/ci.ts, stacks/ci-access-stack.ts):
 * the stack that creates them, what each is for, the OIDC subjects it admits (from
 * config/repository.ts) and what it may do.
 */
export function renderCiRoles(configs: readonly EnvironmentConfig[] = environments, repository: GitHubRepository = REPOSITORY): string {
  const accounts = ciAccounts(configs);
  if (accounts.length === 0) return 'No environment is pinned to an account, so there are no CI roles.';
  const rows = accounts.flatMap(({ stackName, environments: names }) =>
    CI_ROLE_KINDS.flatMap((kind) => (kind === 'apply' ? names : [undefined])
      .map((environment) => [
        `\`${stackName}\``,
        `\`${ciRoleName(kind, environment)}\``,
        CI_ROLE_PURPOSES[kind],
        oidcSubjects(repository, trustedClaim(kind, repository, environment)).map((sub) => `\`${sub}\``).join(', '),
        `\`${CI_ROLE_ACCESS[kind].managedPolicy}\`; ${STATE_ACCESS_TEXT[CI_ROLE_ACCESS[kind].stateAccess]}`,
      ])),
  );
  return table(['Stack', 'Role', 'Assumed by', 'OIDC subjects (`StringEquals`)', 'May'], rows);
}

/** Every generated region, by the NAME of its markers. */
/**
 * Every Terraform resource type the stacks create, how many of each per stack, and the files whose
 * constructs declare them, from the stacks synthesized for `configs` (the state-bootstrap stack
 * too, with an example bucket): the resource table of docs/architecture.md.
 */
export function renderResourceTypes(configs: readonly EnvironmentConfig[] = environments): string {
  const outdir = mkdtempSync(path.join(tmpdir(), 'docs-resources-'));
  try {
    const app = buildApp({
      outdir,
      env: { [STATE_BACKEND_ENV.bucket]: 'example-state-bucket', [STATE_BACKEND_ENV.region]: configs[0]?.region ?? 'ap-southeast-1' },
      environments: configs,
      notice: () => undefined,
    });
    const stacks = app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c));
    const rows = new Map<string, { counts: Map<string, number>; files: Set<string> }>();
    for (const stack of stacks) {
      const byPath = new Map(stack.node.findAll().map((c) => [c.node.path, c]));
      const doc = stack.toTerraform() as { resource?: Record<string, Record<string, { '//'?: { metadata?: { path?: string } } }>> };
      for (const [type, byName] of Object.entries(doc.resource ?? {})) {
        const row = rows.get(type) ?? { counts: new Map<string, number>(), files: new Set<string>() };
        rows.set(type, row);
        for (const body of Object.values(byName)) {
          row.counts.set(stack.node.id, (row.counts.get(stack.node.id) ?? 0) + 1);
          // The construct that made the resource: its parent in the construct tree.
          const owner = byPath.get(body['//']?.metadata?.path ?? '')?.node.scope ?? stack;
          row.files.add(declaringFile(owner.constructor.name));
        }
      }
    }
    const names = stacks.map((s) => s.node.id);
    return table(
      ['Terraform type', ...names.map((n) => `\`${n}\``), 'Declared in'],
      [...rows.keys()].sort().map((type) => {
        const row = rows.get(type)!;
        return [`\`${type}\``, ...names.map((n) => String(row.counts.get(n) ?? '')), [...row.files].sort().map((f) => `\`${f}\``).join(', ')];
      }),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The file under stacks/ that declares `export class <className>`. */
function declaringFile(className: string): string {
  const files = (readdirSync(path.join(PROJECT_ROOT, 'stacks'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const found = files.find((f) => new RegExp(`export class ${className}\\b`).test(readFileSync(path.join(PROJECT_ROOT, 'stacks', f), 'utf8')));
  if (found === undefined) throw new Error(`docs: no file under stacks/ declares class ${className}`);
  return `stacks/${found.split(path.sep).join('/')}`;
}

export const REGIONS: Readonly<Record<string, () => string>> = {
  'resource-types': () => renderResourceTypes(),
  'config-fields': () => renderConfigFields(),
  'derived-numbers': () => renderDerivedNumbers(),
  'policy-rules': () => renderPolicyRules(),
  'lambda-environment': () => renderLambdaEnvironment(),
  'lambda-actions': () => renderLambdaActions(),
  'config-error-example': () => renderConfigErrorExample(),
  'state-backend-variables': () => renderStateBackendVariables(),
  'cost-prices': () => renderPriceTables(),
  'ci-roles': () => renderCiRoles(),
};

const MARKER = /<!-- (\/?)generated:([a-z0-9-]+) -->/g;

/**
 * Replaces the body of every generated region in `text` with what its renderer returns now.
 *
 * @param where the file name, for error messages
 * @throws Error for an unknown region name, or a marker that is not closed or closes nothing
 */
export function renderRegions(text: string, renderers: Readonly<Record<string, () => string>> = REGIONS, where = 'the document'): string {
  let out = '';
  let from = 0;
  let open: { name: string; end: number } | undefined;
  for (const match of text.matchAll(MARKER)) {
    const [marker, closing, name] = match;
    const index = match.index ?? 0;
    if (!closing) {
      if (open) throw new Error(`${where}: <!-- generated:${name} --> opens inside region ${open.name}; close that first`);
      if (!(name in renderers)) throw new Error(`${where}: unknown generated region "${name}"; known: ${Object.keys(renderers).join(', ')}`);
      open = { name, end: index + marker.length };
      continue;
    }
    if (!open || open.name !== name) throw new Error(`${where}: <!-- /generated:${name} --> closes no open region of that name`);
    out += `${text.slice(from, open.end)}\n${renderers[name]()}\n`;
    from = index;
    open = undefined;
  }
  if (open) throw new Error(`${where}: <!-- generated:${open.name} --> is never closed`);
  return out + text.slice(from);
}

/** A documentation file whose generated regions differ from what the code renders now. */
export interface StaleFile {
  /** Path relative to the root. */
  readonly file: string;
  /** The file as it should be. */
  readonly expected: string;
}

/** The documentation files whose generated regions are out of date, rendered in memory. */
export function staleFiles(root: string = PROJECT_ROOT, renderers: Readonly<Record<string, () => string>> = REGIONS): StaleFile[] {
  return markdownFiles(root).flatMap((file) => {
    const current = readFileSync(path.join(root, file), 'utf8');
    const expected = renderRegions(current, renderers, file);
    return expected === current ? [] : [{ file, expected }];
  });
}

/** `npm run docs [-- --check]`; returns the exit code. */
export function main(argv: readonly string[], root: string = PROJECT_ROOT, log: (line: string) => void = console.log): number {
  const check = argv.includes('--check');
  let code = 0;
  for (const { file, expected } of staleFiles(root)) {
    if (check) {
      log(`${file}: generated regions are out of date; run npm run docs`);
      code = 1;
    } else {
      writeFileSync(path.join(root, file), expected);
      log(`${file}: regenerated`);
    }
  }
  const broken = brokenLinks(root);
  for (const link of broken) log(formatBrokenLink(link));
  if (broken.length > 0) code = 1;
  // Say so on success too: a command that prints nothing reads as one that did nothing.
  if (code === 0) log(`docs: ${markdownFiles(root).length} Markdown files, every generated region current, every link, anchor and pointer resolving`);
  return code;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
