/**
 * Change impact: what the real AWS provider plans for each day-2 change, against the state our own
 * baseline plan leaves when applied (AWS mocked: tools/offline-plan.ts plans with
 * `-refresh=false` and a loopback STS; __tests__/support/prior-state.ts fills the values AWS
 * would have returned). The provider's ForceNew and CustomizeDiff decide replace or update. The
 * provider is the mirror's when one is found (5.100.0 here, older than our 6.25.0 pin), else the
 * registry's; docs/day-2.md lists the changes and what each plan shows.
 *
 * Each terraform command that loads the provider costs seconds of CPU, so the plans are batched
 * (support/batched-plan.ts): one plan for the baselines (dev, the stack deployed before the day-2
 * changes, prod), one for every scenario against them, each a child module of one root
 * configuration; only the managed-password switch, whose plan is expected to fail, is a plan of
 * its own.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dev, prod } from '../support/environments';
import { validateEnvironmentConfig } from '../../config/schema';
import type { EnvironmentConfig } from '../../config/types';
import { UserError } from '../../config/errors';
import { maxLambdaConnections } from '../../config/derived';
import { Database, DATABASE_SECURITY_GROUP_DESCRIPTION } from '../../stacks/constructs/database';
import { EXIT_CODES, main as planReview, rebootCommand, renderMarkdown, reviewPlan } from '../../tools/plan-review';
import { changesOf, describeWithProvider, OfflinePlanError, OfflinePlanner, PROVIDER_SOURCE, type FullPlan } from '../support/offline-terraform';
import { scratchDir } from '../support/scratch';
import { synthStack, withField } from '../support/synth';

const SLOW = 600_000;

const docOf = (config: EnvironmentConfig): Record<string, any> => JSON.parse(synthStack(config).json);
const changed = (field: string, value: unknown): EnvironmentConfig => withField(dev, field, value) as EnvironmentConfig;
/** prod with each of `fields` (dotted paths) set, validated as a deploy would validate it. */
const prodWith = (fields: Record<string, unknown>): EnvironmentConfig =>
  validateEnvironmentConfig(Object.entries(fields).reduce<unknown>((config, [field, value]) => withField(config, field, value), prod));

/** The address of the one resource of `type` in `doc` (whose name matches `name` when given). */
function addressOf(doc: Record<string, any>, type: string, name?: RegExp): string {
  const names = Object.keys(doc.resource[type] ?? {}).filter((n) => name === undefined || name.test(n));
  if (names.length !== 1) throw new Error(`expected one ${type}${name ? ` matching ${name}` : ''}, found ${names.length}`);
  return `${type}.${names[0]}`;
}

/** The state resource of `address`, for editing a prior state. */
function stateResource(state: any, address: string): { attributes: Record<string, any> } {
  const [type, name] = address.split('.');
  return state.resources.find((r: any) => r.type === type && r.name === name).instances[0];
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value));
const change = (plan: FullPlan, address: string) => plan.resource_changes.find((rc) => rc.address === address)!.change as any;

const planner = PROVIDER_SOURCE ? new OfflinePlanner(PROVIDER_SOURCE) : undefined;
afterAll(() => planner?.close());

const devDoc = docOf(dev);
const prodDoc = docOf(prod);
const instance = addressOf(devDoc, 'aws_db_instance');
const parameterGroup = addressOf(devDoc, 'aws_db_parameter_group');
const dbSecurityGroup = addressOf(devDoc, 'aws_security_group', /^database_/);

/** dev as deployed before the day-2 changes: a fixed parameter group name, the port in the security group's description. */
function deployedBeforeDoc(): Record<string, any> {
  const old = copy(devDoc);
  const [groupType, groupName] = parameterGroup.split('.');
  const group = old.resource[groupType][groupName];
  delete group.name_prefix;
  group.name = 'workshop-backend-postgres17';
  group.parameter = [{ name: 'rds.force_ssl', value: '1', apply_method: 'immediate' }];
  const [sgType, sgName] = dbSecurityGroup.split('.');
  old.resource[sgType][sgName].description = 'RDS PostgreSQL: admits 5432 only from the Lambda security group';
  return old;
}

