import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  AWS_PROVIDER_ADDRESS,
  cliConfig,
  compareVersions,
  describeProviderSource,
  errorDiagnostics,
  findProviderMirror,
  offlineCopy,
  terraformPlatform,
} from '../../tools/offline-plan';
import { AWS_PROVIDER_VERSION } from '../../stacks/provider';
import { hint, inPool } from '../../tools/validate';
import { scratchDir } from '../support/scratch';

/** A fake mirror with the given provider versions (empty binaries: only the layout matters here). */
function mirrorWith(versions: string[]): string {
  const mirror = scratchDir('mirror-');
  for (const version of versions) {
    const dir = path.join(mirror, AWS_PROVIDER_ADDRESS, version, terraformPlatform());
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `terraform-provider-aws_v${version}_x5`), '');
  }
  return mirror;
}

const stack = () => ({
  terraform: { backend: { s3: { bucket: 'b' } }, required_providers: { aws: { source: 'hashicorp/aws', version: '6.25.0' } } },
  provider: { aws: [{ region: 'ap-southeast-1' }] },
  resource: {
    aws_lambda_function: { fn: { runtime: 'nodejs24.x' } },
    aws_s3_bucket_server_side_encryption_configuration: { enc: { rule: [{ blocked_encryption_types: ['SSE-C'] }] } },
  },
});

describe('offline-plan', () => {
  it('finds a mirror named by TF_PROVIDER_MIRROR, preferring the pinned version, else the newest', () => {
    const home = scratchDir('home-');
    expect(findProviderMirror({ HOME: home, TF_PROVIDER_MIRROR: mirrorWith(['5.99.0', AWS_PROVIDER_VERSION, '5.100.0']) })?.version).toBe(AWS_PROVIDER_VERSION);
    const older = mirrorWith(['5.9.0', '5.100.0']);
    expect(findProviderMirror({ HOME: home, TF_PROVIDER_MIRROR: older })).toEqual({ mirror: older, version: '5.100.0' });
  });

  it('compares versions numerically', () => {
    expect(compareVersions('5.100.0', '5.99.0')).toBeGreaterThan(0);
    expect(compareVersions('5.100.0', '6.0.0')).toBeLessThan(0);
    expect(compareVersions('6.25.0', '6.25.0')).toBe(0);
  });

  it('plans a copy with a local backend, the offline provider settings and the version found', () => {
    const original = stack();
    const { doc } = offlineCopy(original, AWS_PROVIDER_VERSION, 'http://127.0.0.1:1234');
    expect(doc.terraform.backend).toBeUndefined();
    expect(doc.terraform.required_providers.aws.version).toBe(AWS_PROVIDER_VERSION);
    expect(doc.provider.aws[0]).toMatchObject({
      region: 'ap-southeast-1',
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
      endpoints: [{ sts: 'http://127.0.0.1:1234' }],
    });
    expect(original.terraform.backend).toEqual({ s3: { bucket: 'b' } });
  });

  it("drops the provider's account pin and role, which nothing offline can check, saying so", () => {
    const pinned = stack() as ReturnType<typeof stack> & { provider: { aws: Array<Record<string, unknown>> } };
    pinned.provider.aws[0] = { ...pinned.provider.aws[0], allowed_account_ids: ['111122223333'], assume_role: [{ role_arn: 'arn:aws:iam::111122223333:role/deploy' }] };
    const { doc, mapped } = offlineCopy(pinned, AWS_PROVIDER_VERSION, 'http://127.0.0.1:1');
    expect(doc.provider.aws[0]).not.toHaveProperty('allowed_account_ids');
    expect(doc.provider.aws[0]).not.toHaveProperty('assume_role');
    expect(mapped).toEqual([
      'provider allowed_account_ids ["111122223333"] not checked offline (no AWS account)',
      'provider assume_role not used offline (no AWS account)',
    ]);
    expect(pinned.provider.aws[0].allowed_account_ids).toEqual(['111122223333']);
  });

  it('maps the values only 6.x knows for an older provider, reporting each, and leaves them for the pinned one', () => {
    const older = offlineCopy(stack(), '5.100.0', 'http://127.0.0.1:1');
    expect(older.mapped).toEqual([
      'aws_lambda_function.fn runtime nodejs24.x -> nodejs22.x',
      'aws_s3_bucket_server_side_encryption_configuration.enc blocked_encryption_types dropped',
    ]);
    expect(older.doc.resource.aws_lambda_function.fn.runtime).toBe('nodejs22.x');
    const pinned = offlineCopy(stack(), AWS_PROVIDER_VERSION, 'http://127.0.0.1:1');
    expect(pinned.mapped).toEqual([]);
    expect(pinned.doc.resource.aws_s3_bucket_server_side_encryption_configuration.enc.rule[0].blocked_encryption_types).toEqual(['SSE-C']);
  });

  it('installs hashicorp/aws from the mirror only, or from the registry through a plugin cache', () => {
    const config = cliConfig({ kind: 'mirror', mirror: '/opt/m', version: '5.100.0' }, '/cache');
    expect(config).toContain('filesystem_mirror {\n    path    = "/opt/m"');
    expect(config).toContain(`exclude = ["${AWS_PROVIDER_ADDRESS}"]`);
    expect(cliConfig({ kind: 'registry', version: AWS_PROVIDER_VERSION }, '/cache')).toBe('plugin_cache_dir = "/cache"\n');
  });

  it('says which provider validates and whether it is older than the pin', () => {
    expect(describeProviderSource({ kind: 'mirror', mirror: '/opt/m', version: '5.100.0' })).toBe(
      `hashicorp/aws 5.100.0 from the filesystem mirror /opt/m (older than the pin ${AWS_PROVIDER_VERSION}: values only 6.x knows are mapped (see each stack); on GitHub the plan job uses ${AWS_PROVIDER_VERSION})`,
    );
    expect(describeProviderSource({ kind: 'registry', version: AWS_PROVIDER_VERSION })).toBe(
      `hashicorp/aws ${AWS_PROVIDER_VERSION} from the Terraform registry (the pinned version)`,
    );
  });

  it('reads error diagnostics from validate -json (one document) and plan -json (one message per line)', () => {
    const validate = JSON.stringify({ valid: false, diagnostics: [{ severity: 'error', summary: 'Conflicting configuration arguments', detail: '"password": conflicts', address: 'aws_db_instance.db' }] }, null, 2);
    expect(errorDiagnostics({ exitCode: 1, stdout: validate, stderr: '' })).toEqual([
      { summary: 'Conflicting configuration arguments', detail: '"password": conflicts', address: 'aws_db_instance.db' },
    ]);
    const plan = [
      JSON.stringify({ type: 'version' }),
      JSON.stringify({ type: 'diagnostic', diagnostic: { severity: 'warning', summary: 'w', detail: '' } }),
      JSON.stringify({ type: 'diagnostic', diagnostic: { severity: 'error', summary: 'Invalid index', detail: 'empty', snippet: { context: 'resource.aws_iam_policy.p' } } }),
    ].join('\n');
    expect(errorDiagnostics({ exitCode: 1, stdout: plan, stderr: '' })).toEqual([{ summary: 'Invalid index', detail: 'empty', address: 'aws_iam_policy.p' }]);
  });
});

