/**
 * One stack's rehearsal against its own moto server: init, apply (progress, outputs), a re-plan
 * that must show no changes, the strict re-plan (only the known moto gaps), the deployed functions'
 * check (./function-check.ts), the documented teardown of deletion protection, destroy; a stack whose database
 * keeps a final snapshot lives twice (apply, destroy, apply, destroy), and each lifetime's snapshot
 * must have its own name. Then `state list` must be empty and nothing may be left behind.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ProviderSource, StackDocument } from '../offline-plan';
import { awsErrorCode, clientConfig, type MotoTarget } from './aws-clients';
import { checkDeployedFunctions, stackFunctions } from './function-check';
import { describeResources, findResources } from './leftovers';
import { compareStrictPlan, describeMotoConfig, expectedStrictDiffs, motoConfig, motoEnvironment, stateRmBeforeDestroy } from './moto-gaps';
import { startMotoServer, type MotoServer } from './moto-server';
import { protectedInstances, writeOverrides, type RehearsalBackend, type RehearsalOverrideOptions } from './overrides';
import { describeChanges, formatDuration, RehearsalFailure, TerraformFolder, type ApplyProgress } from './terraform-steps';

/** Where the lock demonstration finds the state lock: the state's server, bucket and the stack's key. */
export interface LockDemo {
  readonly target: MotoTarget;
  readonly bucket: string;
  /** The stack's state key; the lock file is `<key>.tflock`. */
  readonly key: string;
}

/** Options of {@link rehearseStack}. */
export interface StackRehearsalOptions {
  /** The stack's name, such as `dev`. */
  readonly name: string;
  /** The synthesized document, copied unchanged to `<dir>/cdk.tf.json`. */
  readonly doc: StackDocument;
  /**
   * The synthesized stack's folder, whose `assets/` (the Lambda zip) are copied too.
   * @default - no assets
   */
  readonly sourceDir?: string;
  /** The scratch folder of this stack; created, never inside cdktf.out. */
  readonly dir: string;
  readonly source: ProviderSource;
  readonly pluginCacheDir: string;
  /** Where the state lives. */
  readonly backend: RehearsalBackend;
  /** Receives one line (without the stack's name) per step. */
  readonly report: (text: string) => void;
  /**
   * Show, during the first apply, that the held state lock refuses a second writer (S3 backend only).
   * @default - not shown
   */
  readonly lockDemo?: LockDemo;
  /**
   * Stop after the first apply (succeeded or not), without destroying: for tests of failures.
   * @default false
   */
  readonly applyOnly?: boolean;
}

/** What a stack's rehearsal leaves for the caller, whatever the outcome. */
export interface StackRehearsal {
  /** The stack's moto server, while it runs. */
  server?: MotoServer;
}

/** True when `doc` has a DB instance that keeps a final snapshot: it is rehearsed for two lifetimes. */
export function keepsFinalSnapshot(doc: StackDocument): boolean {
  return Object.values<Record<string, unknown>>(doc.resource?.aws_db_instance ?? {}).some((body) => body.skip_final_snapshot === false);
}

/**
 * Rehearses one stack; resolves when every check passed.
 * @throws RehearsalFailure naming the step, the resource and the AWS error
 */
