import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';

/** The SecretString of an RDS-managed secret. */
export interface DbSecretValue {
  readonly username: string;
  readonly password: string;
}

/**
 * A local stand-in for AWS Secrets Manager: it speaks the awsJson1_1 protocol of
 * `secretsmanager.GetSecretValue` for one secret, so the real SDK client can call it.
 */
export interface LocalSecretsManager {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  readonly endpoint: string;
  readonly secretArn: string;
  /** How many GetSecretValue calls it answered. */
  readonly getSecretValueCalls: number;
  /** The current (AWSCURRENT) version id. */
  readonly versionId: string;
  /** Whether every request carried a SigV4 Authorization header. */
  readonly allRequestsSigned: boolean;
  /** Stores a new AWSCURRENT version and returns its id, as a rotation does. */
  setSecret(value: DbSecretValue): string;
  close(): Promise<void>;
}

/** Options of {@link startLocalSecretsManager}. */
export interface LocalSecretsManagerOptions {
  /**
   * How long each answer is held back, in milliseconds, to stand for the round trip to a real
   * endpoint (about 20 ms through an interface endpoint inside a VPC).
   * @default 0
   */
  readonly latencyMillis?: number;
}

/** Starts the server on a free port of 127.0.0.1 holding `secretArn` = `value`. */
export async function startLocalSecretsManager(
  secretArn: string,
  value: DbSecretValue,
  options: LocalSecretsManagerOptions = {},
): Promise<LocalSecretsManager> {
  const latencyMillis = options.latencyMillis ?? 0;
  let current = { versionId: randomUUID(), secretString: JSON.stringify(value), created: Date.now() / 1000 };
  let calls = 0;
  let allSigned = true;

  const send = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(body);
  };
  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    if (latencyMillis > 0) setTimeout(() => send(res, status, text), latencyMillis);
    else send(res, status, text);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) allSigned = false;
      const target = req.headers['x-amz-target'];
      if (target !== 'secretsmanager.GetSecretValue') {
        reply(res, 400, { __type: 'UnknownOperationException', message: `unsupported target ${String(target)}` });
        return;
      }
      calls += 1;
      const input = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { SecretId?: string; VersionStage?: string };
      if (input.SecretId !== secretArn) {
        reply(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return;
      }
      if (input.VersionStage !== undefined && input.VersionStage !== 'AWSCURRENT') {
        reply(res, 400, { __type: 'ResourceNotFoundException', message: 'no such version stage' });
        return;
      }
      reply(res, 200, {
        ARN: secretArn,
        Name: secretArn.split(':secret:')[1],
        VersionId: current.versionId,
        SecretString: current.secretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: current.created,
      });
    });
  });
  await listen(server);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    secretArn,
    get getSecretValueCalls() {
      return calls;
    },
    get versionId() {
      return current.versionId;
    },
    get allRequestsSigned() {
      return allSigned;
    },
    setSecret(next) {
      current = { versionId: randomUUID(), secretString: JSON.stringify(next), created: Date.now() / 1000 };
      return current.versionId;
    },
    close: () => closeServer(server),
  };
}

/**
 * A TCP server on 127.0.0.1 that accepts connections and never answers, like an endpoint whose
 * security group drops the replies: only the client's timeouts end a call to it.
 */
export async function startSilentServer(): Promise<{ endpoint: string; connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await listen(server);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    },
  };
}

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: Server | ReturnType<typeof createTcpServer>): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
