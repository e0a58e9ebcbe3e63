/**
 * Runs the real Terraform AWS provider over a synthesized stack without an AWS account:
 * `terraform init` (from a local provider mirror when one is found, from the registry otherwise),
 * `terraform validate`, then `terraform plan -refresh=false` with fake static credentials and the
 * STS stand-in (tools/sts-stand-in.ts) on 127.0.0.1. `npm run validate` (tools/validate.ts) and
 * the change-impact tests build on it.
 *
 * The stack's own cdk.tf.json is never changed: Terraform runs on a copy in `<stack>/.validate/`
 * whose backend is local, whose provider has the offline settings, and, when the provider found
 * is older than {@link AWS_PROVIDER_VERSION}, whose values only 6.x knows are mapped to 5.x ones
 * ({@link COMPAT_MAPPINGS}); every mapping made is reported.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AWS_PROVIDER_VERSION } from '../stacks/provider';

/** The provider this project pins, as Terraform addresses it. */
export const AWS_PROVIDER_ADDRESS = 'registry.terraform.io/hashicorp/aws';

/** Where `terraform init` gets hashicorp/aws from. */
export type ProviderSource =
  | { readonly kind: 'mirror'; readonly mirror: string; readonly version: string }
  | { readonly kind: 'registry'; readonly version: string };

/**
 * Folders searched for a filesystem mirror: `TF_PROVIDER_MIRROR` alone when set (an explicit
 * choice, which a test also uses to make sure none is found), else the folders Terraform itself
 * treats as implied local mirrors on Linux and macOS
 * (https://developer.hashicorp.com/terraform/cli/config/config-file#implied-local-mirror-directories),
 * then /opt/tf-plugins, where this project's development machines carry one.
 */
export function mirrorCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME ?? os.homedir();
  const xdgData = env.XDG_DATA_HOME ?? path.join(home, '.local', 'share');
  if (env.TF_PROVIDER_MIRROR) return [env.TF_PROVIDER_MIRROR];
  return [
    path.join(home, '.terraform.d', 'plugins'),
    path.join(xdgData, 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
    '/opt/tf-plugins',
  ];
}

/** `linux_amd64`, `darwin_arm64`, ...: the platform folder of a provider mirror. */
export function terraformPlatform(): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' } as Record<string, string>)[process.arch] ?? process.arch;
  return `${process.platform === 'win32' ? 'windows' : process.platform}_${arch}`;
}

/** Compares dotted versions numerically: negative when `a` is older than `b`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The first mirror folder holding an unpacked hashicorp/aws for this platform, and the version it
 * offers: {@link AWS_PROVIDER_VERSION} when it has it, else its newest.
 */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): { mirror: string; version: string } | undefined {
  for (const mirror of mirrorCandidates(env)) {
    const base = path.join(mirror, AWS_PROVIDER_ADDRESS);
    if (!existsSync(base)) continue;
    const versions = readdirSync(base).filter((v) => {
      const dir = path.join(base, v, terraformPlatform());
      return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('terraform-provider-aws'));
    });
    if (versions.length === 0) continue;
    const version = versions.includes(AWS_PROVIDER_VERSION) ? AWS_PROVIDER_VERSION : versions.sort(compareVersions).at(-1)!;
    return { mirror, version };
  }
  return undefined;
}

