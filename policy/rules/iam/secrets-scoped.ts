import type { Evaluation, Rule } from '../../types';
import { identityPolicies } from '../../iam';
import { hasWildcard } from '../../policy-document';
import { isWildcardOnly } from '../../wildcard-only-actions';
import { orNotApplicable } from '../../rule-helpers';

/** Secrets Manager access names exactly one secret. */
export const iamSecretsScoped = {
  id: 'WB-IAM-SECRETS-SCOPED' as const,
  title: 'Secrets Manager permissions name exactly one secret, without wildcards',
  mirrors: ['CKV_AWS_288', 'AwsSolutions-IAM5'],
  severity: 'error',
  explanation:
    'The function reads one secret: the database master secret RDS manages. A wildcard or a list of secrets lets a ' +
    'compromised function read others. Fix: Resource = the secret ARN reference ' +
    '(aws_db_instance.X.master_user_secret[0].secret_arn) and nothing else.',
  evaluate: (doc) =>
    orNotApplicable(
      identityPolicies(doc)
        .filter((p) => p.document?.statements.some((s) => s.actions.some((a) => /^secretsmanager:/i.test(a))))
        .map((p): Evaluation => {
          const problems: string[] = [];
          const secrets = new Set<string>();
          for (const s of p.document!.statements.filter((st) => st.effect === 'Allow')) {
            const restrictable = s.actions.filter((a) => /^secretsmanager:/i.test(a) && !isWildcardOnly(a));
            if (restrictable.length === 0) continue;
            if (s.notResources.length > 0) problems.push('NotResource is used');
            for (const r of s.resources) {
              if (hasWildcard(r)) problems.push(`wildcard resource ${r}`);
              secrets.add(r);
            }
          }
          if (secrets.size > 1) problems.push(`${secrets.size} secrets are named`);
          return {
            address: p.owner.address,
            compliant: problems.length === 0,
            finding: p.finding,
            message: problems.length === 0 ? 'scoped to one secret' : problems.join(', '),
          };
        }),
      'identity policy with secretsmanager actions',
    ),
} satisfies Rule;
