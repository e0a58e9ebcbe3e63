/**
 * A peer of lambda-src/handler.ts for `npm run bench` (bench/handlers.ts): the same `health` query,
 * written as the Powertools for AWS Lambda (TypeScript) documentation suggests. The credentials come
 * from Parameters' `getSecret`, which caches each value for its default `maxAge` (5 s) in the
 * container; one `pg` client is opened on first use and kept. Nothing else: no logging, no retry on a
 * rotated password or a dropped session. Reads the same environment as ours.
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { Client } from 'pg';
import { runAction } from '../../lambda-src/actions';

let client: Client | undefined;

export const handler = async (): Promise<{ statusCode: number; result: unknown }> => {
  const secretArn = process.env.DB_SECRET_ARN!;
  const secret = await getSecret<{ username: string; password: string }>(secretArn, { transform: 'json' });
  if (!secret) throw new Error(`secret ${secretArn} has no value`);
  if (client === undefined) {
    const fresh = new Client({
      host: process.env.DB_HOST,
      port: Number(process.env.DB_PORT),
      database: process.env.DB_NAME,
      user: secret.username,
      password: secret.password,
      ssl: { rejectUnauthorized: true },
    });
    await fresh.connect();
    client = fresh;
  }
  return { statusCode: 200, result: await runAction(client, { auth: 'master-secret', secretArn, versionId: 'unknown' }, { action: 'health' }, Infinity) };
};
