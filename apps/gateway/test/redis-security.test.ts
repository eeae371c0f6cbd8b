import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startGateway, startMatcher, startRedisServer, TestClient, type RedisServerHandle, type ServiceHandle } from '@strangers/testkit';
import { pairUp } from './stack.js';

const PASSWORD = 'correct horse battery staple';

let dir: string;
let ca: { caFile: string; certFile: string; keyFile: string };

/** A throwaway CA and a server certificate for 127.0.0.1 it signed, made with the openssl CLI. */
function makeCertificates(into: string): typeof ca {
  const file = (name: string) => join(into, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1', '-subj', '/CN=strangers test CA');
  openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '1', '-extfile', file('san.ext'));
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'strangers-tls-'));
  ca = makeCertificates(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a matcher and a gateway against `redis` and checks that two clients pair and talk. */
async function pairThrough(redis: RedisServerHandle, env: Record<string, string> = {}): Promise<void> {
  const services: ServiceHandle[] = [];
  const clients: TestClient[] = [];
  try {
    services.push(await startMatcher(redis.url, env));
    const gateway = await startGateway(redis.url, env);
    services.push(gateway);
    for (let i = 0; i < 2; i++) {
      const client = await TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`);
      clients.push(client);
      await client.next('welcome');
    }
    const [a, b] = clients as [TestClient, TestClient];
    await pairUp(a, b);
    a.send({ type: 'message', text: 'over a protected redis', id: 'x' });
    assert.equal((await a.next('ack')).id, 'x');
    assert.equal((await b.next('message')).text, 'over a protected redis');
    assert.equal((await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status, 200);
    // The password never reaches the logs.
    for (const service of services) {
      assert.ok(!JSON.stringify(service.logs).includes(PASSWORD.split(' ')[1]!));
      assert.deepEqual(service.stderr, []);
    }
  } finally {
    for (const client of clients) client.terminate();
    await Promise.all(services.map((service) => service.stop('SIGKILL')));
  }
}

/** The error a client gets from `redis` when it connects with the given URL and options. */
async function pingError(url: string, options: ConstructorParameters<typeof Redis>[1] = {}): Promise<string> {
  // No ready check: it would hide the server's answer behind "Connection is closed".
  const client = new Redis(url, { ...options, enableReadyCheck: false, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let firstError = '';
  client.on('error', (error: Error) => (firstError ||= error.message));
  try {
    await client.connect();
    await client.ping();
    return '';
  } catch (error) {
    return firstError || (error as Error).message;
  } finally {
    client.disconnect();
  }
}

describe('Redis AUTH', () => {
  let redis: RedisServerHandle;
  before(async () => (redis = await startRedisServer({ password: PASSWORD })));
  after(async () => redis.stop());

  test('the server refuses clients without the password', async () => {
    assert.match(await pingError(`redis://127.0.0.1:${redis.port}`), /NOAUTH/);
  });

  test('gateway and matcher authenticate with the password in REDIS_URL and pair two clients', async () => {
    assert.match(redis.url, /^redis:\/\/:.+@127\.0\.0\.1:\d+$/);
    await pairThrough(redis);
  });
});

describe('Redis TLS', () => {
  let redis: RedisServerHandle;
  before(async () => (redis = await startRedisServer({ password: PASSWORD, tls: ca })));
  after(async () => redis.stop());

  test('the server speaks TLS only, and a client that does not trust the CA is refused', async () => {
    assert.match(redis.url, /^rediss:\/\//);
    assert.notEqual(await pingError(`redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}`, { connectTimeout: 1000 }), '');
    assert.match(await pingError(redis.url), /self[- ]signed|unable to verify|certificate/i);
  });

  test('gateway and matcher connect over rediss:// with REDIS_TLS_CA_FILE (and AUTH) and pair two clients', async () => {
    await pairThrough(redis, { REDIS_TLS_CA_FILE: ca.caFile });
  });
});
