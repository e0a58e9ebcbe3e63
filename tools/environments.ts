/**
 * `npm run environments`: every environment of config/environments.ts, validated, with each resolved
 * setting and where its value came from (its profile, or the environment's own override).
 *
 *   npm run environments                 # every environment, one table each
 *   npm run environments -- prod         # only these
 *   npm run environments -- --json       # the list as JSON, one object per environment, with its CI roles
 *   npm run environments -- --json --ci  # only the environments CI plans and applies (CI's matrix)
 */
import { ciRolesOf, type CiRoles } from '../config/ci';
import { ENVIRONMENT_DEFINITIONS } from '../config/environments';
import { resolveEnvironment, settingSources } from '../config/profiles';
import { validateEnvironmentConfigs } from '../config/schema';
import type { EnvironmentDefinition } from '../config/types';
import { exitCodeOf, requireKnownStacks } from '../stacks/app';

/**
 * What CI's matrix gets of one environment (`--json`): who it is, where it deploys, and the roles its
 * jobs assume (config/ci.ts), each `null` for an environment not pinned to an account, which CI
 * does not deploy.
 */
export type EnvironmentSummary = {
  readonly environment: string;
  readonly profile: string;
  readonly region: string;
  readonly account: string | null;
} & { readonly [K in keyof CiRoles]: CiRoles[K] | null };

/** What `--ci` keeps: the environments CI plans and applies, whose roles are all set. */
export type CiEnvironmentSummary = EnvironmentSummary & CiRoles;

/** The `--json` list: every environment, in the order of config/environments.ts. */
export function environmentSummaries(definitions: readonly EnvironmentDefinition[] = ENVIRONMENT_DEFINITIONS): EnvironmentSummary[] {
  return validateEnvironmentConfigs(definitions.map(resolveEnvironment)).map((config) => {
    const roles = ciRolesOf(config);
    return {
      environment: config.environment,
      profile: config.profile,
      region: config.region,
      account: config.account,
      planRoleArn: roles?.planRoleArn ?? null,
      driftRoleArn: roles?.driftRoleArn ?? null,
      applyRoleArn: roles?.applyRoleArn ?? null,
      githubEnvironment: roles?.githubEnvironment ?? null,
      ciAccessStack: roles?.ciAccessStack ?? null,
    };
  });
}

/** True for an environment CI plans and applies: one pinned to an account, so its roles exist. */
export function deployedByCi(summary: EnvironmentSummary): summary is CiEnvironmentSummary {
  return summary.account !== null;
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
    requireKnownStacks('npm run environments', requested, summaries.map((s) => s.environment));
    const chosen = (name: string): boolean => requested.length === 0 || requested.includes(name);
    if (argv.includes('--json')) {
      stdout(`${JSON.stringify(summaries.filter((s) => chosen(s.environment) && (!argv.includes('--ci') || deployedByCi(s))))}\n`);
      return;
    }
    stdout(definitions.filter((d) => chosen(d.environment)).map(renderSources).join('\n'));
  });
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2)) || process.exitCode;
}
