import { renderResourceTypes } from '../../tools/docs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { connectionBudget, lambdaTimeouts, longestInvocationPathMillis, totalReservedConcurrency } from '../../config/derived';
import { environments } from '../../config/environments';
import { dev, prod } from '../support/environments';
import { resolveEnvironment } from '../../config/profiles';
import type { EnvironmentConfig } from '../../config/types';
import { RULES } from '../../policy/registry';
import { ACTION_SPECS, ACTIONS, DEFAULT_ACTION } from '../../lambda-src/actions';
import {
  CONFIG_TYPES_FILE,
  documentedFields,
  main,
  PROJECT_ROOT,
  renderConfigErrorExample,
  renderConfigFields,
  renderDerivedNumbers,
  renderCiRoles,
  renderLambdaActions,
  renderPolicyRules,
  renderRegions,
  staleFiles,
} from '../../tools/docs';
import { scratchDir } from '../support/scratch';

/** Dotted paths of every leaf value of a configuration object. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || prefix === 'tags.') return [prefix.slice(0, -1)];
  return Object.entries(value).flatMap(([key, v]) => leafPaths(v, `${prefix}${key}.`));
}

/** A copy of config/schema.ts with `extra` inserted at the top of `interface LambdaConfig`. */
function schemaWith(extra: string): string {
  const schema = readFileSync(path.join(PROJECT_ROOT, CONFIG_TYPES_FILE), 'utf8');
  const anchor = 'export interface LambdaConfig {\n';
  expect(schema).toContain(anchor);
  const file = path.join(scratchDir('schema-'), 'schema.ts');
  writeFileSync(file, schema.replace(anchor, `${anchor}${extra}\n`));
  return file;
}

/** A project folder with a README.md that holds one region with `body`. */
function projectWithRegion(name: string, body: string): string {
  const root = scratchDir('docs-');
  mkdirSync(path.join(root, 'docs'));
  writeFileSync(path.join(root, 'README.md'), `# Title\n\nBefore.\n\n<!-- generated:${name} -->\n${body}\n<!-- /generated:${name} -->\n\nAfter.\n`);
  writeFileSync(path.join(root, 'docs', 'other.md'), '# Other\n\nSee [the title](../README.md#title).\n');
  return root;
}

describe('npm run docs', () => {
  it('finds every generated region of README.md and docs/ up to date', () => {
    const stale = staleFiles(PROJECT_ROOT).map((f) => `${f.file}: a generated region is out of date; run npm run docs`);
    expect(stale).toEqual([]);
  });

  it('reports a file whose generated region is stale, and renders what it should hold', () => {
    const root = projectWithRegion('policy-rules', `${RULES.length - 1} rules (a table from last month).`);
    const stale = staleFiles(root);
    expect(stale.map((f) => f.file)).toEqual(['README.md']);
    expect(stale[0].expected).toContain(`${RULES.length} rules`);
    expect(stale[0].expected).not.toContain('a table from last month');
  });

  it('with --check, exits 1 and changes nothing; without, rewrites the region and then finds it current', () => {
    const root = projectWithRegion('policy-rules', 'stale');
    const before = readFileSync(path.join(root, 'README.md'), 'utf8');
    const lines: string[] = [];
    expect(main(['--check'], root, (l) => lines.push(l))).toBe(1);
    expect(lines).toEqual(['README.md: generated regions are out of date; run npm run docs']);
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toBe(before);

    const rewritten: string[] = [];
    expect(main([], root, (l) => rewritten.push(l))).toBe(0);
    expect(rewritten).toEqual(['README.md: regenerated', expect.stringMatching(/^docs: \d+ Markdown files, every generated region current, every link, anchor and pointer resolving$/)]);
    const checked: string[] = [];
    expect(main(['--check'], root, (l) => checked.push(l))).toBe(0);
    expect(checked).toEqual([expect.stringMatching(/^docs: \d+ Markdown files, every generated region current/)]);
    expect(staleFiles(root)).toEqual([]);
  });

  it('keeps the text outside the markers as written', () => {
    const out = renderRegions('a\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nb\n', { x: () => 'new' });
    expect(out).toBe('a\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nb\n');
  });

  it('rejects an unknown region, a region never closed and a closing marker with no opening', () => {
    const renderers = { x: () => '' };
    expect(() => renderRegions('<!-- generated:y -->\n<!-- /generated:y -->', renderers, 'f.md')).toThrow('f.md: unknown generated region "y"; known: x');
    expect(() => renderRegions('<!-- generated:x -->\n', renderers, 'f.md')).toThrow('f.md: <!-- generated:x --> is never closed');
    expect(() => renderRegions('<!-- /generated:x -->\n', renderers, 'f.md')).toThrow('closes no open region');
  });
});

