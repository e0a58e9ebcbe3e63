/**
 * The moto gaps: every place where moto, the local AWS API `npm run rehearse` applies our stacks
 * against, answers differently from AWS in a way the rehearsal must work around. This table is the
 * one place that names them. The overrides the rehearsal writes, the moto server's environment and
 * configuration, the state entries removed before destroy, what the strict re-plan must show and the probes that
 * check a gap is still there are all derived from it; docs/rehearsal.md points here.
 *
 * Seen with moto {@link MOTO_VERSION} and hashicorp/aws 5.100.0 (the local mirror's provider,
 * older than the pin; tools/offline-plan.ts). Each gap carries its evidence, checked on every run:
 * - `strict-plan`: a second re-plan without the gap's override shows exactly these attributes;
 * - `probe`: a few SDK calls against a moto server of the run show the behaviour;
 * - `deployed-function`: the function check sees it in what moto returns for the deployed functions,
 *   or in what Terraform recorded of them.
 * A gap whose evidence is gone fails the rehearsal, so that the table only shrinks after a moto
 * upgrade, and a diff no gap explains fails it as a perpetual diff of our own.
 */
import { GetPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateDBInstanceCommand, DeleteDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CancelRotateSecretCommand, CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsErrorCode, clientConfig, httpStatusOf, type MotoTarget } from './aws-clients';
import { getMotoConfig } from './moto-server';

/** The moto release the table was made with; CI installs exactly this one (`moto[server]==5.2.1`). */
export const MOTO_VERSION = '5.2.1';

/** The body of one resource in a synthesized stack (cdk.tf.json), loosely typed. */
export type ResourceBody = Record<string, any>;

/** What the rehearsal does about a gap. */
export type GapOverride =
  /** Environment variables of every moto server the rehearsal starts for a stack. */
  | { readonly kind: 'moto-environment'; readonly variables: Readonly<Record<string, string>> }
  /**
   * Settings POSTed to `/moto-api/config` of every moto server the rehearsal starts for a stack,
   * once it accepts connections and before anything is created on it (./moto-server.ts).
   */
  | { readonly kind: 'moto-config'; readonly config: Readonly<Record<string, Readonly<Record<string, unknown>>>> }
  /**
   * Settings of the AWS provider in the override; the strict re-plan uses `strictSettings`
   * instead, where the gap shows again.
   */
  | { readonly kind: 'provider-setting'; readonly settings: Readonly<Record<string, unknown>>; readonly strictSettings: Readonly<Record<string, unknown>> }
  /** `lifecycle.ignore_changes` on every resource of each type (added to the stack's own list). */
  | { readonly kind: 'ignore-changes'; readonly attributes: Readonly<Record<string, readonly string[]>> }
  /** `terraform state rm` of every resource of these types before `terraform destroy`. */
  | { readonly kind: 'state-rm-before-destroy'; readonly resourceTypes: readonly string[] }
  /** `count = 0` on every resource of these types: not created in the rehearsal. */
  | { readonly kind: 'not-created'; readonly resourceTypes: readonly string[] }
  /** Nothing to write: `why` says how the rehearsal avoids or tolerates the gap. */
  | { readonly kind: 'none'; readonly why: string };

/** Facts the function check gathers from moto about the deployed function. */
export interface DeployedFunctionFacts {
  /** `Code.Location` of GetFunction. */
  readonly codeLocation: string | undefined;
  /** The moto server's endpoint. */
  readonly endpoint: string;
  /** `username` in the RDS-managed secret. */
  readonly secretUsername: string;
  /** `username` of the stack's `aws_db_instance`. */
  readonly configuredUsername: string;
  /**
   * The stack's migration invocation as Terraform recorded it after apply (`aws_lambda_invocation`
   * in state): the `input` it sent and the `result` moto's Invoke answered.
   * @default - the stack has no migration invocation
   */
  readonly migrationInvocation?: { readonly input: string; readonly result: string };
}

