import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { dev, prod } from '../../support/environments';
import { bundleLambda } from '../../../stacks/constructs/lambda-bundle';
import { nameWhere, onlyResource, ref, resourcesOf, synthStack, withField, type TerraformDocument } from '../../support/synth';
import type { EnvironmentConfig } from '../../../config/types';
import { connectionBudget, lambdaTimeouts, longestInvocationPathMillis, totalReservedConcurrency } from '../../../config/derived';
import { TUNING_VARIABLES, loadConfig } from '../../../lambda-src/config';

/** The `aws_lambda_function` of `doc` named `functionName`. */
function functionNamed(doc: TerraformDocument, functionName: string): { name: string; body: Record<string, any> } {
  return { name: nameWhere(doc, 'aws_lambda_function', 'function_name', functionName), body: resourcesOf(doc, 'aws_lambda_function')[nameWhere(doc, 'aws_lambda_function', 'function_name', functionName)] };
}

describe('BackendFunction', () => {
  const devStack = synthStack(dev);
  const prodStack = synthStack(prod);
  const dbName = onlyResource(devStack.doc, 'aws_db_instance').name;
  const secretArnRef = `\${aws_db_instance.${dbName}.master_user_secret[0].secret_arn}`;
  // The seed's spelling (step 2.5), kept on purpose: see config/names.ts.
  const role = nameWhere(devStack.doc, 'aws_iam_role', 'name', 'workshop-lamda-secretsmng-role');

  it("names dev's role as the seed does, with its description, and prod's with its own prefix and spelling", () => {
    expect(resourcesOf(devStack.doc, 'aws_iam_role')[role]).toMatchObject({
      name: 'workshop-lamda-secretsmng-role',
      description: 'Allows Lambda functions to call Secrets Manager to fetch secrets.',
    });
    const prodRole = nameWhere(prodStack.doc, 'aws_iam_role', 'name', 'workshop-prod-lambda-secretsmng-role');
    expect(resourcesOf(prodStack.doc, 'aws_iam_role')[prodRole].description).toBe('Allows Lambda functions to call Secrets Manager to fetch secrets.');
  });

  it('runs the bundled handler from a content-addressed asset, with a source_code_hash of the zip', () => {
    const { body } = onlyResource(devStack.doc, 'aws_lambda_function');
    expect(body).toMatchObject({
      function_name: 'workshop-lambda-db-health',
      runtime: 'nodejs24.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      memory_size: 256,
      timeout: 10,
      source_code_hash: bundleLambda().sourceCodeHash,
      role: ref('aws_iam_role', role, 'arn'),
    });
    expect(body.filename).toMatch(/^assets\/function_code_[0-9A-F]+\/[0-9A-F]+\/lambda\.zip$/);
  });

  it('sets the secret ARN from the DB instance in both the environment and the read policy', () => {
    const env = onlyResource(devStack.doc, 'aws_lambda_function').body.environment.variables;
    expect(env).toMatchObject({
      DB_SECRET_ARN: secretArnRef,
      DB_HOST: `\${aws_db_instance.${dbName}.address}`,
      DB_PORT: '5432',
      DB_NAME: 'workshop',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    });
    const policy = JSON.parse(onlyResource(devStack.doc, 'aws_iam_policy').body.policy);
    expect(policy.Statement).toEqual([
      { Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: secretArnRef },
    ]);
  });

  it('fits the longest invocation path (a rotation: two secret fetches, two connects, a query) inside the function timeout', () => {
    const functions = [devStack, prodStack].flatMap(({ doc }) => Object.values(resourcesOf(doc, 'aws_lambda_function')));
    expect(functions).toHaveLength(3);
    for (const body of functions as Record<string, any>[]) {
      const env = body.environment.variables;
      const wait = (name: string) => {
        const millis = Number(env[name]);
        expect(millis).toBeGreaterThanOrEqual(50); // the Lambda's lower bound for every timeout
        return millis;
      };
      // The synthesized waits, summed along the path config/derived.ts defines.
      // A function that logs in with IAM fetches no secret: its path is the connects and the query.
      const fetch = (name: string) => (env.DB_AUTH === 'iam' ? 0 : wait(name));
      const longest = longestInvocationPathMillis({
        secretsManagerConnectTimeoutMillis: fetch('SECRETS_MANAGER_CONNECT_TIMEOUT_MS'),
        secretsManagerRequestTimeoutMillis: fetch('SECRETS_MANAGER_REQUEST_TIMEOUT_MS'),
        dbConnectTimeoutMillis: wait('DB_CONNECT_TIMEOUT_MS'),
        dbQueryTimeoutMillis: wait('DB_QUERY_TIMEOUT_MS'),
      });
      expect(longest).toBeLessThan(body.timeout * 1000);
    }
  });

  const secretArn = 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:rds!db-1-AbCdEf';
  it.each([
    ['dev', () => functionNamed(devStack.doc, 'workshop-lambda-db-health'), dev, { mode: 'master-secret', secretArn }],
    ['prod', () => functionNamed(prodStack.doc, 'workshop-prod-lambda-db-health'), prod, { mode: 'iam', user: 'app_reader', region: 'ap-southeast-1' }],
  ])("sets a %s Lambda environment that lambda-src's config loader accepts, with the derived timeouts and pool size", (_name, lambda, config, auth) => {
    const { body } = lambda();
    // Terraform fills the references at apply time, and Lambda sets AWS_REGION; stand in plausible values for them.
    const resolved = Object.fromEntries(
      Object.entries({ ...(body.environment.variables as Record<string, string>), AWS_REGION: 'ap-southeast-1' }).map(([name, value]) => [
        name,
        value.replace(/\$\{aws_db_instance\.[^}]+\.master_user_secret\[0\]\.secret_arn\}/, secretArn)
          .replace(/\$\{aws_db_instance\.[^}]+\.address\}/, 'workshop-backend-db.abc.ap-southeast-1.rds.amazonaws.com'),
      ]),
    );
    const derived = lambdaTimeouts(body.timeout);
    // A function that logs in with IAM reads no secret: the stack leaves the Secrets Manager waits at the handler's defaults.
    const timeouts =
      auth.mode === 'iam'
        ? {
            ...derived,
            secretsManagerConnectTimeoutMillis: TUNING_VARIABLES.secretsManagerConnectTimeoutMillis.defaultValue,
            secretsManagerRequestTimeoutMillis: TUNING_VARIABLES.secretsManagerRequestTimeoutMillis.defaultValue,
          }
        : derived;
    expect(body.environment.variables.SECRETS_MANAGER_REQUEST_TIMEOUT_MS).toBe(auth.mode === 'iam' ? undefined : String(derived.secretsManagerRequestTimeoutMillis));
    expect(loadConfig(resolved)).toEqual({
      auth,
      actions: ['health', 'tables'],
      dbHost: 'workshop-backend-db.abc.ap-southeast-1.rds.amazonaws.com',
      dbPort: 5432,
      dbName: 'workshop',
      ...timeouts,
      secretCacheTtlSeconds: TUNING_VARIABLES.secretCacheTtlSeconds.defaultValue,
      dbPoolMaxSessions: connectionBudget(config.database, totalReservedConcurrency(config.functions)).sessionsPerHandler,
    });
  });

  it('adds kms:Decrypt through Secrets Manager only when a customer-managed key encrypts the secret', () => {
    const key = ref('aws_kms_key', onlyResource(prodStack.doc, 'aws_kms_key').name, 'arn');
    // In prod only the migration function reads the secret.
    const secretRead = nameWhere(prodStack.doc, 'aws_iam_policy', 'name', 'workshop-prod-db-migrate-read-db-secret');
    const policy = JSON.parse(resourcesOf(prodStack.doc, 'aws_iam_policy')[secretRead].policy as string);
    expect(policy.Statement[1]).toEqual({
      Sid: 'DecryptDatabaseSecret',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: key,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-southeast-1.amazonaws.com' } },
    });
    expect(JSON.parse(onlyResource(devStack.doc, 'aws_iam_policy').body.policy).Statement).toHaveLength(1);
  });

  it('lets the prod role decrypt its environment variables with the key through Lambda only, attached before the function exists', () => {
    const key = ref('aws_kms_key', onlyResource(prodStack.doc, 'aws_kms_key').name, 'arn');
    const name = nameWhere(prodStack.doc, 'aws_iam_policy', 'name', 'workshop-prod-decrypt-lambda-environment');
    const policy = JSON.parse(resourcesOf(prodStack.doc, 'aws_iam_policy')[name].policy as string);
    expect(policy.Statement).toEqual([
      {
        Sid: 'DecryptFunctionEnvironment',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: key,
        Condition: { StringEquals: { 'kms:ViaService': 'lambda.ap-southeast-1.amazonaws.com' } },
      },
    ]);
    const prodRole = nameWhere(prodStack.doc, 'aws_iam_role', 'name', 'workshop-prod-lambda-secretsmng-role');
    const attachment = Object.entries(resourcesOf(prodStack.doc, 'aws_iam_role_policy_attachment')).filter(
      ([, a]) => a.policy_arn === ref('aws_iam_policy', name, 'arn') && a.role === ref('aws_iam_role', prodRole, 'name'),
    );
    expect(attachment).toHaveLength(1);
    expect(functionNamed(prodStack.doc, 'workshop-prod-lambda-db-health').body.depends_on).toContain(`aws_iam_role_policy_attachment.${attachment[0][0]}`);
    // dev encrypts with AWS-managed keys: no such policy.
    expect(Object.values(resourcesOf(devStack.doc, 'aws_iam_policy')).map((p) => p.name)).toEqual(['workshop-read-db-secret']);
  });

  it('gives the role a Lambda-only trust policy and managed policy attachments (partition-aware)', () => {
    const trust = JSON.parse(resourcesOf(devStack.doc, 'aws_iam_role')[role].assume_role_policy as string);
    expect(trust.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    const attachments = Object.values(resourcesOf(devStack.doc, 'aws_iam_role_policy_attachment')).filter((a) => a.role === ref('aws_iam_role', role, 'name'));
    const partition = Object.keys(devStack.doc.data!.aws_partition)[0];
    expect(attachments.map((a) => a.policy_arn).sort()).toEqual(
      [
        `arn:\${data.aws_partition.${partition}.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`,
        `arn:\${data.aws_partition.${partition}.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess`,
        ref('aws_iam_policy', onlyResource(devStack.doc, 'aws_iam_policy').name, 'arn'),
      ].sort(),
    );
    const inline = Object.values(resourcesOf(devStack.doc, 'aws_iam_role_policy')).filter((p) => p.role === ref('aws_iam_role', role, 'id'));
    expect(inline).toEqual([]);
  });

  it('attaches the seed\'s SecretsManagerReadWrite instead of the scoped policy only when asked to', () => {
    const seedLike = synthStack(withField(dev, 'lambda.secretAccess', 'SecretsManagerReadWrite') as EnvironmentConfig);
    expect(seedLike.json).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: expect.stringMatching(/:iam::aws:policy\/SecretsManagerReadWrite$/),
    });
    expect(seedLike.doc.resource.aws_iam_policy).toBeUndefined();
  });

  it('is not created before its role policy attachments and its log group exist', () => {
    const { body } = onlyResource(devStack.doc, 'aws_lambda_function');
    const logGroup = nameWhere(devStack.doc, 'aws_cloudwatch_log_group', 'name', '/aws/lambda/workshop-lambda-db-health');
    const attachments = Object.keys(resourcesOf(devStack.doc, 'aws_iam_role_policy_attachment')).map((n) => `aws_iam_role_policy_attachment.${n}`);
    expect([...body.depends_on].sort()).toEqual([...attachments, `aws_cloudwatch_log_group.${logGroup}`].sort());
    expect(body.logging_config.log_group).toBe(ref('aws_cloudwatch_log_group', logGroup, 'name'));
  });

  it('runs in the Lambda subnets with the Lambda security group, which has no ingress', () => {
    const lambdaSg = ref('aws_security_group', nameWhere(devStack.doc, 'aws_security_group', 'name', 'workshop-lambda-sg'), 'id');
    const { body } = onlyResource(devStack.doc, 'aws_lambda_function');
    expect(body.vpc_config.security_group_ids).toEqual([lambdaSg]);
    expect(Object.values(resourcesOf(devStack.doc, 'aws_vpc_security_group_ingress_rule')).filter((r) => r.security_group_id === lambdaSg)).toEqual([]);
    const egressPorts = Object.values(resourcesOf(devStack.doc, 'aws_vpc_security_group_egress_rule'))
      .filter((r) => r.security_group_id === lambdaSg)
      .map((r) => r.from_port)
      .sort();
    expect(egressPorts).toEqual([443, 5432]);
  });

  it('moves its ENIs to the rule-less default group on destroy', () => {
    const defaultSg = onlyResource(devStack.doc, 'aws_default_security_group').name;
    expect(devStack.json).toHaveResourceWithProperties(LambdaFunction, {
      replace_security_groups_on_destroy: true,
      replacement_security_group_ids: [ref('aws_default_security_group', defaultSg, 'id')],
    });
  });

  it('declares /aws/lambda/<name> with retention, and in prod reserves concurrency and encrypts logs and environment with the key', () => {
    expect(onlyResource(devStack.doc, 'aws_lambda_function').body.reserved_concurrent_executions).toBeUndefined();
    const key = ref('aws_kms_key', onlyResource(prodStack.doc, 'aws_kms_key').name, 'arn');
    const { body } = functionNamed(prodStack.doc, 'workshop-prod-lambda-db-health');
    expect(body).toMatchObject({ reserved_concurrent_executions: 100, kms_key_arn: key, tracing_config: { mode: 'Active' } });
    const logGroup = nameWhere(prodStack.doc, 'aws_cloudwatch_log_group', 'name', '/aws/lambda/workshop-prod-lambda-db-health');
    expect(resourcesOf(prodStack.doc, 'aws_cloudwatch_log_group')[logGroup]).toMatchObject({ retention_in_days: 365, kms_key_id: key });
  });

  describe('with IAM database authentication (prod)', () => {
    const { body } = functionNamed(prodStack.doc, 'workshop-prod-lambda-db-health');
    const prodRole = nameWhere(prodStack.doc, 'aws_iam_role', 'name', 'workshop-prod-lambda-secretsmng-role');
    const policies = resourcesOf(prodStack.doc, 'aws_iam_policy');
    const attachedToRole = Object.values(resourcesOf(prodStack.doc, 'aws_iam_role_policy_attachment'))
      .filter((a) => a.role === ref('aws_iam_role', prodRole, 'name'))
      .map((a) => a.policy_arn as string);

    it('logs in as its database role, with no secret and no path to the endpoint', () => {
      expect(body.environment.variables).toMatchObject({ DB_AUTH: 'iam', DB_USER: 'app_reader', DB_ACTIONS: 'health,tables' });
      expect(body.environment.variables.DB_SECRET_ARN).toBeUndefined();
      const sg = ref('aws_security_group', nameWhere(prodStack.doc, 'aws_security_group', 'name', 'workshop-prod-lambda-sg'), 'id');
      const egress = Object.values(resourcesOf(prodStack.doc, 'aws_vpc_security_group_egress_rule')).filter((r) => r.security_group_id === sg);
      expect(egress.map((r) => r.from_port)).toEqual([5432]);
    });

    it('is created, or switched to its role, only after the migrations that create the role have run', () => {
      const invocation = onlyResource(prodStack.doc, 'aws_lambda_invocation').name;
      expect(body.depends_on).toContain(`aws_lambda_invocation.${invocation}`);
    });

    it('may rds-db:connect as that role of this instance (its DbiResourceId), and read no secret', () => {
      const connect = nameWhere(prodStack.doc, 'aws_iam_policy', 'name', 'workshop-prod-rds-db-connect');
      expect(attachedToRole).toContain(ref('aws_iam_policy', connect, 'arn'));
      const db = onlyResource(prodStack.doc, 'aws_db_instance').name;
      const partition = Object.keys(prodStack.doc.data!.aws_partition)[0];
      const caller = Object.keys(prodStack.doc.data!.aws_caller_identity)[0];
      expect(JSON.parse(policies[connect].policy as string).Statement).toEqual([
        {
          Sid: 'ConnectAsDatabaseRole',
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: `arn:\${data.aws_partition.${partition}.partition}:rds-db:ap-southeast-1:\${data.aws_caller_identity.${caller}.account_id}:dbuser:\${aws_db_instance.${db}.resource_id}/app_reader`,
        },
      ]);
      const reads = Object.entries(policies).filter(([, p]) => (p.policy as string).includes('secretsmanager:GetSecretValue'));
      expect(reads.map(([name]) => name).filter((name) => attachedToRole.includes(ref('aws_iam_policy', name, 'arn')))).toEqual([]);
    });
  });

  describe('a second function', () => {
    const reports = { ...dev.functions[0], name: 'reports', actions: ['tables'], reservedConcurrentExecutions: 5 };
    const twoFunctions = synthStack({ ...dev, functions: [...dev.functions, reports] });
    const doc = twoFunctions.doc;

    it('gets its own role, security group, log group and rules to the database and the endpoint, named after it', () => {
      const { body } = functionNamed(doc, 'workshop-lambda-reports');
      const role = nameWhere(doc, 'aws_iam_role', 'name', 'workshop-lambda-reports-role');
      const sg = nameWhere(doc, 'aws_security_group', 'name', 'workshop-lambda-reports-sg');
      expect(body).toMatchObject({ role: ref('aws_iam_role', role, 'arn'), reserved_concurrent_executions: 5, vpc_config: { security_group_ids: [ref('aws_security_group', sg, 'id')] } });
      expect(body.environment.variables.DB_ACTIONS).toBe('tables');
      nameWhere(doc, 'aws_cloudwatch_log_group', 'name', '/aws/lambda/workshop-lambda-reports');
      const rules = Object.entries(resourcesOf(doc, 'aws_vpc_security_group_egress_rule')).filter(([, r]) => r.security_group_id === ref('aws_security_group', sg, 'id'));
      expect(rules.map(([name, r]) => [name.replace(/_[0-9A-F]{8}$/, ''), r.from_port, r.description]).sort()).toEqual([
        ['database_allow-from-reports_egress', 5432, 'PostgreSQL (port 5432) to the database'],
        ['secrets-endpoint_allow-from-reports_egress', 443, 'HTTPS (port 443) to the Secrets Manager endpoint'],
      ]);
      const policy = nameWhere(doc, 'aws_iam_policy', 'name', 'workshop-reports-read-db-secret');
      expect(policy).toMatch(/^database_secret-read-reports-policy_/);
    });

    it("gets grants of its own under the seed's SecretsManagerReadWrite and a customer-managed key, so the second grant does not collide with the first", () => {
      const seedLike = { ...dev, customerManagedKey: true, lambda: { ...dev.lambda, secretAccess: 'SecretsManagerReadWrite' as const } };
      const { doc: both } = synthStack({ ...seedLike, functions: [...dev.functions, reports] });
      const names = Object.values(resourcesOf(both, 'aws_iam_policy')).map((p) => p.name as string).filter((n) => n.endsWith('decrypt-db-secret'));
      expect(names.sort()).toEqual(['workshop-decrypt-db-secret', 'workshop-reports-decrypt-db-secret']);
    });

    it("keeps every resource of the first function at its address", () => {
      const before = new Set(Object.entries(devStack.doc.resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)));
      const after = new Set(Object.entries(doc.resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)));
      expect([...before].filter((address) => !after.has(address))).toEqual([]);
    });
  });
});
