import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import { STATE_BACKEND_ENV, type StateBackendSettings } from '../config/state-backend';

/** The S3 key of a stack's state: `<keyPrefix>/<stackName>/terraform.tfstate`. */
export function stateKey(keyPrefix: string, stackName: string): string {
  return `${keyPrefix}/${stackName}/terraform.tfstate`;
}

/**
 * The local state file of a stack, relative to the folder Terraform runs in
 * (`cdktf.out/stacks/<stack>/`): `terraform.<stack>.tfstate` in the project root, where cdktf
 * keeps it by default, so a new synth (which rewrites `cdktf.out`) never loses it. Relative, so
 * the synthesized JSON holds no path of the machine that ran synth.
 */
export function localStatePath(stackName: string): string {
  return `../../../terraform.${stackName}.tfstate`;
}

/** Options of {@link configureStateBackend}. */
export interface ConfigureStateBackendOptions {
  /**
   * Receives the one-line notice that the stacks fall back to local state.
   * @default - writes the notice to standard output (it is a notice, not an error: the cdktf CLI
   *   shows everything on standard error as `[ERROR]`)
   */
  readonly report?: (message: string) => void;
}

/** The apps whose fallback to local state was already reported, so each synth says it once. */
const reportedFallback = new WeakSet<object>();

/**
 * Gives `stack` its state backend: the shared S3 backend when `settings` is defined, else a
 * local backend with a relative path.
 *
 * The S3 backend encrypts the state (`encrypt = true`) and locks it with an S3 lock file
 * (`use_lockfile = true`, Terraform 1.10 and later). cdktf 0.21's `S3Backend` has no typed
 * option for `use_lockfile`, so it is set with an override. `dynamodb_table` (deprecated by
 * Terraform 1.11) appears only when {@link StateBackendSettings.dynamodbTable} is set.
 *
 * The fallback to local state is reported once per app, not once per stack.
 */
export function configureStateBackend(
  stack: TerraformStack,
  stackName: string,
  settings: StateBackendSettings | undefined,
  options: ConfigureStateBackendOptions = {},
): void {
  if (settings === undefined) {
    useLocalState(stack, stackName);
    const app = stack.node.root;
    if (!reportedFallback.has(app)) {
      reportedFallback.add(app);
      const report = options.report ?? ((message: string) => process.stdout.write(`${message}\n`));
      report(
        `No ${STATE_BACKEND_ENV.bucket} set: every stack without a stateBackend of its own keeps LOCAL state in terraform.<stack>.tfstate ` +
          'in the project folder. Set TF_STATE_BUCKET and TF_STATE_REGION to share state in S3 (docs/team-setup.md).',
      );
    }
    return;
  }
  new S3Backend(stack, {
    bucket: settings.bucket,
    key: stateKey(settings.keyPrefix, stackName),
    region: settings.region,
    encrypt: true,
    ...(settings.dynamodbTable === undefined ? {} : { dynamodbTable: settings.dynamodbTable }),
  });
  // S3-native locking (a conditional write of `<key>.tflock`); not yet a typed option in cdktf 0.21.
  // https://developer.hashicorp.com/terraform/language/backend/s3#state-locking
  stack.addOverride('terraform.backend.s3.use_lockfile', true);
}

/**
 * Gives `stack` a local backend at {@link localStatePath}: for stacks whose state is local on
 * purpose (the state-bootstrap stack before its state moves into the bucket). Reports nothing.
 */
export function useLocalState(stack: TerraformStack, stackName: string): void {
  new LocalBackend(stack, { path: localStatePath(stackName) });
}
