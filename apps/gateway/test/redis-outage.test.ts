import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { StrangerClient, StrangerClientError } from '@strangers/client';
import {
  startGateway,
  startMatcher,
  startRedisServer,
  waitFor,
  type RedisServerHandle,
  type ServiceHandle,
} from '@strangers/testkit';

/**
 * Redis (AOF, fsync always) is killed and restarted under traffic. Gateways and matcher must
 * recover unattended, `/readyz` must say 503 meanwhile, sends during the outage must be
 * refused (`unavailable`), and every acked message must be delivered exactly once, in order.
 */
let redis: RedisServerHandle;
let services: ServiceHandle[] = [];

before(async () => {
  redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  const env = { RESUME_GRACE_MS: '15000' };
  services = [await startMatcher(redis.url), await startGateway(redis.url, { GATEWAY_ID: 'o-0', ...env }), await startGateway(redis.url, { GATEWAY_ID: 'o-1', ...env })];
});
after(async () => {
  await Promise.all(services.map((service) => service.stop('SIGKILL')));
  await redis.stop();
});

const readyz = async (gateway: ServiceHandle) => (await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status;

test('a Redis restart under traffic: readyz reflects it, nothing acked is lost, everything recovers', async () => {
  const [, g0, g1] = services as [ServiceHandle, ServiceHandle, ServiceHandle];
  const pairs = [];
  for (let i = 0; i < 10; i++) {
    const a = new StrangerClient({ url: `ws://127.0.0.1:${g0.port}/ws`, WebSocket });
    const b = new StrangerClient({ url: `ws://127.0.0.1:${g1.port}/ws`, WebSocket });
    await Promise.all([a.connect(), b.connect()]);
    const paired = Promise.all([new Promise((resolve) => a.once('paired', resolve)), new Promise((resolve) => b.once('paired', resolve))]);
    a.join();
    b.join();
    await paired;
    pairs.push({ a, b });
  }
  const acked = new Map<StrangerClient, string[]>();
  const received = new Map<StrangerClient, string[]>();
  let refused = 0;
  for (const { a, b } of pairs) {
    for (const client of [a, b]) {
      acked.set(client, []);
      const got: string[] = [];
      received.set(client, got);
      client.on('message', ({ text }) => got.push(text));
    }
  }
  let sending = true;
  let counter = 0;
  const talk = async (from: StrangerClient) => {
    while (sending) {
      const text = `t${counter++}`;
      try {
        await from.send(text);
        acked.get(from)!.push(text);
      } catch (error) {
        if (error instanceof StrangerClientError && error.code === 'unavailable') refused++;
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  };
  const talkers = pairs.flatMap(({ a, b }) => [talk(a), talk(b)]);
  await waitFor(() => [...received.values()].every((got) => got.length > 3), { what: 'traffic before the outage' });

  await redis.kill();
  await waitFor(async () => (await readyz(g0)) === 503 && (await readyz(g1)) === 503, { what: 'readyz 503 during the outage' });
  await waitFor(() => refused > 0, { what: 'a send refused as unavailable' });
  await redis.start();
  await waitFor(async () => (await readyz(g0)) === 200 && (await readyz(g1)) === 200, { timeoutMs: 15_000, what: 'readyz 200 after recovery' });
  const before = [...received.values()].map((got) => got.length);
  await waitFor(() => [...received.values()].every((got, i) => got.length > before[i]! + 3), { timeoutMs: 15_000, what: 'traffic after recovery' });
  sending = false;
  await Promise.all(talkers);

  for (const { a, b } of pairs) {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const sent = acked.get(from)!;
      await waitFor(() => received.get(to)!.includes(sent[sent.length - 1]!), { timeoutMs: 5000, what: 'the last acked message delivered' });
      const got = received.get(to)!;
      assert.equal(new Set(got).size, got.length, 'no duplicates');
      assert.deepEqual(got.filter((text) => sent.includes(text)), sent, 'every acked message, in order');
    }
  }
  // The matcher recovered too: two new clients still get paired.
  const x = new StrangerClient({ url: `ws://127.0.0.1:${g0.port}/ws`, WebSocket });
  const y = new StrangerClient({ url: `ws://127.0.0.1:${g1.port}/ws`, WebSocket });
  await Promise.all([x.connect(), y.connect()]);
  const paired = Promise.all([new Promise((resolve) => x.once('paired', resolve)), new Promise((resolve) => y.once('paired', resolve))]);
  x.join();
  y.join();
  await paired;
  assert.equal(x.chat, y.chat);
  for (const client of [x, y, ...pairs.flatMap(({ a, b }) => [a, b])]) client.close();
});
