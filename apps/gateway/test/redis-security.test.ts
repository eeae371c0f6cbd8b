// @topologies single cluster
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import {
  makeTestCertificates,
  nodePorts,
  startGateway,
  startMatcher,
  startTestRedis,
  TestClient,
  type ServiceHandle,
  type TestCertificates,
  type TestRedisHandle,
} from '@strangers/testkit';
import { pairUp } from './stack.js';

/**
 * Redis AUTH and TLS, on one server or (`TEST_REDIS=cluster`) on a 3-master cluster whose
 * every node requires the password and speaks TLS only, the cluster bus included.
 */
const PASSWORD = 'correct horse battery staple';

let dir: string;
let certificates: TestCertificates;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'strangers-tls-'));
  certificates = makeTestCertificates(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a matcher and a gateway against `redis` and checks that two clients pair and talk. */
async function pairThrough(redis: TestRedisHandle, env: Record<string, string> = {}): Promise<void> {
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
    // On a cluster the gateway reads a stream on every master: it got through to each.
    for (const port of nodePorts(redis)) assert.match(await clientList(redis, port), /name=gateway/, `node ${port}`);
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

/** CLIENT LIST of the node on `port`, asked with the password (and the CA, over TLS). */
async function clientList(redis: TestRedisHandle, port: number): Promise<string> {
  const tls = redis.url.startsWith('rediss') ? { ca: readFileSync(certificates.caFile) } : undefined;
  const node = new Redis({ host: '127.0.0.1', port, password: PASSWORD, ...(tls && { tls }), maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    return (await node.client('LIST')) as string;
  } finally {
    node.disconnect();
  }
}

/** The error a client gets from one node when it connects with the given URL and options. */
async function pingError(url: string, options: RedisOptions = {}): Promise<string> {
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

/** The URL form the topology uses, with or without TLS: `redis://`, `rediss+cluster://`, … */
const URL_FORM = /^rediss?(\+cluster)?:\/\/:[^@]+@127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*$/;

describe('Redis AUTH', () => {
  let redis: TestRedisHandle;
  before(async () => (redis = await startTestRedis({ password: PASSWORD })));
  after(async () => redis.stop());

  test('every node refuses clients without the password or with a wrong one', async () => {
    for (const port of nodePorts(redis)) {
      assert.match(await pingError(`redis://127.0.0.1:${port}`), /NOAUTH/);
      assert.match(await pingError(`redis://:wrong@127.0.0.1:${port}`), /WRONGPASS/);
    }
  });

  test('gateway and matcher authenticate with the password in REDIS_URL and pair two clients', async () => {
    assert.match(redis.url, URL_FORM);
    assert.match(redis.url, redis.topology === 'cluster' ? /^redis\+cluster:/ : /^redis:/);
    await pairThrough(redis);
  });
});

describe('Redis TLS', () => {
  let redis: TestRedisHandle;
  before(async () => (redis = await startTestRedis({ password: PASSWORD, tls: certificates })));
  after(async () => redis.stop());

  test('every node speaks TLS only, and a client that does not trust the CA is refused', async () => {
    assert.match(redis.url, URL_FORM);
    assert.match(redis.url, redis.topology === 'cluster' ? /^rediss\+cluster:/ : /^rediss:/);
    const auth = `:${encodeURIComponent(PASSWORD)}@127.0.0.1`;
    for (const port of nodePorts(redis)) {
      assert.notEqual(await pingError(`redis://${auth}:${port}`, { connectTimeout: 1000 }), '');
      assert.match(await pingError(`rediss://${auth}:${port}`), /self[- ]signed|unable to verify|certificate/i);
      // …and one that trusts it (and knows the password) is served.
      assert.equal(await pingError(`rediss://${auth}:${port}`, { tls: { ca: readFileSync(certificates.caFile) } }), '');
    }
  });

  test('gateway and matcher connect over TLS with REDIS_TLS_CA_FILE (and AUTH) and pair two clients', async () => {
    await pairThrough(redis, { REDIS_TLS_CA_FILE: certificates.caFile });
  });
});
