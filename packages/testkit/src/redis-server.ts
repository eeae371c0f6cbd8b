import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { TestCertificates } from './certificates.js';
import { getFreePort } from './ports.js';
import { waitFor } from './wait.js';

export interface RedisServerHandle {
  port: number;
  url: string;
  /** Working directory (AOF files live here when `appendonly` is on). */
  dir: string;
  /** A plain client for assertions; closed by `stop()`. */
  client(): Redis;
  /** SIGKILL the server (an outage); `start()` brings it back on the same port and dir. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Every redis-server this process started, killed if the test process exits without stopping them. */
const servers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const server of servers) server.kill('SIGKILL');
});

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--appendonly', 'yes']`. */
  args?: string[];
  /** Require this password (`--requirepass`); the handle's `url` carries it. */
  password?: string;
  /**
   * Serve TLS only (plain port off); the handle's `url` is `rediss://`, clients trust
   * `caFile`. `makeTestCertificates` makes a set.
   */
  tls?: TestCertificates;
}

/**
 * Starts a private `redis-server` on a free port, so tests can kill and restart it and
 * never touch the machine's shared instance.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = await getFreePort();
  const dir = mkdtempSync(join(tmpdir(), 'strangers-redis-'));
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const url = `${options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`;
  const portArgs = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile]
    : ['--port', String(port)];
  if (options.tls) portArgs.push('--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no');
  if (options.password !== undefined) portArgs.push('--requirepass', options.password);
  const clientOptions: RedisOptions = options.tls ? { tls: { ca: readFileSync(options.tls.caFile) } } : {};
  let child: ChildProcess | undefined;
  const clients: Redis[] = [];

  async function start(): Promise<void> {
    child = spawn(
      'redis-server',
      [...portArgs, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? [])],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const started = child;
    servers.add(started);
    started.once('exit', () => servers.delete(started));
    const probe = new Redis(url, { ...clientOptions, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await waitFor(
        async () => {
          try {
            if (probe.status !== 'ready') await probe.connect();
            return (await probe.ping()) === 'PONG';
          } catch {
            probe.disconnect();
            return false;
          }
        },
        { timeoutMs: 10_000, what: `redis-server on port ${port}` },
      );
    } finally {
      probe.disconnect();
    }
  }

  async function kill(): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    port,
    url,
    dir,
    client() {
      const client = new Redis(url, clientOptions);
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    kill,
    start,
    async stop() {
      for (const client of clients) client.disconnect();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
