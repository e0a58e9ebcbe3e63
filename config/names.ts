/**
 * The names of the resources the seed's console steps name, in one place: the constructs name
 * their resources with {@link resourceNames}, validation checks `seedNames` against
 * {@link SEED_NAMES}, and docs/rotation.md shows the table (a test keeps it current).
 *
 * The seed is the workshop chapter this project automates ("AWS Secrets Manager Configuration",
 * described in docs/seed.md). Its readers find these resources by name in the console in the next
 * chapter, so `dev` uses them letter for letter, the seed's `lamda` included.
 */
import type { EnvironmentConfig } from './types';

/**
 * The seed's function. Its resources keep the names and Terraform addresses they had when a stack
 * had one function (construct ids are a contract: docs/architecture.md); every other function's carry its name.
 */
export const SEED_FUNCTION_NAME = 'db-health';

/** The migration function's name (stacks/constructs/migrations.ts); no application function may take it. */
export const MIGRATION_FUNCTION_NAME = 'db-migrate';

/** The application handler, relative to the project root: the default `entry` of a function. */
export const HANDLER_ENTRY = 'lambda-src/handler.ts';

/** The migration function's handler, relative to the project root. */
export const MIGRATION_HANDLER_ENTRY = 'lambda-src/migrate-handler.ts';

/** How the constructs name what the seed names; each takes the environment's `namePrefix`. */
export const resourceNames = {
  /** The VPC's `Name` tag: `<namePrefix>-backend-vpc`. */
  vpc: (namePrefix: string): string => `${namePrefix}-backend-vpc`,
  /**
   * A subnet's `Name` tag as the VPC console numbers them: `<namePrefix>-backend-subnet-private<n>-<az>`,
   * private1..N for the Lambda subnets, then N+1..2N for the data subnets.
   */
  subnet: (namePrefix: string, number: number, availabilityZone: string): string =>
    `${namePrefix}-backend-subnet-private${number}-${availabilityZone}`,
  /** The Secrets Manager endpoint's `Name` tag: `<namePrefix>-lambda-secretsmng-endpoint`. */
  endpoint: (namePrefix: string): string => `${namePrefix}-lambda-secretsmng-endpoint`,
  /** The endpoint's security group: `<namePrefix>-endpoint-sm-sg`. */
  endpointSecurityGroup: (namePrefix: string): string => `${namePrefix}-endpoint-sm-sg`,
  /** The Lambda's security group: `<namePrefix>-lambda-sg`. */
  lambdaSecurityGroup: (namePrefix: string): string => `${namePrefix}-lambda-sg`,
  /**
   * The Lambda's execution role: `<namePrefix>-lamda-secretsmng-role` with the seed's spelling
   * (step 2.5 writes `lamda`, and readers look the role up by that name), else
   * `<namePrefix>-lambda-secretsmng-role`. IAM role names are immutable: switching replaces the role.
   */
  lambdaRole: (namePrefix: string, seedSpelling: boolean): string =>
    `${namePrefix}-${seedSpelling ? 'lamda' : 'lambda'}-secretsmng-role`,
  /** A function: `<namePrefix>-lambda-<name>`, so the seed's is `<namePrefix>-lambda-db-health`. */
  function: (namePrefix: string, name: string): string => `${namePrefix}-lambda-${name}`,
  /** A function's execution role: the seed function's is {@link resourceNames.lambdaRole}, any other `<namePrefix>-lambda-<name>-role`. */
  functionRole: (namePrefix: string, name: string, seedSpelling: boolean): string =>
    name === SEED_FUNCTION_NAME ? resourceNames.lambdaRole(namePrefix, seedSpelling) : `${namePrefix}-lambda-${name}-role`,
  /** A function's security group: the seed function's is {@link resourceNames.lambdaSecurityGroup}, any other `<namePrefix>-lambda-<name>-sg`. */
  functionSecurityGroup: (namePrefix: string, name: string): string =>
    name === SEED_FUNCTION_NAME ? resourceNames.lambdaSecurityGroup(namePrefix) : `${namePrefix}-lambda-${name}-sg`,
  /**
   * The name of something one function owns (a policy, an alarm): `<namePrefix>-<what>` for the seed
   * function, `<namePrefix>-<name>-<what>` for any other, e.g. `prod-db-migrate-read-db-secret`.
   */
  ofFunction: (namePrefix: string, name: string, what: string): string =>
    name === SEED_FUNCTION_NAME ? `${namePrefix}-${what}` : `${namePrefix}-${name}-${what}`,
} as const;

/** The construct ids of one function's resources, and of the rules and grants other constructs make for it. */
export interface FunctionConstructIds {
  /** The function's own construct: `function` for the seed function, `function-<name>` for any other. */
  readonly construct: string;
  /** Its security-group rules to the database and the endpoint: `allow-from-lambda`, or `allow-from-<name>`. */
  readonly flow: string;
  /** Its read of the master secret (Database.grantSecretRead): `secret-read`, or `secret-read-<name>`. */
  readonly secretRead: string;
  /** Its `kms:Decrypt` of the secret's key, beside the seed's managed policy (Database.grantSecretKeyDecrypt): `secret-decrypt`, or `secret-decrypt-<name>`. */
  readonly secretDecrypt: string;
  /** Its `rds-db:connect` grant (Database.grantConnect): `connect-<name>`. */
  readonly connect: string;
}

