import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, TerraformStack, Testing } from 'cdktf';
import { testApp } from '../support/synth';
import { configureStateBackend } from '../../stacks/state-backend';
import { UserError } from '../../config/errors';
import { type StateBackendSettings, stateBackendSettingsFromEnv } from '../../config/state-backend';
import {
  LocalS3Server,
  localS3BackendOverrides,
  makeTempDir,
  removeTempDirs,
  S3RVER_CREDENTIALS,
  startS3Server,
  terraform,
  terraformEnv,
  terraformOk,
  writeConfig,
} from '../support/terraform';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const settings: StateBackendSettings = {
  bucket: 'workshop-state-test',
  region: 'eu-west-1',
  keyPrefix: 'workshop-backend',
  bootstrapBackend: 'local',
};

/** Synthesizes one bare stack with its state backend and returns the parsed JSON. */
function synthBackend(stackName: string, backend: StateBackendSettings | undefined, report = () => {}) {
  const stack = new TerraformStack(testApp(), stackName);
  configureStateBackend(stack, stackName, backend, { report });
  return JSON.parse(Testing.synth(stack));
}

afterAll(() => removeTempDirs());

describe('stateBackendSettingsFromEnv', () => {
  it('returns undefined when no TF_STATE_* variable is set, so stacks keep local state', () => {
    expect(stateBackendSettingsFromEnv({ PATH: '/usr/bin' })).toBeUndefined();
    expect(stateBackendSettingsFromEnv({ TF_STATE_BUCKET: '  ' })).toBeUndefined();
  });

  it('reads the bucket and region and defaults the key prefix and bootstrap backend', () => {
    expect(stateBackendSettingsFromEnv({ TF_STATE_BUCKET: 'acme-tfstate', TF_STATE_REGION: 'eu-west-1' })).toEqual({
      bucket: 'acme-tfstate',
      region: 'eu-west-1',
      keyPrefix: 'workshop-backend',
      bootstrapBackend: 'local',
    });
  });

  it('reads the optional key prefix, DynamoDB table and bootstrap backend', () => {
    expect(
      stateBackendSettingsFromEnv({
        TF_STATE_BUCKET: 'acme.tfstate-1',
        TF_STATE_REGION: 'us-gov-west-1',
        TF_STATE_KEY_PREFIX: 'teams/workshop',
        TF_STATE_DYNAMODB_TABLE: 'terraform-locks',
        TF_STATE_BOOTSTRAP_BACKEND: 's3',
      }),
    ).toEqual({
      bucket: 'acme.tfstate-1',
      region: 'us-gov-west-1',
      keyPrefix: 'teams/workshop',
      dynamodbTable: 'terraform-locks',
      bootstrapBackend: 's3',
    });
  });

  it('rejects a bucket without a region, naming TF_STATE_REGION', () => {
    expect(() => stateBackendSettingsFromEnv({ TF_STATE_BUCKET: 'acme-tfstate' })).toThrow(
      /TF_STATE_REGION: received nothing \(the field is missing\); allowed: the AWS Region of the state bucket/,
    );
  });

  it('rejects region or prefix settings without a bucket instead of silently keeping local state', () => {
    expect(() => stateBackendSettingsFromEnv({ TF_STATE_REGION: 'eu-west-1', TF_STATE_KEY_PREFIX: 'x' })).toThrow(
      /TF_STATE_BUCKET: received nothing .*whenever TF_STATE_REGION, TF_STATE_KEY_PREFIX are set/,
    );
  });

  it.each([
    ['TF_STATE_BUCKET', 'Acme_TFState', /TF_STATE_BUCKET: received "Acme_TFState"; allowed: 3 to 63 lowercase letters/],
    ['TF_STATE_BUCKET', '192.168.0.1', /TF_STATE_BUCKET: received "192.168.0.1"; allowed: .*not an IP address/],
    ['TF_STATE_BUCKET', 'a..b', /TF_STATE_BUCKET: received "a..b"/],
    ['TF_STATE_REGION', 'EU_WEST_1', /TF_STATE_REGION: received "EU_WEST_1"; allowed: the AWS Region/],
    ['TF_STATE_KEY_PREFIX', '/abs/prefix', /TF_STATE_KEY_PREFIX: received "\/abs\/prefix"; allowed: .*no leading or trailing "\/"/],
    ['TF_STATE_KEY_PREFIX', 'a/../b', /TF_STATE_KEY_PREFIX: received "a\/..\/b"/],
    ['TF_STATE_DYNAMODB_TABLE', 'x', /TF_STATE_DYNAMODB_TABLE: received "x"; allowed: a DynamoDB table name/],
    ['TF_STATE_BOOTSTRAP_BACKEND', 'remote', /TF_STATE_BOOTSTRAP_BACKEND: received "remote"; allowed: one of "local", "s3"/],
  ])('rejects %s=%s with the variable, the value and what is allowed', (name, value, message) => {
    const env = { TF_STATE_BUCKET: 'acme-tfstate', TF_STATE_REGION: 'eu-west-1', [name]: value };
    expect(() => stateBackendSettingsFromEnv(env)).toThrow(UserError);
    expect(() => stateBackendSettingsFromEnv(env)).toThrow(message);
  });

  it('reports every invalid variable at once', () => {
    try {
      stateBackendSettingsFromEnv({ TF_STATE_BUCKET: 'UPPER', TF_STATE_REGION: 'nowhere' });
      throw new Error('expected a StateBackendConfigError');
    } catch (error) {
      expect((error as UserError).problems).toHaveLength(2);
    }
  });
});

