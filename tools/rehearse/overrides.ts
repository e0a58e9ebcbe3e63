/**
 * The Terraform override files (`*_override.tf.json`) the rehearsal writes next to its copy of a
 * synthesized stack, so that the copy itself stays byte for byte what synth wrote:
 * - {@link REHEARSAL_OVERRIDE_FILE}: the provider pointed at moto (every endpoint, fake keys, the
 *   `skip_*` flags but `skip_requesting_account_id`, path-style S3), the backend (a local state file
 *   in the scratch folder, or the synthesized S3 backend pointed at the state's moto server the
 *   same way), the provider version found, and the values an older provider needs mapped
 *   ({@link COMPAT_MAPPINGS});
 * - {@link GAPS_OVERRIDE_FILE}: the moto gaps' resource overrides (./moto-gaps.ts);
 * - {@link TEARDOWN_OVERRIDE_FILE}: deletion protection off, the documented teardown of a
 *   production stack (README.md, "Destroy").
 * Override files merge into the configuration in name order; see
 * https://developer.hashicorp.com/terraform/language/files/override.
 */
import { writeFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { COMPAT_MAPPINGS, compareVersions, type StackDocument } from '../offline-plan';
import { REHEARSAL_CREDENTIALS } from './aws-clients';
import { gapResourceOverride, providerGapSettings } from './moto-gaps';

export const REHEARSAL_OVERRIDE_FILE = '10_rehearsal_override.tf.json';
export const GAPS_OVERRIDE_FILE = '20_moto_gaps_override.tf.json';
export const TEARDOWN_OVERRIDE_FILE = '30_teardown_override.tf.json';

/** The AWS services our stacks and the state backend call, each pointed at moto: the provider's `endpoints` keys. */
export const MOTO_SERVICES = ['ec2', 'rds', 'iam', 'secretsmanager', 'lambda', 'kms', 'sns', 'cloudwatch', 'logs', 'events', 's3', 'sts'] as const;

/** Where a stack keeps its state during the rehearsal. */
export type RehearsalBackend =
  /** `terraform.tfstate` in the scratch folder. */
  | { readonly kind: 'local' }
  /** The synthesized `backend "s3"` block (bucket, key, region, encrypt, use_lockfile), in the bucket on the state's moto server. */
  | { readonly kind: 's3'; readonly block: Readonly<Record<string, unknown>>; readonly endpoint: string };

/** What {@link rehearsalOverride} needs. */
export interface RehearsalOverrideOptions {
  /** The stack's moto server. */
  readonly endpoint: string;
  readonly backend: RehearsalBackend;
  /** The provider version `terraform init` installs (the mirror's, or the pin). */
  readonly providerVersion: string;
  /**
   * The settings under which the `provider-setting` moto gaps show again, for the strict re-plan.
   * @default false
   */
  readonly strict?: boolean;
}

/** The skip flags of provider and backend: no credential check, no metadata service, any region name. The account id is looked up (moto's STS). */
const SKIP_FLAGS = { skip_credentials_validation: true, skip_metadata_api_check: true, skip_region_validation: true } as const;

/**
 * The main override of a stack: provider, backend, provider version and the values mapped for
 * an older provider. Returns the document and one note per mapped value.
 */
export function rehearsalOverride(doc: StackDocument, options: RehearsalOverrideOptions): { override: StackDocument; mapped: string[] } {
  const endpoints = Object.fromEntries(MOTO_SERVICES.map((service) => [service, options.endpoint]));
  const providers: Record<string, unknown>[] = [doc.provider?.aws ?? [{}]].flat();
  const provider = providers.map((p) => ({
    ...(p.alias === undefined ? {} : { alias: p.alias }),
    access_key: REHEARSAL_CREDENTIALS.accessKeyId,
    secret_key: REHEARSAL_CREDENTIALS.secretAccessKey,
    ...SKIP_FLAGS,
    s3_use_path_style: true,
    endpoints: [endpoints],
    ...providerGapSettings(options.strict ?? false),
    // The strict plan skips the account lookup (a moto gap's setting), so the stack's account pin
    // has nothing to check: drop it for that plan only. Every other step applies through it.
    ...(options.strict && p.allowed_account_ids !== undefined ? { allowed_account_ids: null } : {}),
  }));
  const { resource, mapped } = compatOverride(doc, options.providerVersion);
  const override: StackDocument = {
    terraform: {
      required_providers: { aws: { source: 'hashicorp/aws', version: options.providerVersion } },
      backend: backendOverride(options.backend),
    },
    provider: { aws: provider },
    ...(Object.keys(resource).length > 0 ? { resource } : {}),
  };
  return { override, mapped };
}

/** The `terraform.backend` of the override: it replaces the stack's backend as a whole. */
export function backendOverride(backend: RehearsalBackend): Record<string, unknown> {
  if (backend.kind === 'local') return { local: { path: 'terraform.tfstate' } };
  return {
    s3: {
      ...backend.block,
      endpoints: { s3: backend.endpoint, sts: backend.endpoint, iam: backend.endpoint },
      use_path_style: true,
      access_key: REHEARSAL_CREDENTIALS.accessKeyId,
      secret_key: REHEARSAL_CREDENTIALS.secretAccessKey,
      ...SKIP_FLAGS,
    },
  };
}

/**
 * The {@link COMPAT_MAPPINGS} an older provider needs, as resource overrides: every top-level
 * argument a mapping changes, with its mapped value (a nested block in an override replaces the
 * original's blocks of that type, so a mapped block is written whole).
 */
export function compatOverride(doc: StackDocument, providerVersion: string): { resource: Record<string, Record<string, Record<string, unknown>>>; mapped: string[] } {
  const copy: StackDocument = JSON.parse(JSON.stringify(doc));
  const mapped = COMPAT_MAPPINGS.filter((m) => compareVersions(providerVersion, m.before) < 0).flatMap((m) => m.apply(copy));
  const resource: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [type, byName] of Object.entries<Record<string, Record<string, unknown>>>(copy.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      const original = doc.resource[type][name] as Record<string, unknown>;
      for (const [key, value] of Object.entries(body)) {
        if (JSON.stringify(value) !== JSON.stringify(original[key])) ((resource[type] ??= {})[name] ??= {})[key] = value;
      }
    }
  }
  return { resource, mapped };
}