/** True when the Terraform registry answers within `timeoutMillis` (a blocking probe, for CLI start-up and jest). */
export function registryReachable(timeoutMillis = 5000): boolean {
  const probe = spawnSync(
    process.execPath,
    ['-e', `fetch('https://registry.terraform.io/.well-known/terraform.json',{signal:AbortSignal.timeout(${timeoutMillis})}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
    { timeout: timeoutMillis + 2000, stdio: 'ignore' },
  );
  return probe.status === 0;
}

/**
 * A mirror when one is found, else the registry when it answers, else undefined. With
 * `TF_PROVIDER_MIRROR` set, that mirror or nothing: naming a mirror asks for an offline run.
 */
export function findProviderSource(env: NodeJS.ProcessEnv = process.env): ProviderSource | undefined {
  const mirror = findProviderMirror(env);
  if (mirror !== undefined) return { kind: 'mirror', ...mirror };
  if (env.TF_PROVIDER_MIRROR) return undefined;
  return registryReachable() ? { kind: 'registry', version: AWS_PROVIDER_VERSION } : undefined;
}

/** One line saying which provider validates, and how it relates to the pin. */
export function describeProviderSource(source: ProviderSource): string {
  const where = source.kind === 'mirror' ? `the filesystem mirror ${source.mirror}` : 'the Terraform registry';
  const age =
    source.version === AWS_PROVIDER_VERSION
      ? `the pinned version`
      : `older than the pin ${AWS_PROVIDER_VERSION}: values only 6.x knows are mapped (see each stack); on GitHub the plan job uses ${AWS_PROVIDER_VERSION}`;
  return `hashicorp/aws ${source.version} from ${where} (${age})`;
}

/**
 * The Terraform CLI configuration for `source`: a mirror-only installation for hashicorp/aws, or
 * the registry with a plugin cache, so three stacks download the provider once.
 */
export function cliConfig(source: ProviderSource, pluginCacheDir: string): string {
  if (source.kind === 'registry') return `plugin_cache_dir = ${JSON.stringify(pluginCacheDir)}\n`;
  return [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(source.mirror)}`,
    `    include = ["${AWS_PROVIDER_ADDRESS}"]`,
    '  }',
    '  direct {',
    `    exclude = ["${AWS_PROVIDER_ADDRESS}"]`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** A synthesized stack (cdk.tf.json), loosely typed: the copy only rewrites known places. */
export type StackDocument = Record<string, any>;

/**
 * A value the pinned provider (6.x) accepts and an older one does not, and what the copy planned
 * with an older provider uses instead. Each returns a note per value it mapped.
 */
export interface CompatMapping {
  /** Provider versions older than this need the mapping. */
  readonly before: string;
  readonly apply: (doc: StackDocument) => string[];
}

/** Lambda runtimes newer than the oldest provider we validate with, and their nearest older one. */
const NEWER_RUNTIMES: Readonly<Record<string, string>> = { 'nodejs24.x': 'nodejs22.x' };

/**
 * Every 6.x-only value our stacks use, mapped for 5.x: `nodejs24.x` (added to the runtime list in
 * 6.x) becomes `nodejs22.x`; `blocked_encryption_types` (an argument added in 6.x) is dropped.
 */
export const COMPAT_MAPPINGS: readonly CompatMapping[] = [
  {
    before: '6.0.0',
    apply: (doc) =>
      Object.entries(doc.resource?.aws_lambda_function ?? {}).flatMap(([name, body]: [string, any]) => {
        const older = NEWER_RUNTIMES[body.runtime];
        if (older === undefined) return [];
        const note = `aws_lambda_function.${name} runtime ${body.runtime} -> ${older}`;
        body.runtime = older;
        return [note];
      }),
  },
  {
    before: '6.0.0',
    apply: (doc) =>
      Object.entries(doc.resource?.aws_s3_bucket_server_side_encryption_configuration ?? {}).flatMap(([name, body]: [string, any]) =>
        (Array.isArray(body.rule) ? body.rule : [body.rule]).flatMap((rule: any) => {
          if (rule?.blocked_encryption_types === undefined) return [];
          delete rule.blocked_encryption_types;
          return [`aws_s3_bucket_server_side_encryption_configuration.${name} blocked_encryption_types dropped`];
        }),
      ),
  },
];

/** Offline settings of the copy's provider: fake keys, no AWS account checks, STS on loopback. */
export function offlineProviderSettings(stsEndpoint: string): Record<string, unknown> {
  return {
    access_key: 'AKIAOFFLINEPLAN00000',
    secret_key: 'offline-plan-fake-secret',
    skip_credentials_validation: true,
    skip_metadata_api_check: true,
    skip_requesting_account_id: true,
    skip_region_validation: true,
    endpoints: [{ sts: stsEndpoint }],
  };
}

/**
 * The copy Terraform runs on: the stack's document with a local backend, the provider pinned to
 * `providerVersion` with {@link offlineProviderSettings} and without its account pin and role
 * (nothing to check them against offline), and the {@link COMPAT_MAPPINGS} an older provider needs.
 * Returns the copy and one note per value changed.
 */
export function offlineCopy(doc: StackDocument, providerVersion: string, stsEndpoint: string): { doc: StackDocument; mapped: string[] } {
  const copy: StackDocument = JSON.parse(JSON.stringify(doc));
  copy.terraform = { ...(copy.terraform ?? {}) };
  delete copy.terraform.backend;
  copy.terraform.required_providers = {
    ...(copy.terraform.required_providers ?? {}),
    aws: { source: 'hashicorp/aws', version: providerVersion },
  };
  copy.provider = { ...(copy.provider ?? {}) };
  const offline: string[] = [];
  copy.provider.aws = (copy.provider.aws ?? [{}]).map((p: Record<string, unknown>) => {
    // Offline there is no account to check and no role to assume: the stand-in STS knows neither.
    const { allowed_account_ids: allowed, assume_role: assumeRole, ...rest } = p;
    if (allowed !== undefined) offline.push(`provider allowed_account_ids ${JSON.stringify(allowed)} not checked offline (no AWS account)`);
    if (assumeRole !== undefined) offline.push('provider assume_role not used offline (no AWS account)');
    return { ...rest, ...offlineProviderSettings(stsEndpoint) };
  });
  const mapped = COMPAT_MAPPINGS.filter((m) => compareVersions(providerVersion, m.before) < 0).flatMap((m) => m.apply(copy));
  return { doc: copy, mapped: [...offline, ...mapped] };
}

/** What one `terraform` run returned. */
export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment Terraform runs with: automation mode, our CLI config, no real AWS settings. */
export function offlineEnv(cliConfigFile: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SSL_CERT_FILE', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']) {
    if (base[name] !== undefined) env[name] = base[name];
  }
  return {
    ...env,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    TF_INPUT: '0',
    TF_CLI_CONFIG_FILE: cliConfigFile,
    // Never the machine's AWS profile, keys or the instance metadata service.
    AWS_CONFIG_FILE: path.join(path.dirname(cliConfigFile), 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(path.dirname(cliConfigFile), 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Options of {@link runTerraform}. */
export interface RunTerraformOptions {
  /**
   * Receives each complete line of standard output as it arrives, such as one JSON message of
   * `terraform apply -json`, for progress reports.
   * @default - none: the output is only collected
   */
  readonly onStdoutLine?: (line: string) => void;
}

/** Runs `terraform <args>` in `cwd`; resolves with the exit code, never rejects on a failure. */
export function runTerraform(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, options: RunTerraformOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stdout += text;
      if (options.onStdoutLine === undefined) return;
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onStdoutLine(line);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') options.onStdoutLine?.(pending);
      resolve({ exitCode: code ?? -1, stdout, stderr });
    });
  });
}

/** One error Terraform or the provider reported. */
export interface Diagnostic {
  readonly summary: string;
  readonly detail: string;
  /** The resource it is about, such as `aws_db_instance.database_instance_1A2B3C4D`, when known. */
  readonly address?: string;
  /** The configuration line it points at, when Terraform quotes one. */
  readonly code?: string;
}

/**
 * The error diagnostics of a `-json` run (`terraform validate -json` prints one document,
 * `terraform plan -json` one message per line), or of plain text output as a fallback.
 */
export function errorDiagnostics(result: RunResult): Diagnostic[] {
  const found: Diagnostic[] = [];
  const add = (d: any) => {
    if (d?.severity !== 'error') return;
    const context: string | undefined = d.snippet?.context ?? undefined;
    const address = d.address ?? context?.match(/resource\.([\w-]+\.[\w-]+)/)?.[1];
    const code = typeof d.snippet?.code === 'string' ? d.snippet.code.trim() : undefined;
    found.push({ summary: String(d.summary ?? ''), detail: String(d.detail ?? ''), ...(address ? { address } : {}), ...(code ? { code } : {}) });
  };
  const collect = (message: any) => {
    if (Array.isArray(message?.diagnostics)) message.diagnostics.forEach(add);
    else if (message?.type === 'diagnostic') add(message.diagnostic);
  };
  try {
    collect(JSON.parse(result.stdout));
  } catch {
    // One JSON message per line (plan and init), not one document (validate).
  }
  for (const line of found.length > 0 ? [] : result.stdout.split('\n')) {
    const text = line.trim();
    if (!text.startsWith('{')) continue;
    try {
      collect(JSON.parse(text));
    } catch {
      // Not a JSON line.
    }
  }
  if (found.length === 0 && result.exitCode !== 0) {
    const text = `${result.stderr}\n${result.stdout}`.replace(/[│╷╵]/g, '');
    const match = text.match(/Error: ([^\n]+)\n([\s\S]*?)(?:\n\s*\n\s*\n|$)/);
    found.push({ summary: match?.[1]?.trim() ?? `terraform exited ${result.exitCode}`, detail: (match?.[2] ?? text).trim() });
  }
  return found;
}

/** One diagnostic on one line: `<summary>: <detail> (<address>)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const detail = d.detail.replace(/\s+/g, ' ').trim();
  return `${d.summary}${detail ? `: ${detail}` : ''}${d.address ? ` (${d.address})` : ''}`;
}

/** The step of {@link planOffline} that failed. */
export type OfflineStep = 'init' | 'validate' | 'plan' | 'show';

/** What {@link planOffline} produced. */
export type OfflinePlanResult =
  | { readonly ok: true; readonly planJson: string; readonly mapped: readonly string[] }
  | { readonly ok: false; readonly step: OfflineStep; readonly errors: readonly Diagnostic[]; readonly mapped: readonly string[] };

/** Options of {@link planOffline}. */
export interface PlanOfflineOptions {
  /** The provider to init from. */
  readonly source: ProviderSource;
  /** The running STS stand-in's endpoint. */
  readonly stsEndpoint: string;
  /** The folder Terraform runs in: the copy, `.terraform`, the plan file. Created when missing. */
  readonly workDir: string;
  /**
   * A Terraform state (format version 4) to plan against, written as `terraform.tfstate`.
   * @default - none: every resource is planned for creation
   */
  readonly priorState?: object;
  /**
   * Extra `terraform plan` arguments, such as `-replace=<address>` or `-target=<address>`.
   * @default - none
   */
  readonly planArgs?: readonly string[];
  /**
   * Run `terraform validate` before the plan.
   * @default true
   */
  readonly validate?: boolean;
}

/**
 * Writes the offline copy of `doc` to `workDir`, runs init, validate and
 * `plan -refresh=false`, and returns `terraform show -json` of the plan, or the step that failed
 * with the provider's errors.
 */
export async function planOffline(doc: StackDocument, options: PlanOfflineOptions): Promise<OfflinePlanResult> {
  const { doc: copy, mapped } = offlineCopy(doc, options.source.version, options.stsEndpoint);
  return planConfiguration({ 'main.tf.json': copy }, mapped, options);
}

/**
 * Writes a root configuration that is already offline (`files`: each path relative to `workDir`,
 * such as `main.tf.json` or `<module>/main.tf.json`, and its JSON document), the CLI configuration
 * and the prior state to `workDir`, then runs init, validate (unless `options.validate` is false),
 * `plan -refresh=false` and `show -json` as {@link planOffline} does. `mapped` is returned as is.
 * Every terraform command runs once, in `workDir`.
 */
export async function planConfiguration(files: Readonly<Record<string, object>>, mapped: readonly string[], options: PlanOfflineOptions): Promise<OfflinePlanResult> {
  const { source } = options;
  const workDir = path.resolve(options.workDir);
  mkdirSync(workDir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workDir, file)), { recursive: true });
    writeFileSync(path.join(workDir, file), JSON.stringify(content, null, 2));
  }
  const cliConfigFile = path.join(workDir, 'offline.tfrc');
  const pluginCache = path.join(os.homedir(), '.terraform.d', 'plugin-cache');
  if (source.kind === 'registry') mkdirSync(pluginCache, { recursive: true });
  writeFileSync(cliConfigFile, cliConfig(source, pluginCache));
  const statePath = path.join(workDir, 'terraform.tfstate');
  if (options.priorState !== undefined) writeFileSync(statePath, JSON.stringify(options.priorState, null, 2));
  else rmSync(statePath, { force: true });
  const env = offlineEnv(cliConfigFile);

  const fail = (step: OfflineStep, result: RunResult): OfflinePlanResult => ({ ok: false, step, errors: errorDiagnostics(result), mapped });
  const init = await runTerraform(workDir, ['init', '-input=false', '-json', '-no-color'], env);
  if (init.exitCode !== 0) return fail('init', init);
  if (options.validate ?? true) {
    const validate = await runTerraform(workDir, ['validate', '-json', '-no-color'], env);
    if (validate.exitCode !== 0) return fail('validate', validate);
  }
  const plan = await runTerraform(
    workDir,
    ['plan', '-refresh=false', '-input=false', '-lock=false', '-json', '-no-color', '-out=plan.tfplan', ...(options.planArgs ?? [])],
    env,
  );
  if (plan.exitCode !== 0) return fail('plan', plan);
  const show = await runTerraform(workDir, ['show', '-json', '-no-color', 'plan.tfplan'], env);
  if (show.exitCode !== 0) return fail('show', show);
  return { ok: true, planJson: show.stdout, mapped };
}
