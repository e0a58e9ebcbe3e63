import { UserError } from '../../config/errors';
import { dev, prod } from '../support/environments';
import { AWS_PROVIDER_VERSION } from '../../stacks/provider';
import { readdirSync } from 'node:fs';
import { buildApp } from '../../stacks/app';
import { onlyResource, synthStack, withField } from '../support/synth';
import { scratchDir } from '../support/scratch';
import type { EnvironmentConfig } from '../../config/types';

describe('WorkshopBackendStack', () => {
  const devStack = synthStack(dev);
  const prodStack = synthStack(prod);

  it('pins the AWS provider version the bindings were generated for, in the configured region with default tags', () => {
    expect(devStack.doc.terraform.required_providers).toEqual({ aws: { source: 'hashicorp/aws', version: AWS_PROVIDER_VERSION } });
    const provider = (devStack.doc as unknown as { provider: { aws: Array<Record<string, unknown>> } }).provider.aws[0];
    expect(provider).toMatchObject({ region: 'ap-southeast-1', default_tags: [{ tags: { Project: 'workshop-backend', Environment: 'dev' } }] });
  });

  it('outputs the function name and ARN, DB endpoint, secret ARN, and the endpoint id and DNS names', () => {
    const fn = onlyResource(devStack.doc, 'aws_lambda_function').name;
    const db = onlyResource(devStack.doc, 'aws_db_instance').name;
    const vpce = onlyResource(devStack.doc, 'aws_vpc_endpoint').name;
    expect(devStack.doc.output).toEqual({
      function_name: expect.objectContaining({ value: `\${aws_lambda_function.${fn}.function_name}` }),
      function_arn: expect.objectContaining({ value: `\${aws_lambda_function.${fn}.arn}` }),
      db_endpoint_address: expect.objectContaining({ value: `\${aws_db_instance.${db}.address}` }),
      db_secret_arn: expect.objectContaining({ value: `\${aws_db_instance.${db}.master_user_secret[0].secret_arn}` }),
      vpc_endpoint_id: expect.objectContaining({ value: `\${aws_vpc_endpoint.${vpce}.id}` }),
      vpc_endpoint_dns_names: expect.objectContaining({ value: `\${aws_vpc_endpoint.${vpce}.dns_entry[*].dns_name}` }),
    });
  });

  it('creates a customer-managed key only in prod, with rotation and a policy that limits use to the named services and log groups', () => {
    expect(devStack.doc.resource.aws_kms_key).toBeUndefined();
    const { body } = onlyResource(prodStack.doc, 'aws_kms_key');
    expect(body.enable_key_rotation).toBe(true);
    const statements = JSON.parse(body.policy).Statement;
    expect(statements.map((s: { Sid: string }) => s.Sid)).toEqual([
      'AccountAdministersKey',
      'AccountUsesKeyOnlyThroughServices',
      'ServicesCreateGrantsForTheirResources',
      'CloudWatchLogsEncryptsTheseLogGroups',
      'AlarmsAndRulesEncryptForTheAlertTopic',
    ]);
    // No administration action may hand out cryptographic use: no Decrypt, no grant, no Create*.
    expect(statements[0].Action.filter((a: string) => /Decrypt|Grant|Create\*|^kms:\*$/.test(a))).toEqual([]);
    expect(statements[2]).toMatchObject({
      Action: 'kms:CreateGrant',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' }, StringEquals: { 'kms:ViaService': expect.any(Array) } },
    });
    expect(statements[1].Condition.StringEquals['kms:ViaService']).toEqual([
      'secretsmanager.ap-southeast-1.amazonaws.com',
      'rds.ap-southeast-1.amazonaws.com',
      'lambda.ap-southeast-1.amazonaws.com',
    ]);
    expect(statements[3].Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn'].map((a: string) => a.split(':log-group:')[1])).toEqual([
      '/aws/vpc/workshop-prod-backend-vpc/flow-logs',
      '/aws/lambda/workshop-prod-lambda-db-health',
      '/aws/lambda/workshop-prod-lambda-db-migrate',
      '/aws/rds/instance/workshop-prod-backend-db/postgresql',
      '/aws/rds/instance/workshop-prod-backend-db/upgrade',
    ]);
    // CloudWatch and EventBridge may use the key only for messages to the alert topic.
    expect(statements[4]).toMatchObject({
      Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    });
    expect(statements[4].Condition.StringEquals['kms:EncryptionContext:aws:sns:topicArn']).toMatch(
      /^arn:\$\{data\.aws_partition\.[^}]+\}:sns:ap-southeast-1:\$\{data\.aws_caller_identity\.[^}]+\}:workshop-prod-backend-alerts$/,
    );
  });

  it('gives dev and prod distinct resource names, so both can live in one account', () => {
    // Inline role policy names are scoped to their role, not to the account.
    const names = (doc: typeof devStack.doc) =>
      Object.entries(doc.resource)
        .filter(([type]) => type !== 'aws_iam_role_policy')
        .flatMap(([, byName]) => Object.values(byName).map((r) => r.name ?? r.identifier ?? r.function_name))
        .filter(Boolean);
    const devNames = new Set(names(devStack.doc));
    expect(names(prodStack.doc).filter((n) => devNames.has(n))).toEqual([]);
  });

  it('synthesizes the same JSON every time', () => {
    expect(synthStack(dev).json).toBe(devStack.json);
  });

  it('fails before building anything when the configuration is invalid: the app validates every environment once', () => {
    const outdir = scratchDir('invalid-');
    const bad = withField(dev, 'functions.0.memorySizeMiB', 1) as EnvironmentConfig;
    expect(() => buildApp({ environments: [prod, bad], outdir, env: {} })).toThrow(UserError);
    expect(readdirSync(outdir)).toEqual([]);
  });
});
