/**
 * The state path of a rehearsal, as docs/team-setup.md describes it for a real account: the app is
 * synthesized with a state bucket configured (`TF_STATE_BUCKET`, config/state-backend.ts), the
 * state-bootstrap stack is applied with local state on a moto server of its own, its state is moved
 * into the bucket it created (`TF_STATE_BOOTSTRAP_BACKEND=s3`, `terraform init -migrate-state`),
 * and then every stack keeps its state in that bucket under its synthesized S3 backend
 * (`use_lockfile`). The bucket is never destroyed (`prevent_destroy`): it is the one allowed
 * leftover on this server. The moto gaps' probes run here too, on a server started without the
 * gaps' variables.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_STATE_KEY_PREFIX, STATE_BACKEND_ENV } from '../../config/state-backend';
import { synthApp } from '../../stacks/app';
import type { ProviderSource, StackDocument } from '../offline-plan';
import { clientConfig, type MotoTarget } from './aws-clients';
import { describeResources, findResources } from './leftovers';
import { MOTO_GAPS } from './moto-gaps';
import { startMotoServer, type MotoServer } from './moto-server';
import { writeOverrides, type RehearsalBackend, type RehearsalOverrideOptions } from './overrides';
import { strictPlan } from './stack';
import { describeChanges, formatDuration, RehearsalFailure, TerraformFolder } from './terraform-steps';

/** The state bucket of a rehearsal: a name of its own, so no real bucket name is ever written to moto. */
export const REHEARSAL_STATE_BUCKET = `${DEFAULT_STATE_KEY_PREFIX}-rehearsal-tfstate`;

/** The stack that creates the state bucket (main.ts adds it when a bucket is configured). */
export const STATE_BOOTSTRAP_STACK = 'state-bootstrap';

/** A state bucket on a moto server, ready for the stacks. */
export interface StatePath {
  readonly server: MotoServer;
  readonly target: MotoTarget;
  readonly bucket: string;
  /** The synthesized S3 backend of `stack`, pointed at this server. */
  backendOf(stack: string): RehearsalBackend;
}

/** Options of {@link prepareStatePath}. */
export interface StatePathOptions {
  /** The rehearsal's scratch folder. */
  readonly scratch: string;
  readonly source: ProviderSource;
  readonly pluginCacheDir: string;
  /** The state bucket's region (`TF_STATE_REGION`): the stacks' region. */
  readonly region: string;
  /** Receives one line per step, without a prefix. */
  readonly report: (text: string) => void;
  /** The process environment synth starts from (TF_STATE_* are set over it). */
  readonly env: NodeJS.ProcessEnv;
}