export async function rehearseStack(options: StackRehearsalOptions, handle: StackRehearsal = {}): Promise<void> {
  const { doc, dir, report } = options;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(doc, null, 2));
  if (options.sourceDir && existsSync(path.join(options.sourceDir, 'assets'))) cpSync(path.join(options.sourceDir, 'assets'), path.join(dir, 'assets'), { recursive: true });

  let started = Date.now();
  // moto answers as the account the stack is pinned to (allowed_account_ids), so the rehearsal
  // applies through the pin rather than around it; an unpinned stack gets moto's default account.
  const pinned = [doc.provider?.aws ?? [{}]].flat()[0]?.allowed_account_ids as readonly string[] | undefined;
  const server = await startMotoServer({ variables: { ...motoEnvironment(), ...(pinned?.[0] ? { MOTO_ACCOUNT_ID: pinned[0] } : {}) }, config: motoConfig() });
  handle.server = server;
  const region = String([doc.provider?.aws ?? [{}]].flat()[0]?.region ?? 'us-east-1');
  const target: MotoTarget = { endpoint: server.endpoint, region };
  const configured = describeMotoConfig();
  report(`moto on ${server.endpoint} (pid ${server.pid})${configured ? `, configured with ${configured}` : ''} (${formatDuration(Date.now() - started)})`);

  const base: RehearsalOverrideOptions = { endpoint: server.endpoint, backend: options.backend, providerVersion: options.source.version };
  const mapped = writeOverrides(dir, doc, base);
  if (mapped.length > 0) report(`mapped for hashicorp/aws ${options.source.version}: ${mapped.join(', ')}`);
  const tf = new TerraformFolder(dir, options.source, options.pluginCacheDir);
  started = Date.now();
  await tf.init('init');
  report(`init: ok, ${options.backend.kind === 's3' ? `S3 backend s3://${options.backend.block.bucket}/${options.backend.block.key} with use_lockfile` : 'local state'} (${formatDuration(Date.now() - started)})`);

  const lifetimes = options.applyOnly ? 1 : keepsFinalSnapshot(doc) ? 2 : 1;
  const finalSnapshots: string[] = [];
  for (let lifetime = 1; lifetime <= lifetimes; lifetime++) {
    const of = lifetimes > 1 ? ` (lifetime ${lifetime} of ${lifetimes})` : '';
    writeOverrides(dir, doc, base);
    started = Date.now();
    const demo = lifetime === 1 && options.lockDemo ? lockDemonstration(options, options.lockDemo) : undefined;
    let progress: ApplyProgress;
    try {
      progress = await tf.apply(`apply${of}`, report);
    } finally {
      demo?.stopWaiting();
    }
    report(`apply${of}: ok, ${progress.summary?.add ?? progress.done} added (${formatDuration(Date.now() - started)})`);
    for (const [name, output] of Object.entries(progress.outputs)) report(`output ${name} = ${output.sensitive ? '(sensitive)' : JSON.stringify(output.value)}`);
    if (demo) report(await demo.result);
    if (options.applyOnly) return;

    if (lifetime === 1) {
      started = Date.now();
      const replan = await tf.plan('plan', 'replan.tfplan');
      if (replan.changed) {
        throw new RehearsalFailure('plan', `changes right after apply (a perpetual diff, or a moto gap missing from tools/rehearse/moto-gaps.ts): ${describeChanges(replan.changes) || 'outputs only'}`);
      }
      report(`plan -detailed-exitcode: 0, no changes (${formatDuration(Date.now() - started)})`);
      await strictPlan(options, tf, base);
      if (stackFunctions(progress.outputs).length > 0) {
        started = Date.now();
        const username = String(Object.values<Record<string, unknown>>(doc.resource?.aws_db_instance ?? {})[0]?.username ?? '');
        const invocations = (await tf.stateResources('function check'))
          .filter((r) => r.type === 'aws_lambda_invocation')
          .map((r) => ({ functionName: String(r.values.function_name), input: String(r.values.input), result: String(r.values.result) }));
        const checked = await checkDeployedFunctions({ target, outputs: progress.outputs, invocations, stackDir: dir, configuredUsername: username, report });
        report(`function check: ${checked} function${checked === 1 ? '' : 's'} passed (${formatDuration(Date.now() - started)})`);
      }
    }

    const protectedAddresses = protectedInstances(doc);
    if (protectedAddresses.length > 0) {
      started = Date.now();
      writeOverrides(dir, doc, { ...base, teardown: true });
      const teardown = await tf.plan(`teardown${of}`, 'teardown.tfplan');
      const expected = protectedAddresses.map((address) => `update ${address} (deletion_protection)`).join('; ');
      if (describeChanges(teardown.changes) !== expected) {
        throw new RehearsalFailure(`teardown${of}`, `turning deletion protection off should change only that: expected ${expected}, planned ${describeChanges(teardown.changes) || 'nothing'}`);
      }
      await tf.apply(`teardown${of}`, report, { args: [teardown.planFile], planned: teardown.changes.length });
      report(`teardown${of}: deletion protection off on ${protectedAddresses.join(', ')} and applied, as README.md's "Destroy" says (${formatDuration(Date.now() - started)})`);
    }

    const resources = await tf.stateResources('destroy');
    const snapshots = resources.filter((r) => r.type === 'aws_db_instance' && r.values.skip_final_snapshot === false).map((r) => String(r.values.final_snapshot_identifier));
    const inState = new Set(resources.map((r) => r.address));
    for (const { address, gap } of stateRmBeforeDestroy(doc).filter((r) => inState.has(r.address))) {
      await tf.must('destroy', ['state', 'rm', address]);
      report(`state rm ${address} before destroy (moto gap ${gap})`);
    }
    started = Date.now();
    const destroyed = await tf.apply(`destroy${of}`, report, { destroy: true });
    report(`destroy${of}: ok, ${destroyed.summary?.remove ?? destroyed.done} destroyed (${formatDuration(Date.now() - started)})`);

    if (snapshots.length > 0) {
      const taken = await existingSnapshots(target, snapshots);
      const missing = snapshots.filter((s) => !taken.includes(s));
      if (missing.length > 0) throw new RehearsalFailure(`destroy${of}`, `no final snapshot ${missing.join(', ')} after destroy`);
      const reused = snapshots.filter((s) => finalSnapshots.includes(s));
      if (reused.length > 0) throw new RehearsalFailure(`destroy${of}`, `the final snapshot name ${reused.join(', ')} was already taken by an earlier lifetime (stacks/constructs/database.ts, finalSnapshotIdentifier)`);
      finalSnapshots.push(...snapshots);
      report(`final snapshot ${snapshots.join(', ')} taken${finalSnapshots.length > snapshots.length ? `, next to the earlier lifetime's ${finalSnapshots.filter((s) => !snapshots.includes(s)).join(', ')}` : ''}`);
    }
  }

  started = Date.now();
  const left = await tf.stateList('state list');
  if (left.length > 0) throw new RehearsalFailure('state list', `state still lists ${left.join(', ')}`);
  const found = await findResources(target, { finalSnapshots });
  const leftovers = found.filter((r) => r.allowedAs === undefined);
  if (leftovers.length > 0) throw new RehearsalFailure('leftovers', `left behind on moto: ${describeResources(leftovers)}`);
  const allowed = found.filter((r) => r.allowedAs !== undefined);
  report(`state list: empty; nothing left behind${allowed.length > 0 ? ` but ${describeResources(allowed)}` : ''} (${formatDuration(Date.now() - started)})`);
}

/**
 * The strict re-plan: the gaps' `ignore_changes` removed and their provider settings reverted, the
 * plan must show exactly the attributes the gaps name (./moto-gaps.ts), no more, no fewer.
 */
export async function strictPlan(options: Pick<StackRehearsalOptions, 'doc' | 'dir' | 'report'>, tf: TerraformFolder, base: RehearsalOverrideOptions): Promise<void> {
  const started = Date.now();
  writeOverrides(options.dir, options.doc, { ...base, strict: true });
  try {
    const { changes } = await tf.plan('strict plan', 'strict.tfplan');
    const expected = expectedStrictDiffs(options.doc);
    const comparison = compareStrictPlan(changes, expected);
    const problems = [
      ...comparison.unexpected.map((u) => `new diff ${u.actions} ${u.address}${u.attribute ? `.${u.attribute}` : ''} (a perpetual diff of our own, or a new moto gap)`),
      ...comparison.missing.map((m) => `moto gap ${m.gap} no longer shows on ${m.address}.${m.attribute}: remove it from tools/rehearse/moto-gaps.ts`),
    ];
    if (problems.length > 0) throw new RehearsalFailure('strict plan', problems.join('; '));
    const byGap = new Map<string, number>();
    for (const d of comparison.explained) byGap.set(d.gap, (byGap.get(d.gap) ?? 0) + 1);
    const detail = [...byGap.entries()].map(([gap, n]) => `${gap} ${n}`).join(', ');
    const shown = comparison.explained.length === 0 ? 'no changes, as no moto gap applies to this stack' : `${comparison.explained.length} attribute diffs, each a known moto gap (${detail}), nothing else`;
    options.report(`strict plan, without the gaps' ignore_changes and provider settings: ${shown} (${formatDuration(Date.now() - started)})`);
  } finally {
    writeOverrides(options.dir, options.doc, base);
  }
}

/** The identifiers among `ids` that exist as DB snapshots on the server. */
async function existingSnapshots(target: MotoTarget, ids: readonly string[]): Promise<string[]> {
  const rds = new RDSClient(clientConfig(target));
  try {
    const all = (await rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [];
    return all.map((s) => s.DBSnapshotIdentifier!).filter((id) => ids.includes(id));
  } finally {
    rds.destroy();
  }
}

/** Milliseconds between two looks for the lock file. */
const LOCK_POLL_MILLIS = 500;

/**
 * While the first apply runs: wait for its lock file `<key>.tflock` in the state bucket, then run a
 * second writer (`terraform apply -refresh-only` in a second copy of the stack, same backend), which
 * must be refused with "Error acquiring the state lock".
 */
function lockDemonstration(options: StackRehearsalOptions, demo: LockDemo): { result: Promise<string>; stopWaiting(): void } {
  let applying = true;
  const result = (async () => {
    const s3 = new S3Client(clientConfig(demo.target));
    const lockKey = `${demo.key}.tflock`;
    try {
      while (applying) {
        try {
          await s3.send(new HeadObjectCommand({ Bucket: demo.bucket, Key: lockKey }));
          break;
        } catch (error) {
          if (!['NotFound', 'NoSuchKey'].includes(awsErrorCode(error) ?? '')) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MILLIS));
      }
      if (!applying) throw new RehearsalFailure('lock', `the apply finished before its lock file s3://${demo.bucket}/${lockKey} was seen`);
      const second = path.join(path.dirname(options.dir), `${options.name}-second-writer`);
      cpSync(options.dir, second, { recursive: true, filter: (source) => !/(^|\/)(\.terraform|terraform\.tfstate[^/]*|function-code)$/.test(path.relative(options.dir, source)) });
      const writer = new TerraformFolder(second, options.source, options.pluginCacheDir);
      await writer.init('lock');
      const attempt = await writer.run(['apply', '-refresh-only', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=0s']);
      const output = `${attempt.stdout}\n${attempt.stderr}`;
      if (attempt.exitCode === 0 || !/Error acquiring the state lock/.test(output)) {
        throw new RehearsalFailure('lock', `a second writer was not refused while apply held the lock (exit ${attempt.exitCode}): ${output.trim().slice(-400)}`);
      }
      const id = output.match(/ID:\s+(\S+)/)?.[1];
      const operation = output.match(/Operation:\s+(\S+)/)?.[1];
      return `lock: while apply held s3://${demo.bucket}/${lockKey} (lock ID "${id ?? '?'}", ${operation ?? '?'}), a second writer (terraform apply -refresh-only, another folder) was refused: Error acquiring the state lock`;
    } finally {
      s3.destroy();
    }
  })();
  // Awaited after the apply; until then a failure must not count as unhandled.
  result.catch(() => undefined);
  return { result, stopWaiting: () => (applying = false) };
}
