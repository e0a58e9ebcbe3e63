/**
 * The AWS SDK's settings for talking to a local moto server: its endpoint, fake static keys, and
 * path-style S3. Every SDK client of the rehearsal (leftovers, probes, the function check, the
 * state path) is configured here, and the provider and backend overrides use the same keys.
 */

/**
 * Fake keys for moto, which accepts any: they open nothing outside this machine. moto files every
 * resource under its default account, 123456789012, whatever the key.
 */
export const REHEARSAL_CREDENTIALS = { accessKeyId: 'AKIAREHEARSAL0000000', secretAccessKey: 'rehearsal-fake-secret-key' } as const;

/** Where one moto server listens, and the region the clients sign for. */
export interface MotoTarget {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The AWS Region of the stack, such as `ap-southeast-1`; moto keeps one backend per region. */
  readonly region: string;
}

/**
 * The configuration of an AWS SDK v3 client for `target`: `new EC2Client(clientConfig(target))`.
 * `forcePathStyle` matters only to S3 (`http://127.0.0.1:<port>/<bucket>/<key>`); other clients
 * ignore it. Retries are left at the SDK's default (3 attempts).
 */
export function clientConfig(target: MotoTarget): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
} {
  return { endpoint: target.endpoint, region: target.region, credentials: { ...REHEARSAL_CREDENTIALS }, forcePathStyle: true };
}

/** The AWS error code of an SDK v3 error (`NoSuchEntity`, `InvalidRequestException`, ...), or undefined. */
export function awsErrorCode(error: unknown): string | undefined {
  const e = error as { name?: unknown; Code?: unknown } | undefined;
  if (typeof e?.Code === 'string') return e.Code;
  return typeof e?.name === 'string' && e.name !== 'Error' ? e.name : undefined;
}

/** The HTTP status of an SDK v3 error, or undefined. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}
