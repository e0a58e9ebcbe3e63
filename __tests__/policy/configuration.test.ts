/**
 * Configuration and the policy gate agree: every value the schema accepts synthesizes through the
 * real policy check (the `addPolicyChecks` that main.ts adds), each exception suppressed next to its
 * resource with its reason.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { addPolicyChecks } from '../../policy';
import { dev, prod } from '../support/environments';
import { environmentSchema, validateEnvironmentConfig } from '../../config/schema';
import type { EnvironmentConfig } from '../../config/types';
import { PROFILE_EXCEPTIONS } from '../../stacks/constructs/policy-exceptions';
import { WorkshopBackendStack } from '../../stacks/workshop-backend-stack';
import { policyReports, summaryLine, tableRows } from '../../tools/policy';
import { resourcesOf, testApp, withField, type TerraformDocument } from '../support/synth';

/** An option of the schema whose values can be listed: an enum, a boolean, or a nullable field. */
interface EnumLikeOption {
  readonly field: string;
  readonly values: readonly unknown[];
}

/** Walks the zod schema and lists every enum-like option with all the values it accepts. */
function enumLikeOptions(schema: z.ZodType, path: readonly string[] = []): EnumLikeOption[] {
  const field = path.join('.');
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([key, child]) => enumLikeOptions(child, [...path, key]));
  }
  if (schema instanceof z.ZodEnum) return [{ field, values: schema.options }];
  if (schema instanceof z.ZodBoolean) return [{ field, values: [true, false] }];
  // The first function stands for every function: each is validated and built alike.
  if (schema instanceof z.ZodArray && field === 'functions') return enumLikeOptions(schema.element as z.ZodType, [...path, '0']);
  if (schema instanceof z.ZodUnion && schema.options.some((o) => o instanceof z.ZodNull)) return [{ field, values: [null] }];
  return [];
}

function valueAt(config: EnvironmentConfig, field: string): unknown {
  return field.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], config);
}

/**
 * Synthesizes `config` as main.ts does (the stack, the policy check on it, `app.synth()`) and returns
 * the warnings the check printed and the written cdk.tf.json.
 */
function synthWithPolicyCheck(config: EnvironmentConfig): { warnings: string[]; doc: TerraformDocument } {
  const app = testApp();
  new WorkshopBackendStack(app, config.environment, { config: validateEnvironmentConfig(config) });
  const warnings: string[] = [];
  addPolicyChecks(app, { log: (line) => warnings.push(line) });
  app.synth();
  const doc = JSON.parse(readFileSync(path.join(app.outdir, 'stacks', config.environment, 'cdk.tf.json'), 'utf8')) as TerraformDocument;
  return { warnings, doc };
}

const SEED_POLICY = 'Policy::arn:aws:iam::aws:policy/SecretsManagerReadWrite';
const SEED_RULES = ['WB-IAM-NO-ADMIN-POLICY', 'WB-IAM-NO-WILDCARD-ACTION', 'WB-IAM-NO-WILDCARD-RESOURCE', 'WB-IAM-SECRETS-SCOPED'];