describe('validate hints', () => {
  it('points at the two-step managed-password switch for an invalid index on master_user_secret, and only then', () => {
    const invalidIndex = { summary: 'Invalid index', detail: 'the collection has no elements.', code: '"value": "${aws_db_instance.db.master_user_secret[0].secret_arn}"' };
    expect(hint([invalidIndex])).toContain('docs/day-2.md');
    expect(hint([{ ...invalidIndex, code: '"value": "${aws_subnet.a[0].id}"' }])).toBe('');
  });
});

describe('validate pool', () => {
  it('runs at most the limit at once, starting in order, and resolves each item in its own place', async () => {
    const started: string[] = [];
    let running = 0;
    let most = 0;
    const finish: Record<string, () => void> = {};
    const results = inPool(['dev', 'prod', 'state-bootstrap'], 2, async (stack) => {
      started.push(stack);
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => (finish[stack] = resolve));
      running--;
      if (stack === 'prod') throw new Error('prod failed');
      return stack.toUpperCase();
    });
    await Promise.resolve();
    expect(started).toEqual(['dev', 'prod']);
    finish.prod();
    await expect(results[1]).rejects.toThrow('prod failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['dev', 'prod', 'state-bootstrap']);
    finish.dev();
    finish['state-bootstrap']();
    expect(await results[0]).toBe('DEV');
    expect(await results[2]).toBe('STATE-BOOTSTRAP');
    expect(most).toBe(2);
  });
});
