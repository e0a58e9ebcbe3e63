/**
 * One moto server (Python's `moto[server]`, https://docs.getmoto.org/en/latest/docs/server_mode.html)
 * on a free port of 127.0.0.1, in a child process that this module starts and stops by its process
 * id. Each stack of a rehearsal gets its own (moto gap `rds-dbi-resource-id`), and the state path
 * one more.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../../local/postgres';

/** The Python interpreter that runs moto: `MOTO_PYTHON` when set, else `python3` on PATH. */
export function motoPython(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOTO_PYTHON ?? 'python3';
}

/** The pip command that installs the moto this project is checked against. */
export function motoInstallHint(version: string): string {
  return `python3 -m pip install 'moto[server]==${version}'`;
}

/**
 * The installed moto's version, or undefined when `python3 -m moto.server` cannot run (moto or
 * its server extras missing). A blocking probe, for start-up.
 */
export function installedMotoVersion(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const probe = spawnSync(motoPython(env), ['-c', 'import moto, moto.server, flask; print(moto.__version__)'], { encoding: 'utf8', timeout: 30_000 });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** The server's process id. */
  readonly pid: number;
  /** The server's output so far (its request log), for a failure report. */
  output(): string;
  /** Stops the server by its pid (SIGTERM, SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Options of {@link startMotoServer}. */
export interface MotoServerOptions {
  /**
   * Extra environment variables of the server, such as the moto gaps' (./moto-gaps.ts).
   * @default - none
   */
  readonly variables?: Readonly<Record<string, string>>;
  /**
   * Settings POSTed to the server's `/moto-api/config` once it accepts connections, before this
   * function resolves (so before anything is created on it), such as the moto gaps' (./moto-gaps.ts,
   * `motoConfig`). The server's answer must show each setting as posted. Source: moto 5.2.1's
   * `moto/moto_api/_internal/responses.py` (`config`) and `models.py` (`set_config`); defaults in
   * `moto/core/config.py`.
   * @default - none: moto's defaults
   */
  readonly config?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /**
   * Milliseconds to wait for the port to accept connections.
   * @default 60000 (the first start of moto imports every service, 2 to 10 s on a busy machine)
   */
  readonly startTimeoutMillis?: number;
}

/** Most characters of server output kept for a failure report. */
const OUTPUT_LIMIT = 200_000;

/** The servers running now; stopped by pid when this process exits without stopping them (a crash, Ctrl-C). */
const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
});

/** Starts a moto server on a free port of 127.0.0.1 and resolves once it accepts connections. */
export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(motoPython(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...options.variables },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  running.add(child.pid!);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child.pid!);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForPort(port, options.startTimeoutMillis ?? 60_000, () => child.exitCode !== null || child.signalCode !== null);
  } catch (error) {
    await stop();
    throw new Error(`moto did not start on 127.0.0.1:${port}: ${(error as Error).message}\n${output.slice(-2000)}`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  if (options.config !== undefined && Object.keys(options.config).length > 0) {
    try {
      await postMotoConfig(endpoint, options.config);
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return { endpoint, port, pid: child.pid!, output: () => output, stop };
}

/**
 * The server's configuration (`GET /moto-api/config`), such as
 * `{"batch": {"use_docker": true}, "lambda": {"use_docker": true}}` on moto 5.2.1.
 * @throws Error when the server answers other than 200 with a JSON object
 */
export async function getMotoConfig(endpoint: string): Promise<Record<string, Record<string, unknown>>> {
  const response = await fetch(`${endpoint}/moto-api/config`);
  if (!response.ok) throw new Error(`GET ${endpoint}/moto-api/config answered HTTP ${response.status}`);
  return (await response.json()) as Record<string, Record<string, unknown>>;
}

/**
 * POSTs `config` to the server's `/moto-api/config` and checks that the configuration it answers
 * with holds every setting as posted.
 * @throws Error naming the setting the server did not take, or the HTTP status
 */
export async function postMotoConfig(endpoint: string, config: Readonly<Record<string, Readonly<Record<string, unknown>>>>): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(config) });
  if (!response.ok) throw new Error(`POST ${endpoint}/moto-api/config answered HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  const now = (await response.json()) as Record<string, Record<string, unknown>>;
  for (const [section, settings] of Object.entries(config)) {
    for (const [key, value] of Object.entries(settings)) {
      if (JSON.stringify(now[section]?.[key]) !== JSON.stringify(value)) {
        throw new Error(`moto did not take ${section}.${key} = ${JSON.stringify(value)} from POST /moto-api/config: it answered ${JSON.stringify(now)}`);
      }
    }
  }
}

/** Resolves once `port` on 127.0.0.1 accepts a connection; rejects after `timeoutMillis` or when `gone()`. */
async function waitForPort(port: number, timeoutMillis: number, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    if (gone()) throw new Error('the server process exited');
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not open after ${timeoutMillis} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