/** The addresses of the DB instances of `doc` with deletion protection on. */
export function protectedInstances(doc: StackDocument): string[] {
  return Object.entries<Record<string, unknown>>(doc.resource?.aws_db_instance ?? {})
    .filter(([, body]) => body.deletion_protection === true)
    .map(([name]) => `aws_db_instance.${name}`);
}

/** The teardown override: `deletion_protection = false` on every protected DB instance of `doc`. */
export function teardownOverride(doc: StackDocument): StackDocument {
  const names = protectedInstances(doc).map((address) => address.split('.')[1]);
  return { resource: { aws_db_instance: Object.fromEntries(names.map((name) => [name, { deletion_protection: false }])) } };
}

/** Writes the override files of one phase into `dir`; returns the notes of the values mapped for an older provider. */
export function writeOverrides(dir: string, doc: StackDocument, options: RehearsalOverrideOptions & { readonly teardown?: boolean }): string[] {
  const { override, mapped } = rehearsalOverride(doc, options);
  writeFileSync(path.join(dir, REHEARSAL_OVERRIDE_FILE), JSON.stringify(override, null, 2));
  const gaps = gapResourceOverride(doc, { strict: options.strict });
  const gapsFile = path.join(dir, GAPS_OVERRIDE_FILE);
  if (Object.keys(gaps).length > 0) writeFileSync(gapsFile, JSON.stringify(gaps, null, 2));
  else rmSync(gapsFile, { force: true });
  const teardownFile = path.join(dir, TEARDOWN_OVERRIDE_FILE);
  if (options.teardown) writeFileSync(teardownFile, JSON.stringify(teardownOverride(doc), null, 2));
  else rmSync(teardownFile, { force: true });
  return mapped;
}