/** How a run sees that a gap is still there. */
export type GapEvidence =
  /**
   * The strict re-plan shows, per resource type, the attributes this function returns for a
   * resource's configuration (an empty list when the resource does not use what the gap is about).
   */
  | { readonly kind: 'strict-plan'; readonly diffs: Readonly<Record<string, (body: ResourceBody) => readonly string[]>> }
  /**
   * A few SDK calls against `target`, a moto server started without
   * {@link motoEnvironment}'s variables and {@link motoConfig}'s settings, that leave nothing behind. Resolves with what was seen
   * when the gap is still there, undefined when it is gone.
   */
  | { readonly kind: 'probe'; readonly run: (target: MotoTarget) => Promise<string | undefined> }
  /**
   * True while the gap is still there; undefined when the stack has nothing the gap is about (a
   * stack without a migration invocation, say).
   */
  | { readonly kind: 'deployed-function'; readonly check: (facts: DeployedFunctionFacts) => boolean | undefined };

/** One moto gap. */
export interface MotoGap {
  /** Short, stable, kebab-case id; printed by the rehearsal. */
  readonly id: string;
  /** What moto does, and what AWS does instead. */
  readonly behaviour: string;
  /** What the gap would do to a rehearsal without the override. */
  readonly consequence: string;
  readonly override: GapOverride;
  readonly evidence: GapEvidence;
}

const SECURITY_GROUP_RULE_TYPES = ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'] as const;

/** `attribute` when `body` sets it (not null, not an empty list), else nothing. */
const ifSet =
  (...attributes: string[]) =>
  (body: ResourceBody): string[] =>
    attributes.filter((a) => body[a] !== undefined && body[a] !== null && !(Array.isArray(body[a]) && body[a].length === 0));

/** A name no stack uses, for the probes' own resources. */
const PROBE_NAME = 'rehearsal-gap-probe';

/** Resolves with the AWS error code `work` fails with, or undefined when it succeeds. */
async function failureCode(work: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await work();
    return undefined;
  } catch (error) {
    return `${awsErrorCode(error) ?? 'error'} (HTTP ${httpStatusOf(error) ?? '?'})`;
  }
}

/**
 * The gaps: issue 18's ten first, in its order (its item 7 is two rows here, rules and cancel),
 * then those the rehearsal found since.
 */
