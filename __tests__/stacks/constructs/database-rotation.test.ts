import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { dev, prod } from '../../support/environments';
import type { EnvironmentConfig } from '../../../config/types';
import { onlyResource, synthStack, withField } from '../../support/synth';

describe('Database secret rotation', () => {
  const devStack = synthStack(dev);
  const prodStack = synthStack(prod);
  const secretArnOf = (doc: typeof devStack.doc) =>
    `\${aws_db_instance.${onlyResource(doc, 'aws_db_instance').name}.master_user_secret[0].secret_arn}`;

  it("sets exactly one rotation, on the instance's master_user_secret ARN, with rotation rules and no rotation Lambda", () => {
    for (const { doc } of [devStack, prodStack]) {
      const { body } = onlyResource(doc, 'aws_secretsmanager_secret_rotation');
      expect(body.secret_id).toBe(secretArnOf(doc));
      expect(body.rotation_rules).toBeDefined();
      expect(body).not.toHaveProperty('rotation_lambda_arn');
      // No secret of our own: the rotation targets the one RDS manages.
      expect(doc.resource.aws_secretsmanager_secret).toBeUndefined();
      expect(doc.resource.aws_lambda_permission).toBeUndefined();
    }
  });

  it("rotates dev every 7 days as the seed shows, without rotating on deploy", () => {
    expect(devStack.json).toHaveResourceWithProperties(SecretsmanagerSecretRotation, {
      rotate_immediately: false,
      rotation_rules: { automatically_after_days: 7 },
    });
    const rules = onlyResource(devStack.doc, 'aws_secretsmanager_secret_rotation').body.rotation_rules;
    expect(rules).toEqual({ automatically_after_days: 7 });
  });

  it('rotates prod weekly in a 3-hour window from Saturday 18:00 UTC (Sunday 02:00 in Singapore), without rotating on deploy', () => {
    const { body } = onlyResource(prodStack.doc, 'aws_secretsmanager_secret_rotation');
    expect(body.rotate_immediately).toBe(false);
    expect(body.rotation_rules).toEqual({ schedule_expression: 'cron(0 18 ? * SAT *)', duration: '3h' });
  });

  it('passes a configured rate, window and rotateImmediately through unchanged', () => {
    const config = withField(dev, 'database.secretRotation', {
      scheduleExpression: 'rate(12 hours)',
      windowDuration: '2h',
      rotateImmediately: true,
    }) as EnvironmentConfig;
    const { body } = onlyResource(synthStack(config).doc, 'aws_secretsmanager_secret_rotation');
    expect(body.rotate_immediately).toBe(true);
    expect(body.rotation_rules).toEqual({ schedule_expression: 'rate(12 hours)', duration: '2h' });
  });

  it('fails before building anything when the schedule is invalid', () => {
    const config = withField(dev, 'database.secretRotation', { scheduleExpression: 'rate(1 hour)', rotateImmediately: false }) as EnvironmentConfig;
    expect(() => synthStack(config)).toThrow(/database\.secretRotation\.scheduleExpression: received "rate\(1 hour\)"; allowed: a rate from 4 hours to 999 days/);
  });
});