/**
 * Every plan of this file: the baselines (applied as prior states) in one batch, then every
 * scenario in one batch against them, and beside it the managed-password switch on its own.
 * Started by the first describe that needs it, at most once.
 */
async function planAll() {
  await planner!.start();
  const baselines = await planner!.appliedStates({ dev: devDoc, deployedBefore: deployedBeforeDoc(), prod: prodDoc });
  const applied = baselines.dev.state;
  const minorMoved = copy(applied);
  stateResource(minorMoved, instance).attributes.engine_version_actual = '17.7';
  const passwordSwitch = copy(applied);
  Object.assign(stateResource(passwordSwitch, instance).attributes, { manage_master_user_password: null, password: 'an-old-password', master_user_secret: [] });
  // What a refresh reads after step 1 (the AWS CLI switched the instance): the secret exists;
  // the old password stays in the state, since AWS never returns it.
  const afterStep1 = copy(applied);
  stateResource(afterStep1, instance).attributes.password = 'an-old-password';
  // Its own plan: the error it is expected to end with would fail a batch.
  const passwordSwitchPlan = planner!.plan(devDoc, { priorState: passwordSwitch });
  passwordSwitchPlan.catch(() => undefined);
  const { plans } = await planner!.planEach({
    noChange: { doc: devDoc, priorState: applied },
    minorMoved: { doc: devDoc, priorState: minorMoved },
    major: { doc: docOf(changed('database.engineVersion', '18')), priorState: applied },
    port: { doc: docOf(changed('database.port', 5433)), priorState: applied },
    replaceGroup: { doc: devDoc, priorState: applied, planArgs: [`-replace=${parameterGroup}`] },
    passwordStep2: { doc: devDoc, priorState: afterStep1 },
    replaceSecurityGroup: { doc: devDoc, priorState: applied, planArgs: [`-replace=${dbSecurityGroup}`] },
    deployedBefore: { doc: devDoc, priorState: baselines.deployedBefore.state },
    prod: { doc: prodDoc, priorState: baselines.prod.state },
    prodConnections: { doc: docOf(prodWith({ 'database.maxConnections': 440, 'functions.0.reservedConcurrentExecutions': 420 })), priorState: baselines.prod.state },
    prodConnectionsStep1: { doc: docOf(prodWith({ 'database.maxConnections': 440 })), priorState: baselines.prod.state },
  });
  return { baselines, plans, passwordSwitch: passwordSwitchPlan };
}
let all: ReturnType<typeof planAll> | undefined;
const plansOfFile = (): ReturnType<typeof planAll> => {
  if (all === undefined) {
    all = planAll();
    all.catch(() => undefined);
  }
  return all;
};
/** The plan of one scenario of the batch. */
const scenario = async (name: keyof Awaited<ReturnType<typeof planAll>>['plans']) => (await plansOfFile()).plans[name];

