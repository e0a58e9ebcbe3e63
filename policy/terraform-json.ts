/**
 * Small readers over the synthesized Terraform JSON. Rules use only these, so each rule stays a
 * few lines of intent. Everything here is pure.
 */
import type { TerraformDocument, TfResource } from './types';

function collect(
  blocks: Record<string, Record<string, Record<string, unknown>>> | undefined,
  prefix: string,
  type?: string,
): TfResource[] {
  if (!blocks) return [];
  const types = type ? [type] : Object.keys(blocks);
  const out: TfResource[] = [];
  for (const t of types) {
    for (const [name, body] of Object.entries(blocks[t] ?? {})) {
      const meta = (body['//'] as { metadata?: { path?: string } } | undefined)?.metadata;
      out.push({ type: t, name, address: `${prefix}${t}.${name}`, constructPath: meta?.path, body });
    }
  }
  return out;
}

/** All managed resources of `type` (or of every type when omitted). */
export function resources(doc: TerraformDocument, type?: string): TfResource[] {
  return collect(doc.resource, '', type);
}

/** All data sources of `type`; their address starts with `data.`. */
export function dataSources(doc: TerraformDocument, type?: string): TfResource[] {
  return collect(doc.data, 'data.', type);
}

/** Terraform JSON writes a nested block as an object or a list of objects; this returns the list. */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
}

/** A list attribute as a list of strings (a lone string counts as a one-element list). */
export function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

/** True only for an explicit `true` (Terraform JSON also accepts the string `"true"`). */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** The number a literal attribute holds, or undefined when absent or an unresolved expression. */
export function literalNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

/** True when the value is a non-empty string or a Terraform expression. */
export function isSet(value: unknown): boolean {
  if (typeof value === 'string') return value.trim().length > 0;
  if (Array.isArray(value)) return value.length > 0;
  return value !== undefined && value !== null;
}

/** The Terraform expressions (`${...}` bodies) found anywhere in a value. */
function expressionsIn(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{([^}]*)\}/g)) out.push(m[1]);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) if (k !== '//') walk(child);
    }
  };
  walk(value);
  return out;
}

/** The resources of `type` that `value` refers to. */
export function referencedResources(doc: TerraformDocument, value: unknown, type: string): TfResource[] {
  return resources(doc, type).filter((r) => refersTo(value, r));
}

/** True when `value` holds a Terraform reference to `target` (`${aws_vpc.main.id}` refers to `aws_vpc.main`). */
export function refersTo(value: unknown, target: TfResource, attribute?: string): boolean {
  // A resource is referenced by its address: `aws_vpc.main` or `data.aws_partition.current`.
  const root = target.address;
  return expressionsIn(value).some((e) => {
    const i = e.indexOf(root);
    if (i < 0) return false;
    const before = i === 0 ? '' : e[i - 1];
    if (before && /[A-Za-z0-9_.]/.test(before)) return false;
    const after = e.slice(i + root.length);
    if (after.length > 0 && !/^[.[]/.test(after)) return false;
    return attribute === undefined || after.startsWith(`.${attribute}`);
  });
}

/** True when the value is literally the all-addresses CIDR of either family. */
export function isAllIps(cidr: unknown): boolean {
  return cidr === '0.0.0.0/0' || cidr === '::/0';
}

/** A human-readable description is present: non-empty, not the provider's default text. */
export function isMeaningfulDescription(value: unknown): boolean {
  return (
    typeof value === 'string' && value.trim().length >= 2 && value.trim() !== 'Managed by Terraform'
  );
}
