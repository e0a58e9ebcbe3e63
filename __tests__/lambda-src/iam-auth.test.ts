import { createHash, createHmac } from 'node:crypto';
import type { ClientConfig } from 'pg';
import { IAM_AUTH_TOKEN_TTL_SECONDS, createIamAuthTokenSigner } from '../../lambda-src/iam-auth';

/** An RDS endpoint as the stacks output it; nothing is contacted. */
const HOST = 'workshop-backend-dev.c9akciq32xyz.ap-southeast-1.rds.amazonaws.com';
const PORT = 5432;
const REGION = 'ap-southeast-1';
const USER = 'app_reader';

/** Fixed fake keys, in the format of AWS's documentation examples. */
const LONG_TERM = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
/** Temporary keys, as a Lambda function's role has them (AWS_SESSION_TOKEN). */
const TEMPORARY = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'tEmPoRaRy/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEXAMPLE//token+with/slashes=' };

/** RFC 3986 encoding, as SigV4's canonical query string requires (encodeURIComponent leaves !'()* alone). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
const hmac = (key: string | Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();

/**
 * The SigV4 signature of a presigned GET of `/` at `hostPort` with `params`, computed here from
 * AWS's description of the algorithm, independently of the SDK:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
function sigV4Signature(hostPort: string, params: readonly (readonly [string, string])[], secretAccessKey: string, region: string, service: string): string {
  const query = params
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  // Method, path, query, the one signed header, the list of signed headers, the hash of the empty body.
  const canonicalRequest = ['GET', '/', query, `host:${hostPort}`, '', 'host', sha256Hex('')].join('\n');
  const amzDate = params.find(([k]) => k === 'X-Amz-Date')![1];
  const day = amzDate.slice(0, 8);
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, `${day}/${region}/${service}/aws4_request`, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = [day, region, service, 'aws4_request'].reduce<string | Buffer>((key, part) => hmac(key, part), `AWS4${secretAccessKey}`);
  return hmac(signingKey, stringToSign).toString('hex');
}

describe('IAM database authentication tokens, checked offline (IAM authentication itself needs RDS and cannot run here)', () => {
  it.each([
    ['with long-term keys', LONG_TERM],
    ["with a Lambda role's temporary keys (the token carries their session token)", TEMPORARY],
  ])('%s, makes a SigV4 presigned connect URL for the host, port, user and Region, valid 900 s, whose signature verifies', async (_name, credentials) => {
    const before = Date.now();
    const sign = createIamAuthTokenSigner({ hostname: HOST, port: PORT, username: USER, region: REGION, credentials });
    // It fits pg's `password` option, which pg calls for each new session (checked by tsc).
    const password: ClientConfig['password'] = sign;
    expect(password).toBe(sign);

    const token = await sign();

    // RDS takes the token as the password: the presigned URL without its scheme.
    expect(token.startsWith(`${HOST}:${PORT}/?`)).toBe(true);
    const url = new URL(`https://${token}`);
    expect([url.hostname, url.port, url.pathname]).toEqual([HOST, String(PORT), '/']);
    const params = [...url.searchParams];
    const param = (name: string): string | null => url.searchParams.get(name);
    const amzDate = param('X-Amz-Date') ?? '';
    expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
    const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(signedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(signedAt).toBeLessThanOrEqual(Date.now());
    expect(Object.fromEntries(params)).toEqual({
      Action: 'connect',
      DBUser: USER,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${credentials.accessKeyId}/${amzDate.slice(0, 8)}/${REGION}/rds-db/aws4_request`,
      'X-Amz-Date': amzDate,
      'X-Amz-Expires': String(IAM_AUTH_TOKEN_TTL_SECONDS),
      'X-Amz-SignedHeaders': 'host',
      ...('sessionToken' in credentials ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(IAM_AUTH_TOKEN_TTL_SECONDS).toBe(900);

    const unsigned = params.filter(([k]) => k !== 'X-Amz-Signature');
    expect(param('X-Amz-Signature')).toBe(sigV4Signature(`${HOST}:${PORT}`, unsigned, credentials.secretAccessKey, REGION, 'rds-db'));
    // The check is not vacuous: another key, another user or another port gives another signature.
    expect(param('X-Amz-Signature')).not.toBe(sigV4Signature(`${HOST}:${PORT}`, unsigned, 'another-secret-key', REGION, 'rds-db'));
    const otherUser = unsigned.map(([k, v]) => [k, k === 'DBUser' ? 'postgres' : v] as const);
    expect(param('X-Amz-Signature')).not.toBe(sigV4Signature(`${HOST}:${PORT}`, otherUser, credentials.secretAccessKey, REGION, 'rds-db'));
    expect(param('X-Amz-Signature')).not.toBe(sigV4Signature(`${HOST}:5433`, unsigned, credentials.secretAccessKey, REGION, 'rds-db'));
  });
});
