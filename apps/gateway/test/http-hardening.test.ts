import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getFreePort, startGateway, startTestRedis, TestClient, waitFor, type ServiceHandle, type TestRedisHandle } from '@strangers/testkit';
import type { Redis } from 'ioredis';

let redis: TestRedisHandle;
/** Defaults, except short slowloris bounds and fast samples; no ALLOWED_ORIGINS. */
let open: ServiceHandle;
/** Per-address limits on loopback too, small; an origin allowlist; metrics on a listener of its own. */
let strict: ServiceHandle;
let strictMetricsPort: number;

before(async () => {
  redis = await startTestRedis();
  [open, strict] = await Promise.all([
    startGateway(redis.url, {
      GATEWAY_ID: 'gw-open',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      REDIS_MEMORY_SAMPLE_MS: '200',
      ONLINE_INTERVAL_MS: '200',
    }),
    startGateway(redis.url, {
      GATEWAY_ID: 'gw-strict',
      LIMIT_LOOPBACK: 'true',
      MAX_HTTP_CONNECTIONS_PER_IP: '5',
      API_REQUESTS_PER_IP_PER_SECOND: '2',
      ALLOWED_ORIGINS: 'https://chat.example',
      GATEWAY_METRICS_PORT: '0',
    }),
  ]);
  const listening = await strict.waitForLog((line) => line.msg === 'gateway listening');
  strictMetricsPort = Number(listening.metricsPort);
});

after(async () => {
  await Promise.all([open?.stop(), strict?.stop()]);
  await redis?.stop();
});

const http = (gateway: ServiceHandle | number, path: string, init?: RequestInit) =>
  fetch(`http://127.0.0.1:${typeof gateway === 'number' ? gateway : gateway.port}${path}`, init);

/** A raw TCP connection; `closed` resolves with what the server sent before closing. */
function rawSocket(port: number): Promise<{ socket: Socket; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data) => (received += data.toString()));
    const closed = new Promise<string>((done) => socket.on('close', () => done(received)));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

/**
 * A plain MONITOR connection to Redis (ioredis's monitor mode can mistake a monitored line for
 * the reply to its own set-up commands). `linesUpTo` sends a marker through `client` and
 * returns every command line Redis ran before it.
 */
async function monitorRedis(url: string): Promise<{ linesUpTo(client: Redis): Promise<string[]>; stop(): void }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const lines: string[] = [];
  let partial = '';
  const waiters: ((line: string) => void)[] = [];
  socket.on('data', (data) => {
    const split = (partial + data.toString()).split('\r\n');
    partial = split.pop() ?? '';
    for (const line of split) {
      lines.push(line);
      for (const waiter of waiters) waiter(line);
    }
  });
  const seen = (match: (line: string) => boolean, what: string) =>
    within(new Promise<void>((resolve) => {
      if (lines.some(match)) resolve();
      else waiters.push((line) => match(line) && resolve());
    }), 5_000, what);
  socket.write('MONITOR\r\n');
  await seen((line) => line === '+OK', 'MONITOR');
  return {
    async linesUpTo(client) {
      const marker = `monitor-marker-${Date.now()}`;
      await client.echo(marker);
      await seen((line) => line.endsWith(`"${marker}"`), 'the marker');
      return lines.slice(0, lines.findIndex((line) => line.endsWith(`"${marker}"`)));
    },
    stop: () => socket.destroy(),
  };
}

const SECURITY_HEADERS = ['content-security-policy', 'x-content-type-options', 'referrer-policy'];

function assertSecurityHeaders(headers: Headers | Record<string, string>, what: string): void {
  for (const name of SECURITY_HEADERS) {
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    assert.ok(value, `${what}: ${name}`);
  }
  const nosniff = headers instanceof Headers ? headers.get('x-content-type-options') : headers['x-content-type-options'];
  assert.equal(nosniff, 'nosniff');
}

describe('slowloris', () => {
  test('a request head that never completes is cut after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { socket, closed } = await rawSocket(open.port);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const answer = await within(closed, 5000, 'slow head cut');
    assert.match(answer, /^(HTTP\/1\.1 408|$)/);
  });

  test('a connection that sends nothing is cut too', async () => {
    const { closed } = await rawSocket(open.port);
    await within(closed, 5000, 'silent connection cut');
  });

  test('plain HTTP connections per address are capped (MAX_HTTP_CONNECTIONS_PER_IP)', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => rawSocket(strict.port)));
    const extra = await rawSocket(strict.port);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(await within(extra.closed, 3000, 'sixth connection refused'), '', 'closed without an answer');
    held[0]!.socket.destroy();
    await held[0]!.closed;
    await waitFor(async () => (await http(strict, '/healthz').catch(() => undefined))?.status === 200, { what: 'room for a connection again' });
    for (const { socket } of held) socket.destroy();
  });
});

