/**
 * `npm run environments`: every environment of config/environments.ts, validated, with each resolved
 * setting and where its value came from (its profile, or the environment's own override).
 *
 *   npm run environments                 # every environment, one table each
 *   npm run environments -- prod         # only these
 *   npm run environments -- --json       # the list as JSON, one object per environment (CI's matrix)
 */
import { ENVIRONMENT_DEFINITIONS } from '../config/environments';
import { errors } from '../config/errors';
import { resolveEnvironment, settingSources } from '../config/profiles';
import { validateEnvironmentConfigs } from '../config/schema';
import type { EnvironmentDefinition } from '../config/types';
import { exitCodeOf } from '../stacks/app';

/** What CI's matrix gets of one environment (`--json`). */
export interface EnvironmentSummary {
  readonly environment: string;
  readonly profile: string;
  readonly region: string;
  readonly account: string | null;
}

/** The `--json` list: every environment, in the order of config/environments.ts. */
export function environmentSummaries(definitions: readonly EnvironmentDefinition[] = ENVIRONMENT_DEFINITIONS): EnvironmentSummary[] {
  return validateEnvironmentConfigs(definitions.map(resolveEnvironment)).map(({ environment, profile, region, account }) => ({
    environment,
    profile,
    region,
    account,
  }));
}

/** One environment's settings as text: `field  value  source`, aligned. */
export function renderSources(definition: EnvironmentDefinition): string {
  const rows = settingSources(definition).map((s) => [s.field, JSON.stringify(s.value), s.source]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => `  ${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`);
  return `${definition.environment} (profile ${definition.profile}, ${definition.region})\n${lines.join('\n')}\n`;
}

/**
 * Runs the command.
 * @returns the exit code: 0, or 1 for invalid configuration or an unknown environment
 */
export function main(argv: readonly string[], stdout: (text: string) => void = (t) => process.stdout.write(t), definitions = ENVIRONMENT_DEFINITIONS): number {
  return exitCodeOf(() => {
    const summaries = environmentSummaries(definitions);
    const requested = argv.filter((a) => !a.startsWith('--'));
    const known = summaries.map((s) => s.environment);
    const unknown = requested.filter((name) => !known.includes(name));
    if (unknown.length > 0) throw errors.unknownStacks('npm run environments', unknown, known);
    const chosen = (name: string): boolean => requested.length === 0 || requested.includes(name);
    if (argv.includes('--json')) {
      stdout(`${JSON.stringify(summaries.filter((s) => chosen(s.environment)))}\n`);
      return;
    }
    stdout(definitions.filter((d) => chosen(d.environment)).map(renderSources).join('\n'));
  });
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2)) || process.exitCode;
}