describe('the configuration table', () => {
  const rendered = renderConfigFields();

  it('has a row for every field of every environment, with the value of each environment', () => {
    for (const field of leafPaths(dev)) {
      const row = rendered.split('\n').find((l) => l.startsWith(`| \`${field}\` |`));
      expect(row).toBeDefined();
      expect(row?.split(' | ')).toHaveLength(6);
    }
    expect(rendered).toContain('| `migrations.timeoutSeconds` | `number` | seconds | Timeout in seconds, 10 to 900: the longest a run of the migrations may take, lock wait included. | 300 | 300 |');
    expect(rendered.split('\n').find((l) => l.startsWith('| `functions` |'))).toContain('`name=db-health`');
  });

  it('shows a field added to the interfaces later, with its docstring, unit and values', () => {
    const file = schemaWith('  /** How long to wait for a coffee, in seconds. */\n  readonly coffeeWaitSeconds: number;');
    expect(documentedFields(file, 'EnvironmentConfig')).toContainEqual({
      path: 'lambda.coffeeWaitSeconds',
      type: 'number',
      description: 'How long to wait for a coffee, in seconds.',
    });
    const configs = environments.map((c, i) => ({ ...c, lambda: { ...c.lambda, coffeeWaitSeconds: 40 + i } }) as EnvironmentConfig);
    expect(renderConfigFields(configs, file)).toContain('| `lambda.coffeeWaitSeconds` | `number` | seconds | How long to wait for a coffee, in seconds. | 40 | 41 |');
  });

  it('fails when a field has no docstring', () => {
    const file = schemaWith('  readonly undocumentedMiB: number;');
    expect(() => renderConfigFields(environments, file)).toThrow('config/types.ts: document lambda.undocumentedMiB');
  });

  it('shows the message validation prints for a bad value', () => {
    expect(renderConfigErrorExample()).toMatch(/^```text\nInvalid configuration for environment "dev" \(config\/environments.ts\):\n {2}- functions\.0\.timeoutSeconds: received 1000; allowed: an integer from 3 to 900/);
  });
});

describe('the derived numbers', () => {
  const rendered = renderDerivedNumbers();
  const row = (label: string, values: readonly unknown[]): string => `| ${label} | ${values.map(String).join(' | ')} |`;

  it('shows each environment connection budget as config/derived.ts computes it', () => {
    const budgets = environments.map((c) => connectionBudget(c.database, totalReservedConcurrency(c.functions)));
    expect(rendered).toContain(row('`maxConnections`', budgets.map((b) => b.maxConnections)));
    expect(rendered).toContain(row('`lambdaMax`', budgets.map((b) => b.lambdaMax)));
    expect(rendered).toContain(row('`leftOver`', budgets.map((b) => (b.leftOver === null ? '`null`' : b.leftOver))));
  });

  it('shows the longest invocation path next to the function timeout', () => {
    const functions = environments.flatMap((c) => c.functions);
    const longest = functions.map((fn) => longestInvocationPathMillis(lambdaTimeouts(fn.timeoutSeconds)));
    expect(rendered).toContain(row('`longestInvocationPathMillis`', longest));
    expect(rendered).toContain(row('function timeout', functions.map((fn) => fn.timeoutSeconds * 1000)));
  });
});

describe('the policy rules table', () => {
  it('has one row per rule of the registry, with its severity, what, why and mirrors', () => {
    const rows = renderPolicyRules()
      .split('\n')
      .filter((l) => l.startsWith('| `WB-'));
    expect(rows.map((r) => r.split(' | ')[0].slice(3, -1))).toEqual(RULES.map((r) => r.id));
    const ssl = RULES.find((r) => r.id === 'WB-RDS-FORCE-SSL');
    expect(rows.find((r) => r.startsWith('| `WB-RDS-FORCE-SSL`'))).toBe(
      `| \`WB-RDS-FORCE-SSL\` | ${ssl?.severity} | ${ssl?.title} | ${ssl?.explanation} | ${ssl?.mirrors.join(', ')} |`,
    );
  });
});

describe('the resource table of docs/architecture.md', () => {
  it('lists every resource type of every synthesized stack, with the file that declares it', () => {
    const text = renderResourceTypes([dev]);
    for (const type of ['aws_vpc', 'aws_db_instance', 'aws_secretsmanager_secret_rotation', 'aws_lambda_function', 'aws_s3_bucket']) {
      expect(text).toMatch(new RegExp(`^\\| \`${type}\` \\|`, 'm'));
    }
    expect(text).toMatch(/^\| `aws_vpc_security_group_ingress_rule` \| 2 \| {2}\| `stacks\/constructs\/security-groups\.ts` \|$/m);
    expect(text.split('\n')[0]).toBe('| Terraform type | `dev` | `state-bootstrap` | Declared in |');
  });
});

describe('the CI roles table', () => {
  const staging = resolveEnvironment({ environment: 'staging', profile: 'production', region: 'eu-west-1', account: '444455556666' });
  const repository = { owner: 'octo-org', name: 'workshop-backend', ownerId: '42', repositoryId: '4242', defaultBranch: 'main' };

  it("lists each pinned account's plan and drift role and each environment's apply role, with the subjects each admits", () => {
    const rows = renderCiRoles([dev, prod, staging], repository).split('\n').slice(2);
    expect(rows.map((r) => r.split(' | ').slice(0, 2).join(' '))).toEqual([
      '| `ci-access-111122223333` `workshop-backend-ci-plan`',
      '| `ci-access-111122223333` `workshop-backend-ci-drift`',
      '| `ci-access-111122223333` `workshop-backend-ci-apply-prod`',
      '| `ci-access-444455556666` `workshop-backend-ci-plan`',
      '| `ci-access-444455556666` `workshop-backend-ci-drift`',
      '| `ci-access-444455556666` `workshop-backend-ci-apply-staging`',
    ]);
    expect(rows[5]).toContain('`repo:octo-org/workshop-backend:environment:staging`, `repo:octo-org@42/workshop-backend@4242:environment:staging`');
    expect(rows[5]).toContain('`AdministratorAccess`; read and write its environment\'s state');
    expect(rows[1]).toContain('`repo:octo-org/workshop-backend:ref:refs/heads/main`');
  });

  it('says so when no environment is pinned', () => {
    expect(renderCiRoles([dev], repository)).toBe('No environment is pinned to an account, so there are no CI roles.');
  });
});

describe('the actions section of docs/lambda.md', () => {
  const rendered = renderLambdaActions();

  it('has one row per action of the table, in its order, with its parameters, whether it only reads, and what it returns', () => {
    const rows = rendered.split('\n').filter((l) => /^\| `[a-z]/.test(l));
    expect(rows.map((r) => /^\| `([a-z_]+)`/.exec(r)?.[1])).toEqual([...ACTIONS]);
    expect(rows.find((r) => r.startsWith('| `tables` |'))).toBe(
      `| \`tables\` | \`schema\`: ${ACTION_SPECS.tables.parameters[0].expected}, default \`public\` | yes | ${ACTION_SPECS.tables.summary} |`,
    );
    expect(rows.find((r) => r.startsWith(`| \`${DEFAULT_ACTION}\` (the default) | — |`))).toBeDefined();
  });

  it('shows the SQL of every action as the table declares it', () => {
    for (const action of ACTIONS) expect(rendered).toContain(`\`${action}\`:\n\n\`\`\`sql\n${ACTION_SPECS[action].sql}\n\`\`\``);
  });

  it('shows an action added to the table later', () => {
    const specs = { ...ACTION_SPECS, orders: { ...ACTION_SPECS.health, summary: 'The open orders.', readOnly: false, sql: 'SELECT id FROM orders' } };

    const text = renderLambdaActions(specs, [...ACTIONS, 'orders']);

    expect(text).toContain('| `orders` | — | no | The open orders. |');
    expect(text).toContain('`orders`:\n\n```sql\nSELECT id FROM orders\n```');
  });
});
