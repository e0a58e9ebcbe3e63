/**
 * A peer of lambda-src/handler.ts for `npm run bench` (bench/handlers.ts): the same `health` query,
 * done the naive way. Every invocation creates a Secrets Manager client, fetches the secret, opens a
 * new `pg` session over verified TLS, queries and closes it. Reads the same environment as ours.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { runAction } from '../../lambda-src/actions';

export const handler = async (): Promise<{ statusCode: number; result: unknown }> => {
  const secretArn = process.env.DB_SECRET_ARN!;
  const secrets = new SecretsManagerClient({});
  const output = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const { username, password } = JSON.parse(output.SecretString ?? '{}') as { username: string; password: string };
  const client = new Client({
    host: process.env.DB_HOST,
    port: Number(process.env.DB_PORT),
    database: process.env.DB_NAME,
    user: username,
    password,
    ssl: { rejectUnauthorized: true },
  });
  await client.connect();
  try {
    return { statusCode: 200, result: await runAction(client, { auth: 'master-secret', secretArn, versionId: output.VersionId ?? 'unknown' }, { action: 'health' }, Infinity) };
  } finally {
    await client.end();
  }
};
