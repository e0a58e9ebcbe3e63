/**
 * The terraform commands of a rehearsal in one working folder, each run with `-json` so that a
 * failure names the step, the resource and the AWS error, and a long apply or destroy reports its
 * progress. Uses the offline CLI configuration and environment of tools/offline-plan.ts (a
 * mirror-only provider installation when a mirror is found, no AWS settings of the machine).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cliConfig, errorDiagnostics, offlineEnv, runTerraform, type Diagnostic, type ProviderSource, type RunResult } from '../offline-plan';
import { plannedChanges, type PlanChanges, type PlannedChange } from './moto-gaps';

/** An AWS error as the provider reports it (AWS SDK for Go v2): `operation error IAM: AttachRolePolicy, https response error StatusCode: 404, ..., NoSuchEntity: ...`. */
export interface AwsError {
  /** `IAM`, `RDS`, `S3`, ... */
  readonly service: string;
  /** `AttachRolePolicy`, ... */
  readonly operation: string;
  readonly httpStatus: number;
  /** `NoSuchEntity`, `InvalidRequestException`, ... */
  readonly code: string;
  readonly message: string;
}

/** Finds the AWS error in a provider diagnostic's text, or undefined when it quotes none. */
export function parseAwsError(text: string): AwsError | undefined {
  const flat = text.replace(/\s+/g, ' ');
  const match = flat.match(/operation error ([\w -]+): (\w+), https response error StatusCode: (\d+), RequestID: [^,]*,(?: HostID: [^,]*,)? (?:api error )?([\w.]+): (.*)$/);
  if (!match) return undefined;
  return { service: match[1], operation: match[2], httpStatus: Number(match[3]), code: match[4], message: match[5].trim() };
}

/** A step of the rehearsal that failed: which, on which resource, and why. */
export class RehearsalFailure extends Error {
  constructor(
    /** The step, such as `apply` or `strict plan`. */
    readonly step: string,
    /** What went wrong, on one line: the resource and the AWS error when known. */
    readonly reason: string,
    /** The resource the failure is about, when known. */
    readonly resource?: string,
    /** The AWS error, when the failure quotes one. */
    readonly awsError?: AwsError,
  ) {
    super(`FAILED at ${step}: ${reason}`);
    this.name = 'RehearsalFailure';
  }
}

/** One diagnostic as a failure reason: `<resource>: <AWS code>: <message> (<Service> <Operation>, HTTP <status>)`, or Terraform's summary and detail. */
export function describeDiagnostic(d: Diagnostic): { reason: string; awsError?: AwsError } {
  const awsError = parseAwsError(`${d.summary}: ${d.detail}`);
  const where = d.address ? `${d.address}: ` : '';
  if (awsError) return { reason: `${where}${awsError.code}: ${awsError.message} (${awsError.service} ${awsError.operation}, HTTP ${awsError.httpStatus})`, awsError };
  const detail = d.detail.replace(/\s+/g, ' ').trim();
  return { reason: `${where}${d.summary}${detail ? `: ${detail}` : ''}` };
}

/** The failure of `step` from a terraform run: its first error diagnostic, the others counted. */
export function failureOf(step: string, result: RunResult): RehearsalFailure {
  const errors = errorDiagnostics(result);
  if (errors.length === 0) return new RehearsalFailure(step, `terraform exited ${result.exitCode}: ${result.stderr.trim().slice(0, 500)}`);
  const { reason, awsError } = describeDiagnostic(errors[0]);
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  return new RehearsalFailure(step, reason + more, errors[0].address, awsError);
}