describe('configureStateBackend', () => {
  it('configures an encrypted S3 backend with S3-native locking and a per-stack key', () => {
    const json = synthBackend('dev', settings);
    expect(json.terraform.backend).toEqual({
      s3: {
        bucket: 'workshop-state-test',
        key: 'workshop-backend/dev/terraform.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it('gives each stack its own key', () => {
    const keys = ['dev', 'prod', 'state-bootstrap'].map((name) => synthBackend(name, settings).terraform.backend.s3.key);
    expect(new Set(keys).size).toBe(3);
    expect(keys).toContain('workshop-backend/prod/terraform.tfstate');
  });

  it('adds the deprecated dynamodb_table only when it is asked for, next to the lock file', () => {
    expect(synthBackend('dev', settings).terraform.backend.s3).not.toHaveProperty('dynamodb_table');
    const s3 = synthBackend('dev', { ...settings, dynamodbTable: 'terraform-locks' }).terraform.backend.s3;
    expect(s3).toMatchObject({ dynamodb_table: 'terraform-locks', use_lockfile: true });
  });

  it('falls back to a local backend with a relative path and reports it once per app', () => {
    const report = jest.fn();
    const app = testApp();
    const dev = new TerraformStack(app, 'dev');
    const prod = new TerraformStack(app, 'prod');
    configureStateBackend(dev, 'dev', undefined, { report });
    configureStateBackend(prod, 'prod', undefined, { report });
    expect(JSON.parse(Testing.synth(dev)).terraform.backend).toEqual({ local: { path: '../../../terraform.dev.tfstate' } });
    expect(JSON.parse(Testing.synth(prod)).terraform.backend).toEqual({ local: { path: '../../../terraform.prod.tfstate' } });
    expect(report).toHaveBeenCalledTimes(1);
    expect(report.mock.calls[0][0]).toMatch(/No TF_STATE_BUCKET set: every stack without a stateBackend of its own keeps LOCAL state/);
  });

  it('keeps the local state outside cdktf.out, in the project folder where *.tfstate is git-ignored', () => {
    const stackDir = path.join(PROJECT_ROOT, 'cdktf.out', 'stacks', 'dev');
    expect(path.resolve(stackDir, '../../../terraform.dev.tfstate')).toBe(path.join(PROJECT_ROOT, 'terraform.dev.tfstate'));
    expect(readFileSync(path.join(PROJECT_ROOT, '.gitignore'), 'utf8')).toMatch(/^\*\.tfstate$/m);
  });
});

/** Copies the project (without node_modules, outputs and state) into a new folder and links node_modules. */
function copyProject(prefix: string): string {
  const dir = makeTempDir(prefix);
  const skip = new Set(['node_modules', 'cdktf.out', '.git', 'coverage', '.terraform']);
  for (const entry of readdirSync(PROJECT_ROOT)) {
    if (skip.has(entry) || entry.endsWith('.tfstate') || entry.endsWith('.tfstate.backup')) continue;
    cpSync(path.join(PROJECT_ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * Synthesizes the project in `projectDir` and returns every stack's cdk.tf.json text by stack name:
 * through `npm run synth`, as the workflows run it, or with `node synth.js`, the command that npm
 * script runs, without npm's start-up.
 */
async function synthProject(
  projectDir: string,
  env: NodeJS.ProcessEnv,
  via: 'npm' | 'node',
): Promise<{ stacks: Map<string, string>; output: string }> {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(clean)) if (name.startsWith('TF_STATE_')) delete clean[name];
  const [command, args] = via === 'npm' ? ['npm', ['run', '--silent', 'synth']] : [process.execPath, ['synth.js']];
  const { stdout, stderr } = await promisify(execFile)(command, args, {
    cwd: projectDir,
    env: { ...clean, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const manifest = JSON.parse(readFileSync(path.join(projectDir, 'cdktf.out', 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { synthesizedStackPath: string }>;
  };
  const stacks = new Map<string, string>();
  for (const [name, stack] of Object.entries(manifest.stacks)) {
    stacks.set(name, readFileSync(path.join(projectDir, 'cdktf.out', stack.synthesizedStackPath), 'utf8'));
  }
  return { stacks, output: stdout + stderr };
}

const sharedStateEnv = { TF_STATE_BUCKET: settings.bucket, TF_STATE_REGION: settings.region, TF_STATE_KEY_PREFIX: settings.keyPrefix };
describe('the synthesized app (main.ts)', () => {
  let copyA: string;
  let copyB: string;
  let shared: { stacks: Map<string, string>; output: string };
  let sharedB: { stacks: Map<string, string>; output: string };
  let local: { stacks: Map<string, string>; output: string };

  beforeAll(async () => {
    copyA = copyProject('synth-a');
    copyB = copyProject('another-folder-entirely');
    [shared, sharedB] = await Promise.all([synthProject(copyA, sharedStateEnv, 'npm'), synthProject(copyB, sharedStateEnv, 'node')]);
    local = await synthProject(copyA, {}, 'node');
  }, 240_000);

  it('synthesizes the dev and prod stacks with the shared S3 backend, one key each', () => {
    for (const name of ['dev', 'prod']) {
      expect(JSON.parse(shared.stacks.get(name)!).terraform.backend.s3).toEqual({
        bucket: settings.bucket,
        key: `workshop-backend/${name}/terraform.tfstate`,
        region: settings.region,
        encrypt: true,
        use_lockfile: true,
      });
    }
  });

  it('adds the state-bootstrap stack, with local state, only when a bucket is configured', () => {
    expect(JSON.parse(shared.stacks.get('state-bootstrap')!).terraform.backend).toEqual({
      local: { path: '../../../terraform.state-bootstrap.tfstate' },
    });
    expect([...local.stacks.keys()]).not.toContain('state-bootstrap');
  });

  it('writes byte-identical JSON from two different folders, with no absolute path of the machine in it', () => {
    expect([...sharedB.stacks.keys()].sort()).toEqual([...shared.stacks.keys()].sort());
    for (const [name, json] of shared.stacks) {
      expect({ name, json: sharedB.stacks.get(name) }).toEqual({ name, json });
    }
    for (const [name, json] of [...shared.stacks, ...local.stacks]) {
      for (const machinePath of [copyA, copyB, PROJECT_ROOT, process.env.HOME ?? '/root']) {
        expect({ name, containsMachinePath: json.includes(machinePath) }).toEqual({ name, containsMachinePath: false });
      }
    }
  });

  it('falls back to relative local state paths and says so once when no bucket is configured', () => {
    expect(JSON.parse(local.stacks.get('dev')!).terraform.backend).toEqual({ local: { path: '../../../terraform.dev.tfstate' } });
    expect(local.output.match(/No TF_STATE_BUCKET set/g)).toHaveLength(1);
    expect(shared.output).not.toMatch(/No TF_STATE_BUCKET set/);
  });

  // The real terraform binary against a real S3-compatible server on 127.0.0.1. s3rver ignores
  // conditional writes (If-None-Match), so a second locker is never refused: lock contention
  // cannot be tested here. What can be: the lock file is written and removed around each write.
  describe('with terraform and a local S3 server', () => {
    let s3: LocalS3Server;
    const workDirs = new Map<string, string>();

    beforeAll(async () => {
      s3 = await startS3Server([settings.bucket]);
    });
    afterAll(async () => {
      await s3?.close();
    });

    /** A provider-free configuration with a stack's synthesized backend block, as another engineer would check it out. */
    function checkout(stack: string, input: string, backend?: object): string {
      const block = backend ?? JSON.parse(shared.stacks.get(stack)!).terraform.backend;
      const dir = writeConfig(`tf-${stack}`, {
        terraform: { backend: block },
        resource: { terraform_data: { marker: { input } } },
        output: { stack_name: { value: '${terraform_data.marker.output}' } },
      });
      writeFileSync(path.join(dir, 'local.s3.tfbackend'), localS3BackendOverrides(s3.endpoint));
      return dir;
    }
    const env = () => terraformEnv({ ...S3RVER_CREDENTIALS });

    it("stores each stack's state under its own key", async () => {
      for (const stack of ['dev', 'prod']) {
        const dir = checkout(stack, stack);
        workDirs.set(stack, dir);
        await terraformOk(dir, ['init', '-input=false', '-backend-config=local.s3.tfbackend'], env());
        await terraformOk(dir, ['apply', '-auto-approve', '-input=false', '-lock-timeout=30s'], env());
      }
      expect(await s3.listKeys(settings.bucket)).toEqual([
        'workshop-backend/dev/terraform.tfstate',
        'workshop-backend/prod/terraform.tfstate',
      ]);
      for (const stack of ['dev', 'prod']) {
        const state = JSON.parse(await s3.getText(settings.bucket, `workshop-backend/${stack}/terraform.tfstate`));
        expect(state.outputs.stack_name.value).toBe(stack);
      }
    });

    it('takes and releases the S3 lock file around each state write', () => {
      const lockEvents = s3.events.filter((e) => e.key === 'workshop-backend/dev/terraform.tfstate.tflock');
      expect(lockEvents.map((e) => e.eventName)).toEqual(
        expect.arrayContaining(['ObjectCreated:Put', 'ObjectRemoved:Delete']),
      );
      expect(lockEvents[lockEvents.length - 1].eventName).toBe('ObjectRemoved:Delete');
    });

    it("lets prod's CI roles write exactly the objects terraform wrote for prod: apply the state and its lock, plan only the lock", () => {
      const ci = JSON.parse(shared.stacks.get('ci-access-111122223333')!) as { resource: Record<string, Record<string, any>> };
      const roleAddress = (name: string) => Object.entries(ci.resource.aws_iam_role).find(([, r]) => r.name === name)![0];
      /** The object keys a role's state policy allows `action` on, without the partition-aware ARN prefix. */
      const allowed = (roleName: string, action: string): string[] => {
        const policy = Object.values(ci.resource.aws_iam_role_policy).find((p) => p.role === `\${aws_iam_role.${roleAddress(roleName)}.name}`)!;
        return (JSON.parse(policy.policy).Statement as { Action: string[]; Resource: string[] }[])
          .filter((s) => s.Action.includes(action))
          .flatMap((s) => s.Resource.map((r) => r.replace(/^arn:[^:]+:s3:::/, '')));
      };
      const actionOf: Record<string, string> = { 'ObjectCreated:Put': 's3:PutObject', 'ObjectRemoved:Delete': 's3:DeleteObject' };
      const writes = s3.events.filter((e) => e.key.startsWith('workshop-backend/prod/'));
      expect(writes.map((e) => e.key)).toEqual(expect.arrayContaining(['workshop-backend/prod/terraform.tfstate', 'workshop-backend/prod/terraform.tfstate.tflock']));
      for (const e of writes) {
        const action = actionOf[e.eventName];
        expect({ event: `${e.eventName} ${e.key}`, apply: allowed('workshop-backend-ci-apply-prod', action).includes(`${settings.bucket}/${e.key}`) }).toEqual({ event: `${e.eventName} ${e.key}`, apply: true });
        for (const readOnly of ['workshop-backend-ci-plan', 'workshop-backend-ci-drift']) {
          expect({ event: `${e.eventName} ${e.key}`, readOnly, allowed: allowed(readOnly, action).includes(`${settings.bucket}/${e.key}`) }).toEqual({
            event: `${e.eventName} ${e.key}`,
            readOnly,
            allowed: e.key.endsWith('.tflock'),
          });
        }
      }
      expect(allowed('workshop-backend-ci-plan', 's3:GetObject')).toContain(`${settings.bucket}/workshop-backend/prod/terraform.tfstate`);
      expect(allowed('workshop-backend-ci-apply-prod', 's3:PutObject').some((k) => k.includes('/dev/'))).toBe(false);
    });

    it('reads the state back from a fresh checkout: the plan has no changes (exit code 0)', async () => {
      const dir = checkout('dev', 'dev');
      await terraformOk(dir, ['init', '-input=false', '-backend-config=local.s3.tfbackend'], env());
      const plan = await terraformOk(dir, ['plan', '-detailed-exitcode', '-input=false', '-lock-timeout=30s'], env(), 0);
      expect(plan.stdout).toMatch(/No changes\./);
      const output = await terraformOk(dir, ['output', '-raw', 'stack_name'], env());
      expect(output.stdout).toBe('dev');
    });

    it("sees another engineer's change in the shared state", async () => {
      const other = checkout('prod', 'prod-v2');
      await terraformOk(other, ['init', '-input=false', '-backend-config=local.s3.tfbackend'], env());
      await terraformOk(other, ['apply', '-auto-approve', '-input=false', '-lock-timeout=30s'], env());
      const first = workDirs.get('prod')!;
      const output = await terraformOk(first, ['output', '-raw', 'stack_name'], env());
      expect(output.stdout).toBe('prod-v2');
    });

    it('fails with a clear error when the bucket does not exist', async () => {
      const block = JSON.parse(shared.stacks.get('dev')!).terraform.backend;
      const dir = checkout('dev', 'dev', { s3: { ...block.s3, bucket: 'no-such-state-bucket' } });
      const init = await terraform(dir, ['init', '-input=false', '-backend-config=local.s3.tfbackend'], env());
      expect(init.exitCode).not.toBe(0);
      expect(init.stderr).toMatch(/S3 bucket "no-such-state-bucket" does not exist/);
    });

    it('fails with a clear error when the region is wrong', async () => {
      const block = JSON.parse(shared.stacks.get('dev')!).terraform.backend;
      const dir = checkout('dev', 'dev', { s3: { ...block.s3, region: 'eu-mars-1' } });
      writeFileSync(path.join(dir, 'local.s3.tfbackend'), localS3BackendOverrides(s3.endpoint, { skipRegionValidation: false }));
      const init = await terraform(dir, ['init', '-input=false', '-backend-config=local.s3.tfbackend'], env());
      expect(init.exitCode).not.toBe(0);
      expect(init.stderr).toMatch(/Invalid region value[\s\S]*Invalid AWS Region: eu-mars-1/);
    });
  });
});

describe('a stack synthesized by App.synth', () => {
  it('holds no absolute path in its backend when it keeps local state', () => {
    const outdir = makeTempDir('app-synth');
    const app = new App({ outdir });
    configureStateBackend(new TerraformStack(app, 'dev'), 'dev', undefined, { report: () => {} });
    app.synth();
    const json = readFileSync(path.join(outdir, 'stacks', 'dev', 'cdk.tf.json'), 'utf8');
    expect(json).not.toContain(outdir);
    expect(json).not.toContain(process.cwd());
    expect(JSON.parse(json).terraform.backend.local.path).toBe('../../../terraform.dev.tfstate');
  });
});
