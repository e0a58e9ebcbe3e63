import type { Rule } from '../../types';
import { actionMatches, conditionKeys, grantedActions, hasCondition, principalIds, readPolicy, type Statement } from '../../policy-document';
import { refersTo, resources } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

/** Condition keys that tie a service's use of a key to our resources or our account. */
const SCOPING_KEYS = [/^kms:viaservice$/, /^kms:encryptioncontext:/, /^aws:sourcearn$/, /^aws:sourceaccount$/, /^kms:calleraccount$/];

/**
 * Actions that use the key material, or (`kms:CreateGrant`) let the caller hand that use to any
 * principal, itself included. A pattern in a key policy (`kms:*`, `kms:Create*`, `kms:Re*`, `*`) is
 * checked against each of them.
 * https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html
 */
const KEY_USE_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:CreateGrant',
] as const;

/**
 * Operators that require the key to be present and equal to (or like) one of the values. `...IfExists`,
 * `Not...` and `ForAllValues:` also pass a request that lacks the key (a direct call has no
 * kms:ViaService), so they scope nothing.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
const POSITIVE_STRING_OPERATOR = /^(ForAnyValue:)?String(Equals|Like)(IgnoreCase)?$/i;

/** True when the statement requires `key` to be one of a list of values, none of them the bare `*`. */
function requiresStringKey(s: Statement, key: string): boolean {
  return Object.entries(s.conditions).some(
    ([op, kv]) =>
      POSITIVE_STRING_OPERATOR.test(op) &&
      Object.entries(kv).some(([k, values]) => k.toLowerCase() === key && values.length > 0 && !values.includes('*')),
  );
}

/** True when the statement requires `kms:GrantIsForAWSResource` to be true (with `Bool`, not `BoolIfExists`). */
function requiresGrantForAwsResource(s: Statement): boolean {
  return Object.entries(s.conditions).some(
    ([op, kv]) =>
      op.toLowerCase() === 'bool' &&
      Object.entries(kv).some(([k, values]) => k.toLowerCase() === 'kms:grantisforawsresource' && values.length > 0 && values.every((v) => v.toLowerCase() === 'true')),
  );
}

/**
 * For a statement whose principal is not a service: the key-use actions it grants without the
 * condition that limits them to AWS services, grouped by the pattern that grants them
 * (`kms:Create* (covers kms:CreateGrant)`).
 */
function unscopedKeyUse(s: Statement): string[] {
  const viaService = requiresStringKey(s, 'kms:viaservice');
  const grantForResource = requiresGrantForAwsResource(s);
  const unscoped = grantedActions(s, KEY_USE_ACTIONS).filter((a) => !(viaService || (a === 'kms:CreateGrant' && grantForResource)));
  const byPattern = new Map<string, string[]>();
  for (const a of unscoped) {
    const via = s.notActions.length > 0 ? `NotAction ${s.notActions.join(', ')}` : s.actions.find((p) => actionMatches(p, a)) ?? a;
    byPattern.set(via, [...(byPattern.get(via) ?? []), a]);
  }
  return [...byPattern].map(([via, actions]) => (actions.length === 1 && actions[0] === via ? via : `${via} (covers ${actions.join(', ')})`));
}

export const kmsKeyPolicy = {
  id: 'WB-KMS-KEY-POLICY' as const,
  title:
    'KMS keys have an explicit key policy; no "*" principal, every service grant is scoped by a condition, and ' +
    'account principals use the key only through kms:ViaService',
  mirrors: ['CKV2_AWS_64', 'CKV_AWS_33'],
  severity: 'error',
  explanation:
    'The default key policy delegates everything to IAM in the account. An explicit policy names who may use the key; ' +
    'a service principal (logs.<region>.amazonaws.com) without a condition lets that service use the key on behalf ' +
    'of any account resource, so each service statement must carry kms:ViaService, kms:EncryptionContext:*, ' +
    'aws:SourceArn or aws:SourceAccount. An account (AWS) principal granted kms:Decrypt, kms:Encrypt, ' +
    'kms:ReEncrypt*, kms:GenerateDataKey* or kms:CreateGrant, also through a wildcard such as kms:*, kms:Create* or ' +
    '"*", may use the key outside the intended services (CreateGrant lets it give itself kms:Decrypt), so such a ' +
    'statement must require kms:ViaService (StringEquals or StringLike, not IfExists); CreateGrant may instead ' +
    'require kms:GrantIsForAWSResource = true. Fix: policy = JSON.stringify({...}) with one statement per service, ' +
    'administration actions listed without kms:Create* (kms:CreateAlias), and key use and kms:CreateGrant in ' +
    'statements conditioned on kms:ViaService.',
  evaluate: eachResource('aws_kms_key', (k, doc) => {
    const attached = resources(doc, 'aws_kms_key_policy').find((p) => refersTo(p.body.key_id, k));
    const raw = k.body.policy ?? attached?.body.policy;
    if (raw === undefined) return 'no policy on the key and no aws_kms_key_policy for it';
    const policy = readPolicy(doc, raw);
    if (!policy) return 'key policy cannot be read statically';
    for (const s of policy.statements.filter((st) => st.effect === 'Allow')) {
      const name = s.sid ? `statement "${s.sid}"` : 'a statement';
      if (principalIds(s).includes('*') && !hasCondition(s)) return 'an Allow statement has principal "*" without a condition';
      if (s.principals.Service?.length) {
        const keys = conditionKeys(s);
        if (!keys.some((key) => SCOPING_KEYS.some((re) => re.test(key)))) {
          return `the statement for ${s.principals.Service.join(', ')} has no scoping condition`;
        }
      }
      const accountPrincipals = Object.entries(s.principals).filter(([type, ids]) => type !== 'Service' && ids.length > 0);
      if (accountPrincipals.length > 0) {
        const unscoped = unscopedKeyUse(s);
        if (unscoped.length > 0) {
          return `${name} lets ${accountPrincipals.flatMap(([, ids]) => ids).join(', ')} use ${unscoped.join(', ')} without a kms:ViaService condition`;
        }
      }
    }
    return undefined;
  }),
} satisfies Rule;
