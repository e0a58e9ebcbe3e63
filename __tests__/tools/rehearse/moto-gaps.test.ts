/**
 * The pure parts of the moto gap table (tools/rehearse/moto-gaps.ts): the overrides derived from
 * it, the diffs the strict re-plan must show for our stacks, and the comparison that fails on a new
 * diff or a gap that no longer shows. `npm run rehearse` runs them against moto.
 */
import { rehearsalOverride } from '../../../tools/rehearse/overrides';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { dev, prod } from '../../support/environments';
import {
  compareStrictPlan,
  expectedStrictDiffs,
  gapResourceOverride,
  MOTO_GAPS,
  describeMotoConfig,
  motoConfig,
  motoEnvironment,
  motoGap,
  plannedChanges,
  providerGapSettings,
  stateRmBeforeDestroy,
  type PlannedChange,
} from '../../../tools/rehearse/moto-gaps';
import { StateBootstrapStack } from '../../../stacks/state-bootstrap-stack';
import { synthStack, testApp } from '../../support/synth';

const devDoc = synthStack(dev).doc;
const prodDoc = synthStack(prod).doc;
const bootstrapDoc = JSON.parse(Testing.synth(new StateBootstrapStack(testApp(), 'state-bootstrap', { bucketName: 'acme-tfstate', region: 'ap-southeast-1' })));

/** `<address>.<attribute> <gap>` of each expected diff, sorted, with names shortened to their type. */
const summary = (doc: object) =>
  expectedStrictDiffs(doc)
    .map((d) => `${d.address.split('.')[0]}.${d.attribute} ${d.gap}`)
    .sort();

describe('the moto gap table', () => {
  it('gives each gap a unique kebab-case id, what moto does, and what that does to a rehearsal', () => {
    const ids = MOTO_GAPS.map((g) => g.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const gap of MOTO_GAPS) {
      expect(gap.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(gap.behaviour.length).toBeGreaterThan(20);
      expect(gap.consequence.length).toBeGreaterThan(10);
    }
  });

  it("ignores, for each gap with ignore_changes and a strict-plan check, at least the attributes the check expects", () => {
    for (const gap of MOTO_GAPS) {
      if (gap.override.kind !== 'ignore-changes' || gap.evidence.kind !== 'strict-plan') continue;
      for (const type of Object.keys(gap.evidence.diffs)) expect(Object.keys(gap.override.attributes)).toContain(type);
    }
  });

  it('names only gaps of the table wherever the rehearsal refers to one', () => {
    const dir = path.join(__dirname, '..', '..', '..', 'tools', 'rehearse');
    const referenced = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'moto-gaps.ts')
      .flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/moto gap ([a-z0-9]+(?:-[a-z0-9]+)+)/g)].map((m) => m[1]));
    expect(referenced.length).toBeGreaterThan(0);
    for (const id of referenced) expect(() => motoGap(id)).not.toThrow();
  });

  it('fails on an unknown gap id, listing the known ones', () => {
    expect(() => motoGap('no-such-gap')).toThrow(/no moto gap "no-such-gap"; known: iam-managed-policies, /);
  });
});