describe('HTTP answers', () => {
  test('security headers on every answer: status routes, /chat/users, /online, errors, upgrade refusals', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/chat/users', '/online', '/no-such-file']) {
      assertSecurityHeaders((await http(open, path)).headers, path);
    }
    assertSecurityHeaders((await http(open, '/x', { method: 'POST' })).headers, 'POST 404');
    assertSecurityHeaders((await http(strictMetricsPort, '/metrics')).headers, 'metrics listener');
    const { socket, closed } = await rawSocket(open.port);
    socket.write('NOT A REQUEST\r\n\r\n');
    const bad = await closed;
    assert.match(bad, /^HTTP\/1\.1 400/);
    assert.match(bad, /x-content-type-options: nosniff/i);
    const refused = await rawSocket(strict.port);
    refused.socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const refusal = await refused.closed;
    assert.match(refusal, /^HTTP\/1\.1 403/);
    assert.match(refusal, /content-security-policy:/i);
  });

  test('/chat/users costs at most one SMEMBERS a second, however many ask', async () => {
    const monitor = await monitorRedis(redis.url);
    try {
      // 200 requests in waves over more than two seconds, so the one-second cache both answers
      // and expires (a cache that never expired would read nothing; none would read 200 times).
      const started = Date.now();
      for (let wave = 0; wave < 10; wave++) {
        const answers = await Promise.all(Array.from({ length: 20 }, () => http(open, '/chat/users').then((response) => response.status)));
        assert.ok(answers.every((status) => status === 200));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const seconds = Math.ceil((Date.now() - started) / 1000);
      const lines = await monitor.linesUpTo(redis.client() as Redis);
      const reads = lines.filter((line) => /"smembers" "chat-users"$/i.test(line)).length;
      assert.ok(reads >= 1 && reads <= seconds + 1, `${reads} SMEMBERS chat-users for 200 requests in ${seconds} s`);
    } finally {
      monitor.stop();
    }
  });

  test('/chat/users and /online are rate-limited per address', async () => {
    // One budget per address for both paths (2/s, burst 4): alternate between them.
    const statuses = new Map<string, number[]>([['/online', []], ['/chat/users', []]]);
    for (let i = 0; i < 16; i++) {
      const path = i % 2 === 0 ? '/online' : '/chat/users';
      statuses.get(path)!.push((await http(strict, path)).status);
    }
    for (const [path, seen] of statuses) {
      assert.equal(seen[0], 200, path);
      assert.ok(seen.includes(429), `${path}: ${seen.join(' ')}`);
    }
  });

  test('GET /online is {"online":N}, the cross-gateway count', async () => {
    const clients = await Promise.all([0, 1].map(() => TestClient.connect(`ws://127.0.0.1:${open.port}/ws`)));
    await waitFor(async () => {
      const body = (await (await http(open, '/online')).json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['online']);
      return typeof body.online === 'number' && body.online >= 2;
    }, { what: '/online counting two sessions' });
    for (const client of clients) client.close();
  });

  test('unset ALLOWED_ORIGINS logs a warning at start-up; a set one does not', () => {
    const warned = (gateway: ServiceHandle) => gateway.logs.some((line) => line.level === 40 && /ALLOWED_ORIGINS/.test(String(line.msg)));
    assert.equal(warned(open), true);
    assert.equal(warned(strict), false);
  });
});

describe('metrics', () => {
  test('GATEWAY_METRICS_PORT moves /metrics to a listener of its own; the public port answers 404 there', async () => {
    assert.equal((await http(strict, '/metrics')).status, 404);
    const text = await (await http(strictMetricsPort, '/metrics')).text();
    assert.match(text, /^strangers_gateway_connections /m);
    assert.equal((await http(strictMetricsPort, '/readyz')).status, 200);
    assert.equal((await http(open, '/metrics')).status, 200, 'unset: on the public port, as before');
  });

  test('Redis used_memory and maxmemory are exported (sampled)', async () => {
    await (redis.client() as Redis).config('SET', 'maxmemory', '123456789');
    await waitFor(async () => {
      const text = await (await http(open, '/metrics')).text();
      const used = /^strangers_gateway_redis_used_memory_bytes\{node="[^"]+"\} (\d+)/m.exec(text);
      return Number(used?.[1]) > 0 && /^strangers_gateway_redis_maxmemory_bytes\{node="[^"]+"\} 123456789$/m.test(text);
    }, { what: 'the memory gauges' });
    await (redis.client() as Redis).config('SET', 'maxmemory', '0');
  });
});

const gatewayMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function spawnGateway(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', gatewayMain], {
    env: { ...process.env, HOST: '127.0.0.1', IP_HASH_SALT: 'e'.repeat(32), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (data) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('start-up (issue 22)', () => {
  test('/healthz answers while the gateway waits for Redis; /readyz and upgrades say 503', async () => {
    const [port, nowhere] = await Promise.all([getFreePort(), getFreePort()]);
    const gateway = spawnGateway({ PORT: String(port), REDIS_URL: `redis://127.0.0.1:${nowhere}` });
    try {
      await waitFor(async () => (await http(port, '/healthz').catch(() => undefined))?.status === 200, { what: '/healthz', timeoutMs: 15_000 });
      assert.equal((await http(port, '/readyz')).status, 503);
      await assert.rejects(TestClient.connect(`ws://127.0.0.1:${port}/ws`), /upgrade refused: 503/);
    } finally {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
  });

  test('a busy port is one line on stderr, no stack trace', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    try {
      const gateway = spawnGateway({ PORT: String(port), REDIS_URL: redis.url });
      assert.equal(await within(gateway.exited, 20_000, 'gateway exit'), 1);
      const lines = gateway.stderr().trim().split('\n');
      assert.deepEqual(lines, [`gateway: cannot listen on 127.0.0.1:${port}: the port is already in use`]);
    } finally {
      holder.close();
    }
  });
});