export const MOTO_GAPS: readonly MotoGap[] = [
  {
    id: 'iam-managed-policies',
    behaviour: 'AWS-managed IAM policies (arn:aws:iam::aws:policy/...) exist only when the server starts with MOTO_IAM_LOAD_MANAGED_POLICIES=true; AWS always has them.',
    consequence: 'Attaching AWSLambdaVPCAccessExecutionRole fails with NoSuchEntity.',
    override: { kind: 'moto-environment', variables: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } },
    evidence: {
      kind: 'probe',
      run: async (target) => {
        const iam = new IAMClient(clientConfig(target));
        const code = await failureCode(() => iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' })));
        iam.destroy();
        return code?.startsWith('NoSuchEntity') ? `GetPolicy of an AWS-managed policy without the variable: ${code}` : undefined;
      },
    },
  },
  {
    id: 'sg-rule-account-prefix',
    behaviour:
      'With skip_requesting_account_id = true the provider reads a rule\'s referenced_security_group_id back as "<account>/sg-..." from moto; with the account looked up through moto\'s STS it reads "sg-...", as from AWS.',
    consequence: 'A diff on every re-plan of each security group rule that references a group.',
    override: { kind: 'provider-setting', settings: { skip_requesting_account_id: false }, strictSettings: { skip_requesting_account_id: true } },
    evidence: { kind: 'strict-plan', diffs: Object.fromEntries(SECURITY_GROUP_RULE_TYPES.map((t) => [t, ifSet('referenced_security_group_id')])) },
  },
  {
    id: 'sg-rule-description',
    behaviour: "AuthorizeSecurityGroupIngress/Egress keep no rule description: DescribeSecurityGroupRules returns none. AWS keeps it. A second apply converges.",
    consequence: 'Each rule with a description shows it as added on every re-plan.',
    override: { kind: 'ignore-changes', attributes: Object.fromEntries(SECURITY_GROUP_RULE_TYPES.map((t) => [t, ['description']])) },
    evidence: { kind: 'strict-plan', diffs: Object.fromEntries(SECURITY_GROUP_RULE_TYPES.map((t) => [t, ifSet('description')])) },
  },
  {
    id: 'rds-performance-insights',
    behaviour: "moto's RDS has no Performance Insights: an instance reads back performance_insights_enabled = false, retention 0, no key.",
    consequence: 'Every instance with Performance Insights on shows it being turned on again on every re-plan.',
    override: {
      kind: 'ignore-changes',
      attributes: { aws_db_instance: ['performance_insights_enabled', 'performance_insights_retention_period', 'performance_insights_kms_key_id'] },
    },
    evidence: {
      kind: 'strict-plan',
      diffs: {
        aws_db_instance: (body) =>
          body.performance_insights_enabled === true ? ['performance_insights_enabled', ...ifSet('performance_insights_retention_period', 'performance_insights_kms_key_id')(body)] : [],
      },
    },
  },
  {
    id: 'rds-parameter-source',
    behaviour: 'DescribeDBParameters returns no Source, so the provider cannot tell user parameters from engine defaults and drops them from state. AWS returns Source = user.',
    consequence: 'Every parameter group with parameters shows them being added on every re-plan.',
    override: { kind: 'ignore-changes', attributes: { aws_db_parameter_group: ['parameter'] } },
    evidence: { kind: 'strict-plan', diffs: { aws_db_parameter_group: ifSet('parameter') } },
  },
  {
    id: 'lambda-logging-kms',
    behaviour: 'GetFunction returns no LoggingConfig and no KMSKeyArn. AWS returns both.',
    consequence: "A function's logging_config, and kms_key_arn when set, show as changed on every re-plan.",
    override: { kind: 'ignore-changes', attributes: { aws_lambda_function: ['logging_config', 'kms_key_arn'] } },
    evidence: { kind: 'strict-plan', diffs: { aws_lambda_function: ifSet('logging_config', 'kms_key_arn') } },
  },
  {
    id: 'secret-rotation-rules',
    behaviour: 'RotateSecret stores only AutomaticallyAfterDays of the rotation rules: ScheduleExpression and Duration read back empty. AWS stores all three.',
    consequence: 'A rotation on a schedule expression or with a window shows its rules as changed on every re-plan.',
    override: { kind: 'ignore-changes', attributes: { aws_secretsmanager_secret_rotation: ['rotation_rules'] } },
    evidence: {
      kind: 'strict-plan',
      diffs: {
        aws_secretsmanager_secret_rotation: (body) => {
          const rules = [body.rotation_rules ?? []].flat() as ResourceBody[];
          return rules.some((r) => r?.schedule_expression !== undefined || r?.duration !== undefined) ? ['rotation_rules'] : [];
        },
      },
    },
  },
  {
    id: 'secret-cancel-rotation',
    behaviour:
      'CancelRotateSecret is refused (InvalidRequestException) for a secret without a rotation Lambda, such as an RDS-managed secret rotated by RDS. AWS accepts it.',
    consequence: 'Destroying an aws_secretsmanager_secret_rotation fails; the secret itself goes with its DB instance.',
    override: { kind: 'state-rm-before-destroy', resourceTypes: ['aws_secretsmanager_secret_rotation'] },
    evidence: {
      kind: 'probe',
      run: async (target) => {
        const sm = new SecretsManagerClient(clientConfig(target));
        try {
          await sm.send(new CreateSecretCommand({ Name: PROBE_NAME, SecretString: '{}' }));
          const code = await failureCode(() => sm.send(new CancelRotateSecretCommand({ SecretId: PROBE_NAME })));
          return code?.startsWith('InvalidRequestException') ? `CancelRotateSecret without a rotation Lambda: ${code}` : undefined;
        } finally {
          await sm.send(new DeleteSecretCommand({ SecretId: PROBE_NAME, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
          sm.destroy();
        }
      },
    },
  },
  {
    id: 'rds-dbi-resource-id',
    behaviour: 'Every DB instance gets the same DbiResourceId, which the provider uses as the instance id. AWS gives each its own.',
    consequence: 'Two DB instances on one server overwrite each other in Terraform state.',
    override: { kind: 'none', why: 'one moto server per stack, and each stack has one DB instance' },
    evidence: {
      kind: 'probe',
      run: async (target) => {
        const rds = new RDSClient(clientConfig(target));
        const ids = [`${PROBE_NAME}-1`, `${PROBE_NAME}-2`];
        try {
          const created = await Promise.all(
            ids.map((id) => rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', AllocatedStorage: 20, MasterUsername: 'probe', MasterUserPassword: 'probe-password-1' }))),
          );
          const [a, b] = created.map((c) => c.DBInstance?.DbiResourceId);
          return a !== undefined && a === b ? `two instances, one DbiResourceId ${a}` : undefined;
        } finally {
          for (const id of ids) await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true })).catch(() => undefined);
          rds.destroy();
        }
      },
    },
  },
  {
    id: 's3-policy-condition',
    behaviour:
      'A bucket-policy Deny with any Condition denies every object request: moto passes no request context (aws:SecureTransport, ...) to the condition. AWS evaluates the condition.',
    consequence: "The state bucket's TLS-only policy refuses Terraform's state writes.",
    override: { kind: 'not-created', resourceTypes: ['aws_s3_bucket_policy'] },
    evidence: {
      kind: 'probe',
      run: async (target) => {
        const s3 = new S3Client(clientConfig(target));
        const bucket = `${PROBE_NAME}-policy`;
        try {
          await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: target.region as never } }));
          // A Condition that no request of the probe meets (it comes through no VPC endpoint): AWS
          // would not deny, whatever the transport.
          const policy = {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${bucket}/*`], Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-00000000000000000' } } }],
          };
          await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
          const code = await failureCode(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe', Body: 'x' })));
          return code !== undefined ? `PutObject under a Deny whose Condition the request does not meet: ${code}` : undefined;
        } finally {
          await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket })).catch(() => undefined);
          await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'probe' })).catch(() => undefined);
          await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
          s3.destroy();
        }
      },
    },
  },
  {
    id: 's3-empty-suspended-bucket',
    behaviour:
      'DeleteObjects in a bucket whose versioning is suspended and that holds delete markers fails with HTTP 500 (moto\'s FakeDeleteMarker has no dispose()). AWS deletes them. Destroying a versioned bucket with force_destroy goes this way: the versioning resource is destroyed (suspended) first.',
    consequence:
      'A versioned bucket that holds delete markers (the state bucket does, from every lock file) cannot be emptied and deleted through Terraform: destroy fails with HTTP 500.',
    override: { kind: 'none', why: 'nothing empties the state bucket: prevent_destroy keeps it, and it is an allowed leftover' },
    evidence: {
      kind: 'probe',
      run: async (target) => {
        const s3 = new S3Client(clientConfig(target));
        const bucket = `${PROBE_NAME}-versioned`;
        const versioning = (Status: 'Enabled' | 'Suspended') => s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status } }));
        const deleteEverything = async () => {
          const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
          const objects = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
          if (objects.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
        };
        try {
          await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: target.region as never } }));
          await versioning('Enabled');
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'state.tflock', Body: '{}' }));
          await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'state.tflock' }));
          await versioning('Suspended');
          const code = await failureCode(deleteEverything);
          return code !== undefined ? `DeleteObjects of a suspended bucket's versions and delete markers: ${code}` : undefined;
        } finally {
          // With versioning on again moto deletes them, so the probe leaves nothing behind.
          await versioning('Enabled').catch(() => undefined);
          await deleteEverything().catch(() => undefined);
          await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
          s3.destroy();
        }
      },
    },
  },
  {
    id: 'kms-default-key-manager',
    behaviour:
      'The default key moto makes behind an alias/aws/... alias (aws/secretsmanager for an RDS-managed secret without a key of ours) is a customer-managed key, "Default key". In AWS it is an AWS-managed key (KeyManager AWS).',
    consequence: 'It looks like a key the stack left behind.',
    override: { kind: 'none', why: 'the leftover check counts a key behind an alias/aws/... alias as AWS-managed (./leftovers.ts)' },
    evidence: {
      kind: 'probe',
      run: async (target) => {
        const kms = new KMSClient(clientConfig(target));
        try {
          const key = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }));
          return key.KeyMetadata?.KeyManager === 'CUSTOMER' ? `alias/aws/secretsmanager is ${key.KeyMetadata.KeyId}, KeyManager CUSTOMER ("${key.KeyMetadata.Description}")` : undefined;
        } finally {
          kms.destroy();
        }
      },
    },
  },
  {
    id: 'lambda-code-location',
    behaviour: "GetFunction's Code.Location is an amazonaws.com address that serves nothing; moto keeps the code only internally. AWS returns a presigned URL to the zip.",
    consequence: "The deployed code cannot be downloaded from moto's Lambda API.",
    override: { kind: 'none', why: "the function check runs the zip Terraform uploaded whose SHA-256 equals GetFunction's CodeSha256" },
    evidence: { kind: 'deployed-function', check: (facts) => facts.codeLocation === undefined || !facts.codeLocation.startsWith(facts.endpoint) },
  },
  {
    id: 'rds-secret-username',
    behaviour: 'The RDS-managed secret holds username "admin" and a fixed password, whatever the instance\'s username. AWS stores the instance\'s master username.',
    consequence: "The secret's username differs from the stack's; the handler reads it from the secret, so nothing breaks.",
    override: { kind: 'none', why: "the function check's PostgreSQL role is the secret's username and password" },
    evidence: { kind: 'deployed-function', check: (facts) => facts.secretUsername !== facts.configuredUsername },
  },
  {
    id: 'lambda-invoke-docker',
    behaviour:
      "moto's default Lambda backend (`lambda.use_docker: true`, moto/core/config.py) runs Invoke in a Docker container; without a Docker daemon, Invoke answers 200 with FunctionError \"Handled\" and the payload \"error running docker: ...\". No environment variable changes the backend; POST /moto-api/config with {\"lambda\": {\"use_docker\": false}} switches the server to the `awslambda_simple` backend, a separate store: a function created before the switch is not visible after it. AWS runs the function itself.",
    consequence: 'Applying an aws_lambda_invocation (the migration invocation) fails: "invoking Lambda Function (...): error running docker: ...".',
    override: { kind: 'moto-config', config: { lambda: { use_docker: false } } },
    evidence: {
      kind: 'probe',
      run: async (target) => {
        const config = await getMotoConfig(target.endpoint);
        return config.lambda?.use_docker === true ? `GET /moto-api/config of a server started without the switch: lambda ${JSON.stringify(config.lambda)}` : undefined;
      },
    },
  },
  {
    id: 'lambda-invoke-echo',
    behaviour:
      "The simple Lambda backend (moto gap lambda-invoke-docker's override) runs none of the function's code: Invoke answers 200 with the request's body as the payload (or, once, a result queued with POST /moto-api/static/lambda-simple/response), never a FunctionError (LambdaSimpleBackend.invoke, moto/awslambda_simple/models.py). AWS runs the code and returns its answer, or a FunctionError when it throws.",
    consequence:
      "An aws_lambda_invocation applies whatever the function would do: its result (the output migrations_result) is the input it sent, not the migration function's answer, and a failing migration cannot fail the apply.",
    override: {
      kind: 'none',
      why: "the function check runs the migration function's deployed code locally against PostgreSQL, with the input the invocation sent (./function-check.ts)",
    },
    evidence: {
      kind: 'deployed-function',
      check: (facts) => (facts.migrationInvocation === undefined ? undefined : sameJson(facts.migrationInvocation.result, facts.migrationInvocation.input)),
    },
  },
];

/** True when `a` and `b` are JSON texts of equal values (key order aside); false when either is not JSON. */
function sameJson(a: string, b: string): boolean {
  const canonical = (text: string): string | undefined => {
    try {
      return JSON.stringify(sortKeys(JSON.parse(text)));
    } catch {
      return undefined;
    }
  };
  const left = canonical(a);
  return left !== undefined && left === canonical(b);
}

/** `value` with the keys of every object in it sorted. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}

/** A gap by id; throws for an unknown id (a typo in code that names one). */
export function motoGap(id: string, gaps: readonly MotoGap[] = MOTO_GAPS): MotoGap {
  const gap = gaps.find((g) => g.id === id);
  if (gap === undefined) throw new Error(`no moto gap "${id}"; known: ${gaps.map((g) => g.id).join(', ')}`);
  return gap;
}

/** The environment variables every stack's moto server starts with. */
export function motoEnvironment(gaps: readonly MotoGap[] = MOTO_GAPS): Record<string, string> {
  return Object.assign({}, ...gaps.flatMap((g) => (g.override.kind === 'moto-environment' ? [g.override.variables] : [])));
}

/**
 * The settings every stack's moto server gets through POST /moto-api/config right after it starts,
 * merged per section (`{ lambda: { use_docker: false } }`).
 */
export function motoConfig(gaps: readonly MotoGap[] = MOTO_GAPS): Record<string, Record<string, unknown>> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const g of gaps) if (g.override.kind === 'moto-config') for (const [section, settings] of Object.entries(g.override.config)) Object.assign((merged[section] ??= {}), settings);
  return merged;
}

/** `lambda.use_docker = false (moto gap lambda-invoke-docker)`: each setting of {@link motoConfig} with its gap, joined; empty when none. */
export function describeMotoConfig(gaps: readonly MotoGap[] = MOTO_GAPS): string {
  return gaps
    .flatMap((g) =>
      g.override.kind === 'moto-config'
        ? Object.entries(g.override.config).flatMap(([section, settings]) => Object.entries(settings).map(([key, value]) => `${section}.${key} = ${JSON.stringify(value)} (moto gap ${g.id})`))
        : [],
    )
    .join(', ');
}

/** The provider settings the gaps need; with `strict`, the settings under which they show again. */
export function providerGapSettings(strict: boolean, gaps: readonly MotoGap[] = MOTO_GAPS): Record<string, unknown> {
  return Object.assign({}, ...gaps.flatMap((g) => (g.override.kind === 'provider-setting' ? [strict ? g.override.strictSettings : g.override.settings] : [])));
}

/** The synthesized document's resources, loosely typed. */
type Resources = Record<string, Record<string, ResourceBody>>;

/**
 * The override document (`*_override.tf.json`) with the gaps' resource overrides for `doc`:
 * `lifecycle.ignore_changes` (the stack's own list plus the gaps', since an override's
 * `ignore_changes` replaces the original's) and `count = 0`. With `strict`, only `count = 0`: the
 * strict re-plan sees every attribute. Returns an empty object when nothing applies.
 */
export function gapResourceOverride(doc: { resource?: Resources }, options: { strict?: boolean } = {}, gaps: readonly MotoGap[] = MOTO_GAPS): { resource?: Resources } {
  const resource: Resources = {};
  const body = (type: string, name: string): ResourceBody => ((resource[type] ??= {})[name] ??= {});
  for (const [type, byName] of Object.entries(doc.resource ?? {})) {
    for (const [name, original] of Object.entries(byName)) {
      const ignored = options.strict
        ? []
        : gaps.flatMap((g) => (g.override.kind === 'ignore-changes' ? (g.override.attributes[type] ?? []) : []));
      if (ignored.length > 0) {
        const own: unknown = original.lifecycle?.ignore_changes ?? [];
        const list = own === 'all' ? 'all' : [...new Set([...(own as string[]), ...ignored])];
        body(type, name).lifecycle = { ignore_changes: list };
      }
      if (gaps.some((g) => g.override.kind === 'not-created' && g.override.resourceTypes.includes(type))) body(type, name).count = 0;
    }
  }
  return Object.keys(resource).length > 0 ? { resource } : {};
}

/** The addresses of `doc` to `terraform state rm` before destroy, each with the gap that needs it. */
export function stateRmBeforeDestroy(doc: { resource?: Resources }, gaps: readonly MotoGap[] = MOTO_GAPS): { address: string; gap: string }[] {
  return gaps.flatMap((g) =>
    g.override.kind === 'state-rm-before-destroy'
      ? g.override.resourceTypes.flatMap((type) => Object.keys(doc.resource?.[type] ?? {}).map((name) => ({ address: `${type}.${name}`, gap: g.id })))
      : [],
  );
}

/** One attribute a plan changes on one resource. */
export interface AttributeDiff {
  readonly address: string;
  readonly attribute: string;
}

/** A diff the gaps explain, and which gap. */
export interface ExpectedDiff extends AttributeDiff {
  readonly gap: string;
}

/**
 * The attribute diffs the strict re-plan of `doc` must show: for every resource, what the
 * `strict-plan` evidence of each gap names for its configuration. Resources with `count = 0`
 * (a `not-created` gap) are left out.
 */
export function expectedStrictDiffs(doc: { resource?: Resources }, gaps: readonly MotoGap[] = MOTO_GAPS): ExpectedDiff[] {
  const notCreated = new Set(gaps.flatMap((g) => (g.override.kind === 'not-created' ? g.override.resourceTypes : [])));
  const expected: ExpectedDiff[] = [];
  for (const [type, byName] of Object.entries(doc.resource ?? {})) {
    if (notCreated.has(type)) continue;
    for (const [name, body] of Object.entries(byName)) {
      for (const gap of gaps) {
        if (gap.evidence.kind !== 'strict-plan') continue;
        for (const attribute of gap.evidence.diffs[type]?.(body) ?? []) expected.push({ address: `${type}.${name}`, attribute, gap: gap.id });
      }
    }
  }
  return expected;
}

/** The parts of `terraform show -json <plan>` read here. */
export interface PlanChanges {
  readonly resource_changes?: readonly {
    readonly address: string;
    readonly mode?: string;
    readonly change: { readonly actions: readonly string[]; readonly before?: unknown; readonly after?: unknown; readonly after_unknown?: unknown };
  }[];
}

/** One resource the plan changes. */
export interface PlannedChange {
  readonly address: string;
  /** `update`, `create`, `delete`, `create,delete` (a replacement), ... */
  readonly actions: string;
  /** The top-level attributes whose value changes (or becomes unknown). */
  readonly attributes: readonly string[];
}

/** The managed resources `plan` changes, with the top-level attributes that change. */
export function plannedChanges(plan: PlanChanges): PlannedChange[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => (rc.mode ?? 'managed') === 'managed' && !['no-op', 'read'].includes(rc.change.actions.join(',')))
    .map((rc) => {
      const before = (rc.change.before ?? {}) as Record<string, unknown>;
      const after = (rc.change.after ?? {}) as Record<string, unknown>;
      const unknown = (rc.change.after_unknown ?? {}) as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
      const attributes = keys.filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null) || unknown[k] === true).sort();
      return { address: rc.address, actions: rc.change.actions.join(','), attributes };
    });
}