describe('the overrides derived from the table', () => {
  it('starts moto with the AWS-managed IAM policies loaded', () => {
    expect(motoEnvironment()).toEqual({ MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' });
  });

  it("switches every stack's moto Lambda to the simple backend, which runs no Docker, and names the gap in the start line", () => {
    expect(motoConfig()).toEqual({ lambda: { use_docker: false } });
    expect(describeMotoConfig()).toBe('lambda.use_docker = false (moto gap lambda-invoke-docker)');
  });

  it('has the provider look the account up, except in the strict re-plan', () => {
    expect(providerGapSettings(false)).toEqual({ skip_requesting_account_id: false });
    expect(providerGapSettings(true)).toEqual({ skip_requesting_account_id: true });
  });

  it("keeps a pinned stack's allowed_account_ids in every step but the strict re-plan, which has no account to check it against", () => {
    const options = { endpoint: 'http://127.0.0.1:1', backend: { kind: 'local' } as const, providerVersion: '5.100.0' };
    const provider = (strict: boolean) => (rehearsalOverride(prodDoc, { ...options, strict }).override.provider as { aws: Array<Record<string, unknown>> }).aws[0];
    expect(provider(false)).not.toHaveProperty('allowed_account_ids');
    expect(provider(true)).toHaveProperty('allowed_account_ids', null);
    expect((prodDoc as unknown as { provider: { aws: Array<Record<string, unknown>> } }).provider.aws[0].allowed_account_ids).toEqual([prod.account]);
  });

  it("adds the gaps' ignore_changes to the database's own, which the override would otherwise replace", () => {
    const override = gapResourceOverride(prodDoc) as any;
    const [name] = Object.keys(prodDoc.resource.aws_db_instance);
    expect(override.resource.aws_db_instance[name]).toEqual({
      lifecycle: {
        ignore_changes: ['final_snapshot_identifier', 'performance_insights_enabled', 'performance_insights_retention_period', 'performance_insights_kms_key_id'],
      },
    });
    const [group] = Object.keys(prodDoc.resource.aws_db_parameter_group);
    expect(override.resource.aws_db_parameter_group[group]).toEqual({ lifecycle: { ignore_changes: ['parameter'] } });
  });

  it('drops every ignore_changes in the strict re-plan, and keeps the state bucket policy out either way', () => {
    expect(gapResourceOverride(prodDoc, { strict: true })).toEqual({});
    const [policy] = Object.keys(bootstrapDoc.resource.aws_s3_bucket_policy);
    for (const strict of [false, true]) {
      expect(gapResourceOverride(bootstrapDoc, { strict })).toEqual({ resource: { aws_s3_bucket_policy: { [policy]: { count: 0 } } } });
    }
  });

  it('removes the secret rotation from state before destroy, and nothing else', () => {
    const [rotation] = Object.keys(prodDoc.resource.aws_secretsmanager_secret_rotation);
    expect(stateRmBeforeDestroy(prodDoc)).toEqual([{ address: `aws_secretsmanager_secret_rotation.${rotation}`, gap: 'secret-cancel-rotation' }]);
    expect(stateRmBeforeDestroy(bootstrapDoc)).toEqual([]);
  });
});

describe('the diffs the strict re-plan must show', () => {
  it('expects in dev Performance Insights, the parameters, the logging config and both rule gaps: no key, no rotation schedule', () => {
    expect(summary(devDoc)).toEqual([
      'aws_db_instance.performance_insights_enabled rds-performance-insights',
      'aws_db_instance.performance_insights_retention_period rds-performance-insights',
      'aws_db_parameter_group.parameter rds-parameter-source',
      'aws_lambda_function.logging_config lambda-logging-kms',
      ...Array(2).fill('aws_vpc_security_group_egress_rule.description sg-rule-description'),
      ...Array(2).fill('aws_vpc_security_group_egress_rule.referenced_security_group_id sg-rule-account-prefix'),
      ...Array(2).fill('aws_vpc_security_group_ingress_rule.description sg-rule-description'),
      ...Array(2).fill('aws_vpc_security_group_ingress_rule.referenced_security_group_id sg-rule-account-prefix'),
    ]);
  });

  it("expects in prod also the customer-managed key's attributes and the rotation schedule, for each of its two functions", () => {
    const prodOnly = summary(prodDoc).filter((d) => !summary(devDoc).includes(d));
    expect(prodOnly).toEqual([
      'aws_db_instance.performance_insights_kms_key_id rds-performance-insights',
      // The application function and the migration function.
      ...Array(2).fill('aws_lambda_function.kms_key_arn lambda-logging-kms'),
      'aws_secretsmanager_secret_rotation.rotation_rules secret-rotation-rules',
    ]);
    // dev's 12, a second logging_config, two more pairs of security-group rules (the migration
    // function's to the database and the endpoint, where the application function has one pair
    // fewer: it logs in with IAM, without the endpoint), and the four above.
    expect(summary(prodDoc)).toHaveLength(12 + 1 + 4 + 4);
  });

  it('expects nothing of the state bucket stack, whose bucket policy is not created', () => {
    expect(expectedStrictDiffs(bootstrapDoc)).toEqual([]);
  });
});

describe('the evidence of moto gap lambda-invoke-echo, from the migration invocation in state', () => {
  const gap = motoGap('lambda-invoke-echo');
  const check = (migrationInvocation?: { input: string; result: string }) => {
    if (gap.evidence.kind !== 'deployed-function') throw new Error('lambda-invoke-echo is checked on the deployed functions');
    return gap.evidence.check({ codeLocation: undefined, endpoint: 'http://127.0.0.1:1', secretUsername: 'admin', configuredUsername: 'dbadmin', migrationInvocation });
  };
  const [invocation] = Object.values(prodDoc.resource.aws_lambda_invocation) as { input: string }[];

  it("sees the gap while the invocation's result is its input, key order aside", () => {
    expect(check({ input: invocation.input, result: invocation.input })).toBe(true);
    expect(check({ input: '{"a":1,"b":[{"c":2,"d":3}]}', result: '{"b":[{"d":3,"c":2}],"a":1}' })).toBe(true);
  });

  it("reports the gap gone when the result is the migration function's own answer, or not JSON", () => {
    expect(check({ input: invocation.input, result: '{"applied":["0001_app_roles"],"alreadyApplied":[]}' })).toBe(false);
    expect(check({ input: invocation.input, result: 'Simple Lambda happy path OK' })).toBe(false);
  });

  it('has nothing to say of a stack without a migration invocation', () => {
    expect(check(undefined)).toBeUndefined();
    expect(devDoc.resource.aws_lambda_invocation).toBeUndefined();
  });
});

describe('plannedChanges', () => {
  it('lists the changed top-level attributes of each managed resource, unknown ones included, and skips no-ops and reads', () => {
    const plan = {
      resource_changes: [
        { address: 'aws_a.x', mode: 'managed', change: { actions: ['update'], before: { a: 1, b: [1], c: 'same' }, after: { a: 2, b: [1], c: 'same', d: null }, after_unknown: { b: true } } },
        { address: 'aws_a.y', mode: 'managed', change: { actions: ['no-op'], before: { a: 1 }, after: { a: 1 } } },
        { address: 'data.aws_b.z', mode: 'data', change: { actions: ['read'], before: null, after: {} } },
        { address: 'aws_a.w', mode: 'managed', change: { actions: ['delete', 'create'], before: { a: 1 }, after: { a: 1 } } },
      ],
    };
    expect(plannedChanges(plan)).toEqual([
      { address: 'aws_a.x', actions: 'update', attributes: ['a', 'b'] },
      { address: 'aws_a.w', actions: 'delete,create', attributes: [] },
    ]);
  });
});

describe('compareStrictPlan', () => {
  const expected = [
    { address: 'aws_lambda_function.f', attribute: 'logging_config', gap: 'lambda-logging-kms' },
    { address: 'aws_db_parameter_group.p', attribute: 'parameter', gap: 'rds-parameter-source' },
  ];
  const exact: PlannedChange[] = [
    { address: 'aws_lambda_function.f', actions: 'update', attributes: ['logging_config'] },
    { address: 'aws_db_parameter_group.p', actions: 'update', attributes: ['parameter'] },
  ];

  it('passes a plan that shows exactly the expected diffs', () => {
    expect(compareStrictPlan(exact, expected)).toEqual({ explained: expected, unexpected: [], missing: [] });
  });

  it('fails on a new diff: an attribute no gap names, or any action but update', () => {
    const changes: PlannedChange[] = [
      { ...exact[0], attributes: ['logging_config', 'memory_size'] },
      exact[1],
      { address: 'aws_vpc.v', actions: 'delete,create', attributes: ['cidr_block'] },
    ];
    expect(compareStrictPlan(changes, expected).unexpected).toEqual([
      { address: 'aws_lambda_function.f', actions: 'update', attribute: 'memory_size' },
      { address: 'aws_vpc.v', actions: 'delete,create' },
    ]);
  });

  it('fails when an expected diff is gone, naming its gap, so the table only shrinks', () => {
    const comparison = compareStrictPlan([exact[0]], expected);
    expect(comparison.unexpected).toEqual([]);
    expect(comparison.missing).toEqual([expected[1]]);
  });

  it('does not count an expected attribute on a replacement as explained', () => {
    const comparison = compareStrictPlan([{ ...exact[1], actions: 'create,delete' }, exact[0]], expected);
    expect(comparison.missing).toEqual([expected[1]]);
    expect(comparison.unexpected).toEqual([{ address: 'aws_db_parameter_group.p', actions: 'create,delete' }]);
  });
});
