import type { Rule } from '../../types';
import { conditionKeys, isUnreadablePolicy, principalIds, readPolicy } from '../../policy-document';
import { eachResource } from '../../rule-helpers';

/** Conditions that tie a publisher to this account or to one source resource. */
const SOURCE_KEYS = ['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceowner', 'aws:principalaccount', 'aws:principalorgid'];

export const snsTopicPolicy = {
  id: 'WB-SNS-TOPIC-POLICY' as const,
  title: 'SNS topic policies scope every Allow statement to this account or a source ARN',
  mirrors: ['CKV_AWS_169'],
  severity: 'error',
  explanation:
    'A topic policy that allows "*", or a service principal such as cloudwatch.amazonaws.com without a source ' +
    'condition, lets any account (or any account\'s alarms) publish, so anyone can page the on-call engineer or ' +
    'bury a real alert (the confused-deputy problem). Fix: every Allow statement carries aws:SourceAccount, ' +
    'aws:SourceArn, aws:PrincipalAccount or aws:PrincipalOrgID, e.g. { StringEquals: { "aws:SourceAccount": ' +
    'accountId }, ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:<region>:<account>:alarm:<prefix>-*" } }.',
  evaluate: eachResource(['aws_sns_topic_policy', 'aws_sns_topic'], (r, doc) => {
    const raw = r.body.policy;
    if (raw === undefined) return undefined;
    if (isUnreadablePolicy(doc, raw)) return 'policy cannot be read statically';
    const policy = readPolicy(doc, raw);
    if (!policy) return 'policy cannot be read statically';
    for (const s of policy.statements.filter((st) => st.effect === 'Allow')) {
      if (!conditionKeys(s).some((k) => SOURCE_KEYS.includes(k))) {
        return `the Allow statement ${s.sid ? `"${s.sid}" ` : ''}for ${principalIds(s).join(', ') || 'no principal'} has no aws:SourceAccount, aws:SourceArn, aws:PrincipalAccount or aws:PrincipalOrgID condition`;
      }
    }
    return undefined;
  }),
} satisfies Rule;
