import { connect, createServer, type Socket } from 'node:net';

/** A TCP relay to a local port that can drop or stall its sessions the way an idle NAT or a freeze does. */
export interface TcpProxy {
  readonly port: number;
  /** How many connections it accepted so far. */
  readonly connections: number;
  /**
   * Closes every upstream connection without telling the client; the client learns of it only
   * when it next sends, as a Lambda thawed after the server closed its session does.
   */
  dropSilently(): void;
  /**
   * Stops forwarding, both ways, on every open connection without closing any: bytes sent are
   * swallowed and nothing comes back, as on a network path that stopped delivering. Connections
   * made afterwards are relayed normally.
   */
  stall(): void;
  close(): Promise<void>;
}

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /**
   * Answers a PostgreSQL client's TLS request (SSLRequest, the first 8 bytes of a session) itself
   * with `N`, the byte PostgreSQL with `ssl = off` answers, and relays the rest of the session to the
   * server as it is. The run's test server is shared by the test files of both workers, so turning
   * its own TLS off, even for a moment, would refuse the other files' sessions.
   * @default false
   */
  readonly declineTls?: boolean;
}

/** PostgreSQL's SSLRequest: length 8, then the request code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** Starts a relay on a free port of 127.0.0.1 to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; doomed: boolean; stalled: boolean }>();
  let connections = 0;
  const server = createServer((client) => {
    connections += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, doomed: false, stalled: false };
    pairs.add(pair);
    let first = options.declineTls === true;
    client.on('data', (data: Buffer) => {
      if (first) {
        first = false;
        if (data.subarray(0, SSL_REQUEST.length).equals(SSL_REQUEST)) {
          client.write('N');
          data = data.subarray(SSL_REQUEST.length);
          if (data.length === 0) return;
        }
      }
      if (pair.doomed) client.destroy();
      else if (!pair.stalled) upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (!pair.stalled) client.write(data);
    });
    upstream.on('close', () => {
      if (!pair.doomed) client.destroy();
    });
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    dropSilently() {
      for (const pair of pairs) {
        pair.doomed = true;
        pair.upstream.destroy();
      }
    },
    stall() {
      for (const pair of pairs) pair.stalled = true;
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
