import type { Rule } from '../../types';
import { conditionKeys, hasCondition, principalIds, readPolicy } from '../../policy-document';
import { refersTo, resources } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

/** Condition keys that tie a service's use of a key to our resources or our account. */
const SCOPING_KEYS = [/^kms:viaservice$/, /^kms:encryptioncontext:/, /^aws:sourcearn$/, /^aws:sourceaccount$/, /^kms:calleraccount$/];

export const kmsKeyPolicy: Rule = {
  id: 'WB-KMS-KEY-POLICY',
  title: 'KMS keys have an explicit key policy; no "*" principal and every service grant is scoped by a condition',
  mirrors: ['CKV2_AWS_64', 'CKV_AWS_33'],
  severity: 'error',
  explanation:
    'The default key policy delegates everything to IAM in the account. An explicit policy names who may use the key; ' +
    'a service principal (logs.<region>.amazonaws.com) without a condition lets that service use the key on behalf ' +
    'of any account resource, so each service statement must carry kms:ViaService, kms:EncryptionContext:*, ' +
    'aws:SourceArn or aws:SourceAccount. Fix: policy = JSON.stringify({...}) with one statement per service.',
  evaluate: eachResource('aws_kms_key', (k, doc) => {
    const attached = resources(doc, 'aws_kms_key_policy').find((p) => refersTo(p.body.key_id, k));
    const raw = k.body.policy ?? attached?.body.policy;
    if (raw === undefined) return 'no policy on the key and no aws_kms_key_policy for it';
    const policy = readPolicy(doc, raw);
    if (!policy) return 'key policy cannot be read statically';
    for (const s of policy.statements.filter((st) => st.effect === 'Allow')) {
      if (principalIds(s).includes('*') && !hasCondition(s)) return 'an Allow statement has principal "*" without a condition';
      if (s.principals.Service?.length) {
        const keys = conditionKeys(s);
        if (!keys.some((key) => SCOPING_KEYS.some((re) => re.test(key)))) {
          return `the statement for ${s.principals.Service.join(', ')} has no scoping condition`;
        }
      }
    }
    return undefined;
  }),
};
