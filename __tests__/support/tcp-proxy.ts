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

/** Starts a relay on a free port of 127.0.0.1 to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; doomed: boolean; stalled: boolean }>();
  let connections = 0;
  const server = createServer((client) => {
    connections += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, doomed: false, stalled: false };
    pairs.add(pair);
    client.on('data', (data) => {
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
