import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { closeServer, createMetricsRegistry, createStatusServer, listen, redisEventCounters } from '../src/index.js';

describe('status server', () => {
  let ready = false;
  const registry = createMetricsRegistry();
  const countRedisEvent = redisEventCounters(registry, { errors: 'test_redis_errors_total', reconnects: 'test_redis_reconnects_total' });
  let server: Server;
  let base: string;
  before(async () => {
    server = createStatusServer({ isReady: () => ready, registry });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  after(() => closeServer(server));

  test('/healthz is 200 whatever the readiness', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  test('/readyz follows the readiness callback', async () => {
    ready = false;
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
    ready = true;
    assert.equal((await fetch(`${base}/readyz?probe=1`)).status, 200);
  });

  test('/metrics serves the registry: process metrics and the Redis event counters', async () => {
    countRedisEvent('error');
    countRedisEvent('reconnecting');
    countRedisEvent('reconnecting');
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.match(text, /^test_redis_errors_total 1$/m);
    assert.match(text, /^test_redis_reconnects_total 2$/m);
  });

  test('anything else is 404', async () => {
    assert.equal((await fetch(`${base}/chat/users`)).status, 404);
  });

  test('listen rejects with the listen error when the port is taken', async () => {
    const port = Number(new URL(base).port);
    const second = createStatusServer({ isReady: () => true, registry });
    await assert.rejects(listen(second, port, '127.0.0.1'), (error: NodeJS.ErrnoException) => error.code === 'EADDRINUSE');
  });
});