/** Synthesizes the app with the rehearsal's state bucket into `outdir`; returns a reader of its stacks' documents. */
function synthWithStateBucket(outdir: string, env: NodeJS.ProcessEnv, region: string, bootstrapBackend: 'local' | 's3'): (stack: string) => StackDocument | undefined {
  let messages = '';
  const stateEnv: NodeJS.ProcessEnv = { ...env, CDKTF_OUTDIR: undefined };
  for (const name of Object.values(STATE_BACKEND_ENV)) delete stateEnv[name];
  Object.assign(stateEnv, { [STATE_BACKEND_ENV.bucket]: REHEARSAL_STATE_BUCKET, [STATE_BACKEND_ENV.region]: region, [STATE_BACKEND_ENV.bootstrapBackend]: bootstrapBackend });
  const code = synthApp({ outdir, env: stateEnv }, (text) => (messages += text));
  if (code !== 0) throw new RehearsalFailure('synth', `synth with ${STATE_BACKEND_ENV.bucket}=${REHEARSAL_STATE_BUCKET} failed: ${messages.trim()}`);
  const stacks = path.join(outdir, 'stacks');
  return (stack) => {
    const file = path.join(stacks, stack, 'cdk.tf.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StackDocument) : undefined;
  };
}

/**
 * Starts the state's moto server, applies state-bootstrap with local state, moves its state into
 * the bucket, and runs the moto gaps' probes.
 * @throws RehearsalFailure naming the step
 */
export async function prepareStatePath(options: StatePathOptions, handle: { server?: MotoServer } = {}): Promise<StatePath> {
  const { report } = options;
  let started = Date.now();
  const server = await startMotoServer();
  handle.server = server;
  const target: MotoTarget = { endpoint: server.endpoint, region: options.region };
  report(`moto on ${server.endpoint} (pid ${server.pid}), for the state bucket ${REHEARSAL_STATE_BUCKET} and the moto gaps' probes (${formatDuration(Date.now() - started)})`);

  started = Date.now();
  const local = synthWithStateBucket(path.join(options.scratch, 'synth-local-bootstrap'), options.env, options.region, 'local');
  const shared = synthWithStateBucket(path.join(options.scratch, 'synth-shared-state'), options.env, options.region, 's3');
  report(`synth with ${STATE_BACKEND_ENV.bucket}=${REHEARSAL_STATE_BUCKET} ${STATE_BACKEND_ENV.region}=${options.region}: ${STATE_BOOTSTRAP_STACK} with local state, then with ${STATE_BACKEND_ENV.bootstrapBackend}=s3 (${formatDuration(Date.now() - started)})`);

  const dir = path.join(options.scratch, STATE_BOOTSTRAP_STACK);
  mkdirSync(dir, { recursive: true });
  const prefix = (text: string) => report(`${STATE_BOOTSTRAP_STACK}: ${text}`);
  const bootstrapLocal = local(STATE_BOOTSTRAP_STACK);
  if (bootstrapLocal === undefined) throw new RehearsalFailure('synth', `no ${STATE_BOOTSTRAP_STACK} stack synthesized with ${STATE_BACKEND_ENV.bucket} set`);
  writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(bootstrapLocal, null, 2));
  const localBase: RehearsalOverrideOptions = { endpoint: server.endpoint, backend: { kind: 'local' }, providerVersion: options.source.version };
  const mapped = writeOverrides(dir, bootstrapLocal, localBase);
  if (mapped.length > 0) prefix(`mapped for hashicorp/aws ${options.source.version}: ${mapped.join(', ')}`);
  const tf = new TerraformFolder(dir, options.source, options.pluginCacheDir);

  // The probes touch only resources of their own, so they run while state-bootstrap applies.
  const probes = MOTO_GAPS.flatMap((g) => (g.evidence.kind === 'probe' ? [{ id: g.id, run: g.evidence.run }] : []));
  const probing = Promise.all(probes.map(async (p) => ({ id: p.id, seen: await p.run(target) })));
  probing.catch(() => undefined);

  started = Date.now();
  await tf.init('init');
  const applied = await tf.apply('apply', prefix);
  prefix(`init and apply with local state: ok, ${applied.summary?.add ?? applied.done} added (${formatDuration(Date.now() - started)})`);
  for (const [name, output] of Object.entries(applied.outputs)) prefix(`output ${name} = ${JSON.stringify(output.value)}`);

  const seen = await probing;
  const gone = seen.filter((s) => s.seen === undefined).map((s) => s.id);
  if (gone.length > 0) throw new RehearsalFailure('moto gap probes', `moto gap ${gone.join(', ')} no longer shows: remove it from tools/rehearse/moto-gaps.ts, with its override`);
  report(`moto gap probes: ${seen.map((s) => s.id).join(', ')}: each still there`);

  started = Date.now();
  const bootstrapShared = shared(STATE_BOOTSTRAP_STACK);
  const block = bootstrapShared?.terraform?.backend?.s3 as Record<string, unknown> | undefined;
  if (bootstrapShared === undefined || block === undefined) throw new RehearsalFailure('migrate', `${STATE_BOOTSTRAP_STACK} synthesized with ${STATE_BACKEND_ENV.bootstrapBackend}=s3 has no S3 backend`);
  writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(bootstrapShared, null, 2));
  const sharedBase: RehearsalOverrideOptions = { ...localBase, backend: { kind: 's3', block, endpoint: server.endpoint } };
  writeOverrides(dir, bootstrapShared, sharedBase);
  await tf.init('migrate', { migrateState: true });
  const s3 = new S3Client(clientConfig(target));
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: String(block.bucket), Key: String(block.key) })).catch((error: Error) => {
      throw new RehearsalFailure('migrate', `no state object s3://${block.bucket}/${block.key} after terraform init -migrate-state: ${error.name}`);
    });
    prefix(`state moved into s3://${block.bucket}/${block.key} (${head.ContentLength} bytes; terraform init -migrate-state -force-copy) (${formatDuration(Date.now() - started)})`);
  } finally {
    s3.destroy();
  }
  started = Date.now();
  const replan = await tf.plan('plan', 'replan.tfplan');
  if (replan.changed) throw new RehearsalFailure('plan', `changes after apply and migration: ${describeChanges(replan.changes) || 'outputs only'}`);
  prefix(`plan -detailed-exitcode, from the state in the bucket: 0, no changes (${formatDuration(Date.now() - started)})`);
  await strictPlan({ doc: bootstrapShared, dir, report: prefix }, tf, sharedBase);

  return {
    server,
    target,
    bucket: REHEARSAL_STATE_BUCKET,
    backendOf: (stack) => {
      const stackBlock = shared(stack)?.terraform?.backend?.s3 as Record<string, unknown> | undefined;
      if (stackBlock === undefined) throw new RehearsalFailure('init', `stack ${stack} synthesized with ${STATE_BACKEND_ENV.bucket} set has no S3 backend`);
      return { kind: 's3', block: stackBlock, endpoint: server.endpoint };
    },
  };
}

/** Checks that the state's server holds nothing but the state bucket. */
export async function finishStatePath(state: StatePath, report: (text: string) => void): Promise<void> {
  const found = await findResources(state.target, { stateBucket: state.bucket });
  const leftovers = found.filter((r) => r.allowedAs === undefined);
  if (leftovers.length > 0) throw new RehearsalFailure('leftovers', `left behind on the state's moto: ${describeResources(leftovers)}`);
  report(`nothing left behind but ${describeResources(found)}, kept by prevent_destroy`);
}