describe("lambda.secretAccess = 'SecretsManagerReadWrite', the seed's literal mode", () => {
  const seedDev = withField(dev, 'lambda.secretAccess', 'SecretsManagerReadWrite') as EnvironmentConfig;
  // The production profile allows the seed's flow (its function reads the master secret) and policy
  // only with waivers of the findings they cause.
  const seedProd = {
    ...(withField(prod, 'lambda.secretAccess', 'SecretsManagerReadWrite') as EnvironmentConfig),
    functions: [{ ...prod.functions[0], databaseAuth: 'master-secret' as const, databaseRole: null }],
    waivers: [...SEED_RULES, 'WB-LAMBDA-NO-MASTER-SECRET'].map((ruleId) => ({ ruleId, reason: 'Reproduces the seed verbatim for a demonstration, accepted by the platform team.', expires: '2999-12-31' })),
  };

  it('synthesizes dev through the policy check and attaches the AWS-managed policy in the stack\'s partition', () => {
    const { warnings, doc } = synthWithPolicyCheck(seedDev);
    expect(warnings).toEqual([]);
    const partition = Object.keys(doc.data!.aws_partition)[0];
    expect(Object.values(resourcesOf(doc, 'aws_iam_role_policy_attachment')).map((a) => a.policy_arn)).toContain(
      `arn:\${data.aws_partition.${partition}.partition}:iam::aws:policy/SecretsManagerReadWrite`,
    );
    expect(doc.resource.aws_iam_policy).toBeUndefined();
  });

  it('adds kms:Decrypt on the secret key, through Secrets Manager only, when a customer-managed key encrypts the secret (prod)', () => {
    const { warnings, doc } = synthWithPolicyCheck(seedProd);
    expect(warnings).toEqual([]);
    const policies = Object.values(resourcesOf(doc, 'aws_iam_policy'));
    // Besides the policies that let the roles decrypt their environment variables through Lambda,
    // and the migration function's least-privilege read of the secret.
    expect(policies.map((p) => p.name).sort()).toEqual([
      'workshop-prod-db-migrate-decrypt-lambda-environment',
      'workshop-prod-db-migrate-read-db-secret',
      'workshop-prod-decrypt-db-secret',
      'workshop-prod-decrypt-lambda-environment',
    ]);
    const secretDecrypt = policies.find((p) => p.name === 'workshop-prod-decrypt-db-secret')!;
    expect(JSON.parse(secretDecrypt.policy as string).Statement).toEqual([
      expect.objectContaining({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-southeast-1.amazonaws.com' } } }),
    ]);
  });

  describe('in npm run policy', () => {
    const reports = policyReports({}, [seedDev]);
    const devReport = reports.find((r) => r.stack === 'dev')!;

    it('shows the findings of that policy, and only those, as suppressed with the reason', () => {
      const suppressed = devReport.report.results.filter((r) => r.status === 'suppressed' && r.finding === SEED_POLICY);
      expect(suppressed.map((r) => r.ruleId).sort()).toEqual(SEED_RULES);
      for (const r of suppressed) {
        expect(r).toMatchObject({ constructPath: 'dev/function/policy-SecretsManagerReadWrite', reason: PROFILE_EXCEPTIONS.workshop.secretsManagerReadWrite });
      }
      expect(devReport.report.results.filter((r) => r.status === 'fail')).toEqual([]);
      expect(devReport.report.problems).toEqual([]);
    });

    it('prints each as a "suppressed: <reason>" row and counts them in the summary', () => {
      const rows = tableRows([devReport], true).filter((row) => row[2].endsWith(`[${SEED_POLICY}]`));
      expect(rows.map((row) => [row[1], row[3]])).toEqual(
        SEED_RULES.map((id) => [id, `suppressed: ${PROFILE_EXCEPTIONS.workshop.secretsManagerReadWrite}`]),
      );
      // dev's own exceptions (pinned in environments.test.ts) and the 4 of the seed's policy.
      const shipped = policyReports({}).find((r) => r.stack === 'dev')!.report.results.filter((r) => r.status === 'suppressed').length;
      expect(summaryLine(devReport)).toMatch(new RegExp(`^dev: \\d+ pass, \\d+ not applicable, ${shipped + 4} suppressed, 0 fail, 0 bad suppressions: clean$`));
    });
  });
});

describe('every value the schema accepts synthesizes through the policy check', () => {
  const options = enumLikeOptions(environmentSchema);

  it('finds the enum-like options of the schema', () => {
    expect(options.map((o) => o.field).sort()).toEqual(
      [
        'account',
        'alerts.email',
        'alerts.enabled',
        'customerManagedKey',
        'database.applyImmediately',
        'database.autoMinorVersionUpgrade',
        'database.deletionProtection',
        'database.multiAz',
        'database.secretRotation.rotateImmediately',
        'database.skipFinalSnapshot',
        'deployRoleArn',
        'functions.0.databaseAuth',
        'functions.0.databaseRole',
        'functions.0.reservedConcurrentExecutions',
        'lambda.architecture',
        'lambda.runtime',
        'lambda.secretAccess',
        'lambda.tracingMode',
        'migrations.enabled',
        'network.flowLogTrafficType',
        'profile',
        'seedNames',
      ].sort(),
    );
  });

  // The shipped values themselves are covered by __tests__/policy/environments.test.ts.
  const cases = [dev, prod].flatMap((base) =>
    options.flatMap(({ field, values }) =>
      values
        .filter((value) => valueAt(base, field) !== value)
        .map((value) => [base.environment, field, JSON.stringify(value), withField(base, field, value) as EnvironmentConfig] as const),
    ),
  );

  /**
   * Combinations the schema accepts field by field but the cross-field validation refuses, with a
   * message naming the field, before anything is built: prod's `workshop-prod` prefix cannot give
   * the seed's names, and a major-only engine version needs auto minor upgrades.
   */
  const REFUSED: Readonly<Record<string, RegExp>> = {
    'prod account null': /account: received null; allowed: the 12-digit id of the AWS account/,
    // dev's workshop settings under the production profile, without an account.
    'dev profile "production"': /account: received null; allowed: the 12-digit id of the AWS account/,
    'prod seedNames true': /seedNames: received true; allowed: false, or a configuration that gives the seed's names/,
    // Without a pinned minor version (the shipped "17"), auto minor upgrades must stay on.
    'dev database.autoMinorVersionUpgrade false': /database\.autoMinorVersionUpgrade: received false; allowed: true with a major-only database\.engineVersion/,
    'prod database.autoMinorVersionUpgrade false': /database\.autoMinorVersionUpgrade: received false; allowed: true with a major-only database\.engineVersion/,
    // IAM authentication needs a role, which only migrations create; the master user's login needs none.
    'dev functions.0.databaseAuth "iam"': /functions\.0\.databaseRole: received null; allowed: with databaseAuth "iam", a role a migration/,
    'prod functions.0.databaseAuth "master-secret"': /functions\.0\.databaseRole: received "app_reader"; allowed: null with databaseAuth "master-secret"/,
    'prod functions.0.databaseRole null': /functions\.0\.databaseRole: received null; allowed: with databaseAuth "iam", a role a migration/,
    'prod lambda.secretAccess "SecretsManagerReadWrite"': /lambda\.secretAccess: received "SecretsManagerReadWrite"; allowed: "least-privilege" while no function has databaseAuth "master-secret"/,
    'prod migrations.enabled false': /migrations\.enabled: received false; allowed: true: functions\.0 \("db-health"\) logs in as "app_reader"/,
  };

  /**
   * Protections the production profile holds an environment to (issue: the gate follows the
   * profile, not the configuration): turning one off in prod fails synth naming the control's rule,
   * and a waiver of the rules it reports lets it pass.
   */
  const GATED: Readonly<Record<string, string>> = {
    'prod database.multiAz false': 'WB-RDS-MULTI-AZ',
    'prod database.deletionProtection false': 'WB-RDS-DELETION-PROTECTION',
    'prod database.skipFinalSnapshot true': 'WB-RDS-FINAL-SNAPSHOT',
    'prod customerManagedKey false': 'WB-RDS-SECRET-CMK',
    'prod alerts.enabled false': 'WB-CLOUDWATCH-MONITORED',
    'prod functions.0.reservedConcurrentExecutions null': 'WB-LAMBDA-RESERVED-CONCURRENCY',
    'prod network.flowLogTrafficType "ACCEPT"': 'WB-VPC-FLOW-LOGS',
    'prod network.flowLogTrafficType "REJECT"': 'WB-VPC-FLOW-LOGS',
  };

  it.each(cases)('%s with %s = %s', (env, field, value, config) => {
    const key = `${env} ${field} ${value}`;
    const refusal = REFUSED[key];
    const gated = GATED[key];
    if (refusal) {
      expect(() => synthWithPolicyCheck(config)).toThrow(refusal);
    } else if (gated) {
      let message = '';
      try {
        synthWithPolicyCheck(config);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(`Policy check failed for stack "${env}"`);
      expect(message).toContain(`[${gated}]`);
      const ruleIds = [...new Set([...message.matchAll(/^ {2}- \[(WB-[A-Z0-9-]+)\]/gm)].map((m) => m[1]))];
      const waived = { ...config, waivers: ruleIds.map((ruleId) => ({ ruleId, reason: 'Accepted for this test by the platform team, until the date below.', expires: '2999-12-31' })) };
      expect(synthWithPolicyCheck(waived).warnings).toEqual([]);
    } else {
      expect(synthWithPolicyCheck(config).warnings).toEqual([]);
    }
  });
});