/** How a strict re-plan compares with the gaps' expectations. */
export interface StrictComparison {
  /** Every expected diff the plan shows. */
  readonly explained: readonly ExpectedDiff[];
  /** Changes no gap explains: an action other than update, or an attribute no gap names. */
  readonly unexpected: readonly { readonly address: string; readonly actions: string; readonly attribute?: string }[];
  /** Expected diffs the plan does not show: the gap may be gone. */
  readonly missing: readonly ExpectedDiff[];
}

/** Compares the changes of a strict re-plan with the expected gap diffs. */
export function compareStrictPlan(changes: readonly PlannedChange[], expected: readonly ExpectedDiff[]): StrictComparison {
  const key = (d: AttributeDiff) => `${d.address}\u0000${d.attribute}`;
  const shown = new Set(changes.filter((c) => c.actions === 'update').flatMap((c) => c.attributes.map((attribute) => key({ address: c.address, attribute }))));
  const explainedKeys = new Set(expected.map(key));
  const unexpected = changes.flatMap((c) =>
    c.actions !== 'update'
      ? [{ address: c.address, actions: c.actions }]
      : c.attributes.filter((attribute) => !explainedKeys.has(key({ address: c.address, attribute }))).map((attribute) => ({ address: c.address, actions: c.actions, attribute })),
  );
  return {
    explained: expected.filter((d) => shown.has(key(d))),
    unexpected,
    missing: expected.filter((d) => !shown.has(key(d))),
  };
}