/** `8 s`, `3 min 11 s`. */
export function formatDuration(millis: number): string {
  const seconds = Math.round(millis / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** What an apply or destroy is doing, from its JSON messages. */
export class ApplyProgress {
  /** Resources the plan changes (`change_summary` of the plan). */
  planned = 0;
  /** Resources finished. */
  done = 0;
  /** Resources in progress: address to `[action, start time]`. */
  readonly running = new Map<string, { action: string; since: number }>();
  /** The root module's outputs, from the `outputs` message. */
  outputs: Record<string, { sensitive?: boolean; value?: unknown }> = {};
  /** The final `change_summary` of the apply. */
  summary?: { add: number; change: number; remove: number };

  /** Reads one line of `terraform apply -json` output. */
  read(line: string): void {
    let message: any;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    const address: string | undefined = message.hook?.resource?.addr;
    switch (message.type) {
      case 'change_summary': {
        const c = message.changes ?? {};
        if (c.operation === 'plan') this.planned = (c.add ?? 0) + (c.change ?? 0) + (c.remove ?? 0);
        else this.summary = { add: c.add ?? 0, change: c.change ?? 0, remove: c.remove ?? 0 };
        break;
      }
      case 'apply_start':
        if (address) this.running.set(address, { action: String(message.hook.action), since: Date.now() });
        break;
      case 'apply_complete':
      case 'apply_errored':
        if (address) this.running.delete(address);
        if (message.type === 'apply_complete') this.done++;
        break;
      case 'outputs':
        this.outputs = message.outputs ?? {};
        break;
    }
  }

  /** `27/31 done; in progress: aws_db_instance.x (create, 1 min 30 s)`. */
  describe(): string {
    const running = [...this.running.entries()].map(([address, r]) => `${address} (${r.action}, ${formatDuration(Date.now() - r.since)})`);
    return `${this.done}/${this.planned} done${running.length > 0 ? `; in progress: ${running.join(', ')}` : ''}`;
  }
}

/** Seconds between two progress lines of a running apply or destroy. */
export const PROGRESS_INTERVAL_SECONDS = 30;

/** One folder Terraform runs in, with the rehearsal's CLI configuration. */
export class TerraformFolder {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly dir: string,
    source: ProviderSource,
    pluginCacheDir: string,
  ) {
    const cliConfigFile = path.join(dir, 'rehearsal.tfrc');
    writeFileSync(cliConfigFile, cliConfig(source, pluginCacheDir));
    this.env = offlineEnv(cliConfigFile);
  }

  /** Runs terraform; never rejects on a failure. */
  run(args: readonly string[], onStdoutLine?: (line: string) => void): Promise<RunResult> {
    return runTerraform(this.dir, args, this.env, { onStdoutLine });
  }

  /** Runs terraform and throws {@link RehearsalFailure} for `step` unless it exits with one of `ok`. */
  async must(step: string, args: readonly string[], ok: readonly number[] = [0], onStdoutLine?: (line: string) => void): Promise<RunResult> {
    const result = await this.run(args, onStdoutLine);
    if (!ok.includes(result.exitCode)) throw failureOf(step, result);
    return result;
  }

  /** `terraform init` (with `-migrate-state -force-copy` to move the state to a new backend). */
  async init(step: string, options: { migrateState?: boolean } = {}): Promise<void> {
    await this.must(step, ['init', '-input=false', '-no-color', ...(options.migrateState ? ['-migrate-state', '-force-copy'] : [])]);
  }

  /**
   * `terraform apply` (or `destroy`) with `-json`, reporting progress every
   * {@link PROGRESS_INTERVAL_SECONDS} through `report`.
   * `options.args`: extra arguments, such as a saved plan file; `options.planned`: how many
   * changes that saved plan makes.
   */
  async apply(step: string, report: (text: string) => void, options: { destroy?: boolean; args?: readonly string[]; planned?: number } = {}): Promise<ApplyProgress> {
    const progress = new ApplyProgress();
    // A saved plan is applied without a plan of its own, so no change_summary tells the count.
    progress.planned = options.planned ?? 0;
    const timer = setInterval(() => report(`${step} … ${progress.describe()}`), PROGRESS_INTERVAL_SECONDS * 1000);
    try {
      const command = options.destroy ? ['destroy', '-auto-approve'] : ['apply', ...(options.args?.some((a) => a.endsWith('.tfplan')) ? [] : ['-auto-approve'])];
      await this.must(step, [...command, '-input=false', '-json', ...(options.args ?? [])], [0], (line) => progress.read(line));
      return progress;
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * `terraform plan -detailed-exitcode -out=<file>` and `terraform show -json <file>`: the changes
   * it plans.
   * @returns the resource changes, whether the plan changes anything at all (exit code 2 of
   *   `-detailed-exitcode`: resources or outputs), and the plan file (relative to the folder)
   */
  async plan(step: string, file: string): Promise<{ changes: PlannedChange[]; changed: boolean; planFile: string }> {
    const planned = await this.must(step, ['plan', '-detailed-exitcode', '-input=false', '-json', `-out=${file}`], [0, 2]);
    const shown = await this.must(step, ['show', '-json', file]);
    return { changes: plannedChanges(JSON.parse(shown.stdout) as PlanChanges), changed: planned.exitCode === 2, planFile: file };
  }

  /** The managed resource addresses in state (`terraform state list`). */
  async stateList(step: string): Promise<string[]> {
    const result = await this.must(step, ['state', 'list']);
    return result.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('data.'));
  }

  /** The state's resources with their attribute values (`terraform show -json`). */
  async stateResources(step: string): Promise<{ address: string; type: string; values: Record<string, any> }[]> {
    const result = await this.must(step, ['show', '-json']);
    const state = JSON.parse(result.stdout);
    return (state.values?.root_module?.resources ?? []).filter((r: any) => r.mode === 'managed');
  }
}

/** `update aws_x.y (a, b)` for each change, joined. */
export function describeChanges(changes: readonly PlannedChange[]): string {
  return changes.map((c) => `${c.actions} ${c.address}${c.attributes.length > 0 && c.actions === 'update' ? ` (${c.attributes.join(', ')})` : ''}`).join('; ');
}
