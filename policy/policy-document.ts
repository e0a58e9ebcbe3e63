/**
 * IAM-style policy documents found in the synthesized JSON (identity policies, trust policies,
 * key policies, endpoint and bucket policies), normalized so rules can read them uniformly.
 *
 * A policy is readable when it is a literal JSON string (`JSON.stringify` with `${...}` only inside
 * string values, which is what Checkov's `json.loads` and Trivy's `json.unmarshal` parse too), or a
 * reference to a `data.aws_iam_policy_document`. Anything else (e.g. `${jsonencode(...)}`) is
 * unreadable, and rules treat unreadable as non-compliant: a policy we cannot read is not a policy
 * we can vouch for.
 */
import { blocks, dataSources, strings } from './terraform-json';
import type { TerraformDocument } from './types';

/** One statement, every list-valued field as a list. */
export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  readonly notResources: string[];
  /** Principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for a bare `"*"`) to identifiers. */
  readonly principals: Record<string, string[]>;
  /** Condition operator to (key to values). */
  readonly conditions: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  readonly statements: Statement[];
}

function normalizePrincipal(p: unknown): Record<string, string[]> {
  if (p === undefined) return {};
  if (typeof p === 'string') return { [p === '*' ? '*' : 'AWS']: [p] };
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(p as Record<string, unknown>)) out[k] = strings(v);
  return out;
}

function normalizeConditions(c: unknown): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [op, kv] of Object.entries((c ?? {}) as Record<string, unknown>)) {
    out[op] = {};
    for (const [k, v] of Object.entries((kv ?? {}) as Record<string, unknown>)) {
      out[op][k] = (Array.isArray(v) ? v : [v]).map((x) => String(x));
    }
  }
  return out;
}

function fromJson(json: Record<string, unknown>): PolicyDocument {
  const raw = json.Statement;
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return {
    statements: list.map((s: Record<string, unknown>) => ({
      sid: typeof s.Sid === 'string' ? s.Sid : undefined,
      effect: s.Effect === 'Deny' ? 'Deny' : 'Allow',
      actions: strings(s.Action),
      notActions: strings(s.NotAction),
      resources: strings(s.Resource),
      notResources: strings(s.NotResource),
      principals: normalizePrincipal(s.Principal),
      conditions: normalizeConditions(s.Condition),
    })),
  };
}

function fromPolicyDocumentData(body: Record<string, unknown>): PolicyDocument {
  return {
    statements: blocks(body.statement).map((s) => {
      const principals: Record<string, string[]> = {};
      for (const p of blocks(s.principals)) {
        const type = String(p.type);
        principals[type] = [...(principals[type] ?? []), ...strings(p.identifiers)];
      }
      const conditions: Record<string, Record<string, string[]>> = {};
      for (const c of blocks(s.condition)) {
        const op = String(c.test);
        conditions[op] = { ...(conditions[op] ?? {}), [String(c.variable)]: strings(c.values) };
      }
      return {
        sid: typeof s.sid === 'string' ? s.sid : undefined,
        effect: s.effect === 'Deny' ? 'Deny' : 'Allow',
        actions: strings(s.actions),
        notActions: strings(s.not_actions),
        resources: strings(s.resources),
        notResources: strings(s.not_resources),
        principals,
        conditions,
      } satisfies Statement;
    }),
  };
}

/**
 * Reads a policy attribute. Returns undefined when the value is absent or cannot be read
 * statically (callers decide whether absent is acceptable; unreadable never is).
 */
export function readPolicy(doc: TerraformDocument, value: unknown): PolicyDocument | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const whole = /^\$\{([^}]*)\}$/.exec(trimmed);
  if (whole) {
    const m = /^data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json$/.exec(whole[1].trim());
    if (!m) return undefined;
    const data = dataSources(doc, 'aws_iam_policy_document').find((d) => d.name === m[1]);
    return data ? fromPolicyDocumentData(data.body) : undefined;
  }
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return parsed && typeof parsed === 'object' ? fromJson(parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** True when the value is set but not statically readable (see the module comment). */
export function isUnreadablePolicy(doc: TerraformDocument, value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '' && readPolicy(doc, value) === undefined;
}

/** Every principal identifier of a statement, flattened (`*` for a bare wildcard principal). */
export function principalIds(s: Statement): string[] {
  return Object.values(s.principals).flat();
}

/** True when the statement has at least one condition key. */
export function hasCondition(s: Statement): boolean {
  return Object.values(s.conditions).some((kv) => Object.keys(kv).length > 0);
}

/** The condition keys (lower-cased) used anywhere in the statement. */
export function conditionKeys(s: Statement): string[] {
  return Object.values(s.conditions).flatMap((kv) => Object.keys(kv).map((k) => k.toLowerCase()));
}

/** True when a resource string is or contains a wildcard outside `${...}` expressions. */
export function hasWildcard(resource: string): boolean {
  return resource.replace(/\$\{[^}]*\}/g, '').includes('*');
}

/**
 * True when an IAM action pattern (`kms:*`, `kms:Create*`, `kms:Re?ncrypt*`, `*`) matches the action,
 * as IAM matches them: case-insensitive, `*` any run of characters, `?` one character.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 */
export function actionMatches(pattern: string, action: string): boolean {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i').test(action);
}

/**
 * The actions of `candidates` an Allow statement grants: those an `Action` pattern matches, or, for a
 * `NotAction` statement, those no `NotAction` pattern matches.
 */
export function grantedActions(s: Statement, candidates: readonly string[]): string[] {
  if (s.notActions.length > 0) return candidates.filter((a) => !s.notActions.some((p) => actionMatches(p, a)));
  return candidates.filter((a) => s.actions.some((p) => actionMatches(p, a)));
}