describeWithProvider(`change impact on dev, planned by the real provider against a mocked AWS (${PROVIDER_SOURCE?.version ?? 'none'})`, () => {
  beforeAll(() => {
    plansOfFile();
  });

  it('plans no change against the state of its own applied baseline (the prior state is faithful)', async () => {
    const { plan } = await scenario('noChange');
    expect(changesOf(plan)).toEqual([]);
  }, SLOW);

  it('a major engineVersion with auto minor upgrades stays settled after RDS moves the instance to a new minor', async () => {
    const { plan } = await scenario('minorMoved');
    expect(changesOf(plan)).toEqual([]);
  }, SLOW);

  it('rejects a pinned minor with auto minor upgrades before anything is planned, naming the field', () => {
    expect(() => validateEnvironmentConfig(changed('database.engineVersion', '17.6'))).toThrow(UserError);
    expect(() => validateEnvironmentConfig(changed('database.engineVersion', '17.6'))).toThrow(/database\.engineVersion: received "17\.6"/);
  });

  it('upgrades a major version in place: a new parameter group first, allow_major_version_upgrade, needs attention but is not blocked', async () => {
    const { plan } = await scenario('major');
    expect(changesOf(plan).sort()).toEqual([
      ['create,delete', parameterGroup],
      ['update', instance],
    ]);
    const db = change(plan, instance);
    expect(db.after).toMatchObject({ engine_version: '18', allow_major_version_upgrade: true, apply_immediately: true });
    expect(db.after_unknown.parameter_group_name).toBe(true);
    const group = change(plan, parameterGroup);
    expect(group.after).toMatchObject({ family: 'postgres18', name_prefix: 'workshop-backend-postgres18-' });
    expect(group.after_unknown.name).toBe(true);
    const review = reviewPlan(plan);
    expect(review.blocking).toEqual([]);
    expect(review.attention.find((c) => c.address === instance)?.attention).toEqual([
      expect.stringMatching(/^engine major-version upgrade 17 -> 18: RDS takes the instance offline/),
    ]);
    expect(review.attention.find((c) => c.address === parameterGroup)?.attention).toEqual([
      `replaced before it is deleted (create_before_destroy): ${instance} moves to the new one first`,
    ]);
    expect(renderMarkdown(review, 'dev')).toContain(`> **Needs attention** (does not block): 2 change(s)`);
  }, SLOW);

  it('changes the port without replacing any security group: the instance and the two rules update in place', async () => {
    const { plan } = await scenario('port');
    const changes = changesOf(plan);
    expect(changes.filter(([, address]) => address.startsWith('aws_security_group.'))).toEqual([]);
    expect(changes.filter(([actions]) => actions !== 'update')).toEqual([]);
    expect(changes.map(([, address]) => address.split('.')[0]).sort()).toEqual(
      ['aws_db_instance', 'aws_lambda_function', 'aws_vpc_security_group_egress_rule', 'aws_vpc_security_group_ingress_rule'].sort(),
    );
    expect(change(plan, instance).after.port).toBe(5433);
    expect(reviewPlan(plan).blocking).toEqual([]);
  }, SLOW);

  it('replaces the parameter group for any reason without a name collision: create first, under a new generated name', async () => {
    const { plan } = await scenario('replaceGroup');
    expect(changesOf(plan).sort()).toEqual([
      ['create,delete', parameterGroup],
      ['update', instance],
    ]);
    const group = change(plan, parameterGroup);
    expect(group.before.name).toMatch(/^workshop-backend-postgres17-/);
    expect(group.after_unknown.name).toBe(true);
    expect(reviewPlan(plan).blocking).toEqual([]);
  }, SLOW);

  it('switching an existing instance to the managed password fails in one plan (empty master_user_secret), and plans cleanly after the documented first step', async () => {
    const failure = await (await plansOfFile()).passwordSwitch.then(
      () => undefined,
      (error: OfflinePlanError) => error,
    );
    expect(failure?.step).toBe('plan');
    expect(failure?.errors).toContainEqual(
      expect.stringMatching(/^Invalid index: The given key does not identify an element in this collection value: the collection has no elements\. \(aws_iam_policy\.database_secret-read-policy_/),
    );
    // Step 2, after step 1: the full plan resolves every reference; it only drops the old password from the state.
    const { plan: step2 } = await scenario('passwordStep2');
    expect(changesOf(step2)).toEqual([['update', instance]]);
    const db = change(step2, instance);
    const differing = Object.keys(db.after).filter((k) => JSON.stringify(db.after[k]) !== JSON.stringify(db.before[k]));
    expect(differing).toEqual(['password']);
    expect(db.after.password).toBeNull();
  }, SLOW);

  it('plan:review blocks a plan that replaces the database security group (delete, then create) while the instance updates in place', async () => {
    const { plan } = await scenario('replaceSecurityGroup');
    expect(plan.resource_changes.find((rc) => rc.address === dbSecurityGroup)?.change.actions).toEqual(['delete', 'create']);
    expect(changesOf(plan)).toContainEqual(['update', instance]);
    const review = reviewPlan(plan);
    expect(review.blocking.map((c) => [c.address, c.protectedBecause])).toEqual([
      [dbSecurityGroup, `referenced by ${instance}, which still uses it when it is deleted`],
    ]);
    const file = path.join(scratchDir('blocked-plan-'), 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    let stderr = '';
    expect(planReview(['--stack', 'dev', file], { stdout: () => undefined, stderr: (t) => (stderr += t) })).toBe(EXIT_CODES.blocked);
    expect(stderr).toBe(`plan-review: blocked: deletes or replaces protected ${dbSecurityGroup}\n`);
  }, SLOW);

  it('the day-2 change itself applies to a stack deployed before it: the parameter group moves to a generated name, no security group is replaced', async () => {
    // Planned against the applied baseline of deployedBeforeDoc() (above).
    const { plan } = await scenario('deployedBefore');
    expect(changesOf(plan).filter(([actions]) => actions !== 'update')).toEqual([['create,delete', parameterGroup]]);
    expect(changesOf(plan).map(([, address]) => address)).not.toContain(dbSecurityGroup);
    expect(DATABASE_SECURITY_GROUP_DESCRIPTION).not.toContain('5432');
    expect(reviewPlan(plan).blocking).toEqual([]);
  }, SLOW);
});

describeWithProvider('change impact on prod: the final snapshot name', () => {
  const prodInstance = addressOf(prodDoc, 'aws_db_instance');
  beforeAll(() => {
    plansOfFile();
  });

  it('is computed when the instance is created, and later plans keep it (no change every plan)', async () => {
    const { state, baseline } = (await plansOfFile()).baselines.prod;
    expect(change(baseline, prodInstance).after_unknown.final_snapshot_identifier).toBe(true);
    const identifier = stateResource(state, prodInstance).attributes.final_snapshot_identifier;
    expect(identifier).toMatch(/^workshop-prod-backend-db-final-\d{14}$/);
    // Planned against that state, in the batch of scenarios.
    const { plan } = await scenario('prod');
    expect(changesOf(plan)).toEqual([]);
  }, SLOW);
});

describeWithProvider('change impact on prod: max_connections and the reserved concurrency', () => {
  const prodGroup = addressOf(prodDoc, 'aws_db_parameter_group');
  const prodFunction = addressOf(prodDoc, 'aws_lambda_function', /^function_/);
  const reboot = rebootCommand(Database.identifier(prod.namePrefix));
  beforeAll(() => {
    plansOfFile();
  });

  it('refuses raising the reserved concurrency beyond the max_connections the instance runs with until the reboot that the parameter change waits for', async () => {
    // Validation passes it: 420 is within the new budget of 440 less the connections kept free.
    const { plan } = await scenario('prodConnections');
    expect(change(plan, prodGroup).after.parameter).toContainEqual({ name: 'max_connections', value: '440', apply_method: 'pending-reboot' });
    expect(change(plan, prodFunction).after.reserved_concurrent_executions).toBe(420);
    const review = reviewPlan(plan);
    expect(review.blocking.map((c) => c.address)).toEqual([prodFunction]);
    const running = prod.database.maxConnections;
    expect(review.blocking[0].refusedBecause).toMatch(
      new RegExp(`^reserved concurrency ${prod.functions[0].reservedConcurrentExecutions} -> 420 is more than the database serves until it reboots: .* runs with max_connections ${running} \\(${maxLambdaConnections(running)} for Lambda containers`),
    );
    expect(review.attention.find((c) => c.address === prodGroup)?.attention).toEqual([expect.stringContaining(`max_connections ${running} -> 440 waits for a reboot (apply_method pending-reboot)`)]);
    expect(renderMarkdown(review, 'prod')).toContain(`\`${reboot}\``);
  }, SLOW);

  it('passes the first of the two steps, the max_connections change alone, naming the reboot it needs', async () => {
    const { plan } = await scenario('prodConnectionsStep1');
    const review = reviewPlan(plan);
    expect(review.blocking).toEqual([]);
    expect(review.attention.find((c) => c.address === prodGroup)?.attention).toEqual([
      expect.stringMatching(new RegExp(`^max_connections ${prod.database.maxConnections} -> 440 waits for a reboot.*\`${reboot}\`$`)),
    ]);
  }, SLOW);
});

