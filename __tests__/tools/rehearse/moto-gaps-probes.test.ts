/**
 * The Lambda moto gaps (tools/rehearse/moto-gaps.ts, `lambda-invoke-docker` and
 * `lambda-invoke-echo`) against a real moto server: what moto does without the rehearsal's switch,
 * what it does with it, and that each gap's evidence sees it. `npm run rehearse` runs the same
 * evidence on every run; these tests show it in seconds.
 *
 * Needs moto (`python3 -m pip install 'moto[server]==5.2.1'`): locally, without it, the tests are
 * skipped with a notice; under CI=true they fail, naming what is missing.
 */
import { existsSync } from 'node:fs';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, DeleteFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ZipFile } from 'yazl';
import { clientConfig, type MotoTarget } from '../../../tools/rehearse/aws-clients';
import { MOTO_VERSION, motoConfig, motoGap, type DeployedFunctionFacts } from '../../../tools/rehearse/moto-gaps';
import { installedMotoVersion, motoInstallHint, postMotoConfig, startMotoServer, type MotoServer } from '../../../tools/rehearse/moto-server';
import { describeIfAvailable } from '../../support/requirements';

const moto = installedMotoVersion();
const REGION = 'ap-southeast-1';
/** The migration invocation's input, as stacks/constructs/migrations.ts writes it. */
const INPUT = JSON.stringify({ migrations: [{ name: '0001_app_roles', checksum: 'c'.repeat(64) }] });
/** Whether a Docker daemon could answer moto's Docker backend here. */
const DOCKER_HERE = existsSync('/var/run/docker.sock') || process.env.DOCKER_HOST !== undefined;

/** A zip whose handler throws: AWS would answer with a FunctionError. */
function throwingZip(): Promise<Buffer> {
  const zip = new ZipFile();
  zip.addBuffer(Buffer.from("exports.handler = async () => { throw new Error('the code ran'); };\n"), 'index.js');
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** Creates a role and a Node.js function named `name` on `target`; returns how to remove both. */
async function createFunction(target: MotoTarget, name: string): Promise<() => Promise<void>> {
  const iam = new IAMClient(clientConfig(target));
  const lambda = new LambdaClient(clientConfig(target));
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: role.Role!.Arn!, Code: { ZipFile: await throwingZip() } }));
  return async () => {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);
    await iam.send(new DeleteRoleCommand({ RoleName: name })).catch(() => undefined);
    lambda.destroy();
    iam.destroy();
  };
}

describeIfAvailable(`the Lambda moto gaps (moto ${moto})`, moto === undefined ? `moto (${motoInstallHint(MOTO_VERSION)})` : undefined, () => {
  let plain: MotoServer;
  let switched: MotoServer;
  const target = (server: MotoServer): MotoTarget => ({ endpoint: server.endpoint, region: REGION });

  beforeAll(async () => {
    [plain, switched] = await Promise.all([startMotoServer(), startMotoServer({ config: motoConfig() })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), switched?.stop()]);
  });

  describe('lambda-invoke-docker', () => {
    const gap = motoGap('lambda-invoke-docker');
    const probe = (server: MotoServer) => {
      if (gap.evidence.kind !== 'probe') throw new Error('lambda-invoke-docker has a probe');
      return gap.evidence.run(target(server));
    };

    it("is seen by its probe on a server started without the switch: moto's Lambda defaults to Docker", async () => {
      await expect(probe(plain)).resolves.toBe('GET /moto-api/config of a server started without the switch: lambda {"use_docker":true}');
    });

    it('is gone on a server started with the rehearsal\'s configuration, so the override takes', async () => {
      await expect(probe(switched)).resolves.toBeUndefined();
    });

    (DOCKER_HERE ? it.skip : it)(
      `fails Invoke with "error running docker" on the default backend without a Docker daemon${DOCKER_HERE ? ' (skipped: a Docker daemon is here)' : ''}`,
      async () => {
        const remove = await createFunction(target(plain), 'probe-docker');
        const lambda = new LambdaClient(clientConfig(target(plain)));
        try {
          const answer = await lambda.send(new InvokeCommand({ FunctionName: 'probe-docker', Payload: Buffer.from(INPUT) }));
          expect(answer.FunctionError).toBe('Handled');
          expect(Buffer.from(answer.Payload!).toString()).toMatch(/^error running docker: /);
        } finally {
          lambda.destroy();
          await remove();
        }
      },
    );

    it('keeps the two backends apart: a function created before the switch is not listed after it, hence the switch at start', async () => {
      const server = await startMotoServer();
      try {
        const remove = await createFunction(target(server), 'probe-before-switch');
        const lambda = new LambdaClient(clientConfig(target(server)));
        try {
          const names = async () => ((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName);
          expect(await names()).toEqual(['probe-before-switch']);
          await postMotoConfig(server.endpoint, motoConfig());
          expect(await names()).toEqual([]);
        } finally {
          lambda.destroy();
          await remove();
        }
      } finally {
        await server.stop();
      }
    });
  });

  describe('lambda-invoke-echo', () => {
    it("answers Invoke with the input and no FunctionError though the code throws, and the gap's check sees it in that result", async () => {
      const remove = await createFunction(target(switched), 'probe-echo');
      const lambda = new LambdaClient(clientConfig(target(switched)));
      try {
        const answer = await lambda.send(new InvokeCommand({ FunctionName: 'probe-echo', Payload: Buffer.from(INPUT) }));
        expect(answer.StatusCode).toBe(200);
        expect(answer.FunctionError).toBeUndefined();
        const result = Buffer.from(answer.Payload!).toString();
        expect(result).toBe(INPUT);
        const gap = motoGap('lambda-invoke-echo');
        if (gap.evidence.kind !== 'deployed-function') throw new Error('lambda-invoke-echo is checked on the deployed functions');
        const facts: DeployedFunctionFacts = { codeLocation: undefined, endpoint: switched.endpoint, secretUsername: 'admin', configuredUsername: 'dbadmin', migrationInvocation: { input: INPUT, result } };
        expect(gap.evidence.check(facts)).toBe(true);
      } finally {
        lambda.destroy();
        await remove();
      }
    });
  });
});