/**
 * The construct ids of function `name`. Construct ids are part of Terraform addresses, so the seed
 * function keeps the ids it had when a stack had one function, and every other carries its name.
 */
export function functionConstructIds(name: string): FunctionConstructIds {
  const seed = name === SEED_FUNCTION_NAME;
  return {
    construct: seed ? 'function' : `function-${name}`,
    flow: `allow-from-${seed ? 'lambda' : name}`,
    secretRead: seed ? 'secret-read' : `secret-read-${name}`,
    secretDecrypt: seed ? 'secret-decrypt' : `secret-decrypt-${name}`,
    connect: `connect-${name}`,
  };
}

/** The Lambda role's description, the seed's (step 2.5) in every environment. */
export const LAMBDA_ROLE_DESCRIPTION = 'Allows Lambda functions to call Secrets Manager to fetch secrets.';

/** One name the seed gives, and what each environment gets instead. */
export interface SeedName {
  /** What carries the name, as the console shows it. */
  readonly what: string;
  /** The seed's step that gives the name, e.g. `2.5`. */
  readonly seedStep: string;
  /** The name exactly as the seed writes it. */
  readonly seedValue: string;
  /** Where the synthesized JSON holds it: a resource type and a dotted attribute path. */
  readonly terraform: { readonly type: string; readonly attribute: string };
  /** The value an environment gets. */
  readonly valueFor: (config: EnvironmentConfig) => string;
  /** Why the value is what it is, when the seed is ambiguous. */
  readonly note?: string;
}

/**
 * Every name the seed gives to a resource this project creates. Not listed: the names AWS owns
 * (the managed policies of step 2.4, the endpoint service `com.amazonaws.<region>.secretsmanager`,
 * the `rds!db-...` secret) and names the seed mentions but never has the reader create
 * (`WorkshopLambdaSecretsPolicy` in its diagram).
 */
export const SEED_NAMES: readonly SeedName[] = [
  {
    what: 'IAM role of the Lambda: name',
    seedStep: '2.5',
    seedValue: 'workshop-lamda-secretsmng-role',
    terraform: { type: 'aws_iam_role', attribute: 'name' },
    valueFor: (c) => resourceNames.lambdaRole(c.namePrefix, c.seedNames),
    note: 'The seed spells it `lamda`; kept on purpose, readers search the console for it.',
  },
  {
    what: 'IAM role of the Lambda: description',
    seedStep: '2.5',
    seedValue: LAMBDA_ROLE_DESCRIPTION,
    terraform: { type: 'aws_iam_role', attribute: 'description' },
    valueFor: () => LAMBDA_ROLE_DESCRIPTION,
  },
  {
    what: 'VPC endpoint: Name tag',
    seedStep: '3.2',
    seedValue: 'workshop-lambda-secretsmng-endpoint',
    terraform: { type: 'aws_vpc_endpoint', attribute: 'tags.Name' },
    valueFor: (c) => resourceNames.endpoint(c.namePrefix),
  },
  {
    what: 'VPC: Name tag',
    seedStep: '3.2',
    seedValue: 'workshop-backend-vpc',
    terraform: { type: 'aws_vpc', attribute: 'tags.Name' },
    valueFor: (c) => resourceNames.vpc(c.namePrefix),
  },
  {
    what: "Endpoint's subnet: Name tag",
    seedStep: '3.2',
    seedValue: 'workshop-backend-subnet-private1-ap-southeast-1a',
    terraform: { type: 'aws_subnet', attribute: 'tags.Name' },
    valueFor: (c) => resourceNames.subnet(c.namePrefix, 1, c.network.availabilityZones[0]),
    note: 'Step 3.3 calls it "workshop-private-subnet-1"; step 3.2, where the reader selects it, gives this name.',
  },
  {
    what: "Endpoint's security group: name",
    seedStep: '3.2',
    seedValue: 'workshop-endpoint-sm-sg',
    terraform: { type: 'aws_security_group', attribute: 'name' },
    valueFor: (c) => resourceNames.endpointSecurityGroup(c.namePrefix),
  },
  {
    what: "Lambda's security group: name",
    seedStep: '3.3',
    seedValue: 'workshop-lambda-sg',
    terraform: { type: 'aws_security_group', attribute: 'name' },
    valueFor: (c) => resourceNames.lambdaSecurityGroup(c.namePrefix),
    note: "Step 3.3 says the endpoint shows it; the endpoint shows workshop-endpoint-sm-sg (step 3.2), and this is the Lambda's group.",
  },
];

/** The entries of {@link SEED_NAMES} whose value for `config` differs from the seed's. */
export function namesDifferingFromSeed(config: EnvironmentConfig): { entry: SeedName; value: string }[] {
  return SEED_NAMES.map((entry) => ({ entry, value: entry.valueFor(config) })).filter(({ entry, value }) => value !== entry.seedValue);
}

/**
 * {@link SEED_NAMES} as the Markdown table docs/rotation.md shows: each name with its seed step,
 * the seed's spelling and what each environment in `configs` gets.
 */
export function seedNamesTable(configs: readonly EnvironmentConfig[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const header = ['What', 'Seed step', "The seed's name", ...configs.map((c) => c.environment), 'Note'];
  const rows = SEED_NAMES.map((entry) => [
    entry.what,
    entry.seedStep,
    `\`${entry.seedValue}\``,
    ...configs.map((c) => `\`${entry.valueFor(c)}\``),
    entry.note ?? '',
  ]);
  return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n');
}
