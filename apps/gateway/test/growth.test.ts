// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chatBucket, keys } from '@strangers/redis';
import { startGateway, startTestRedis, TestClient, waitFor, type ServiceHandle, type TestRedisHandle } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

/** Every bound of client-driven growth (issue 17), each set small enough to reach in a test. */
const gatewayEnv = {
  LIMIT_LOOPBACK: 'true',
  MAX_CONNECTIONS_PER_IP: '1000',
  UPGRADES_PER_IP_PER_SECOND: '1000',
  MAX_HTTP_CONNECTIONS_PER_IP: '1000',
  REPORTS_PER_IP: '2',
  HISTORY_MAX_BYTES: '4096',
  GATEWAY_ALIVE_TTL_MS: '1500',
  GATEWAY_ALIVE_INTERVAL_MS: '500',
  RESUME_GRACE_MS: '1500',
};

describe('bounded growth from client input', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ gateways: 2, gatewayEnv });
  });
  after(async () => {
    await stack?.stop();
  });

  test('reports per client address: past REPORTS_PER_IP, `rate_limited` and no block', async () => {
    const admin = stack.redis.client();
    const blocksBefore = await admin.zcard(keys.matcherApart);
    for (let i = 0; i < 2; i++) {
      const [reporter, target] = [await stack.connect(0), await stack.connect(1)];
      await pairUp(reporter, target, { requeue: false });
      reporter.send({ type: 'report' });
      assert.equal((await target.next('partner_left')).reason, 'reported');
      // A reporter goes back into the queue: out of it, so the next pair meets as planned.
      await reporter.next('waiting');
      reporter.send({ type: 'leave' });
    }
    await waitFor(async () => (await admin.zcard(keys.matcherApart)) >= blocksBefore + 2, { what: 'two report blocks' });
    // The limit is kept per gateway (in memory): the third reporter is on the same one.
    const [reporter, target] = [await stack.connect(0), await stack.connect(1)];
    await pairUp(reporter, target, { requeue: false });
    reporter.send({ type: 'report' });
    const refused = await reporter.next('error');
    assert.equal(refused.code, 'rate_limited');
    // The report had no effect: the chat goes on, and no block was made.
    reporter.send({ type: 'message', text: 'still here', id: 'm1' });
    assert.equal((await target.next('message')).text, 'still here');
    assert.equal(await admin.zcard(keys.matcherApart), blocksBefore + 2);
    await stack.reset();
  });

  test('chat history is bounded in bytes (HISTORY_MAX_BYTES) as well as in messages', async () => {
    const [a, b] = [await stack.connect(0), await stack.connect(1)];
    const chat = await pairUp(a, b);
    for (let i = 0; i < 10; i++) {
      a.send({ type: 'message', text: `${i}`.padEnd(1000, '.'), id: `h${i}` });
      await a.next('ack');
    }
    const log = await stack.redis.client().xrange(keys.chatLog(chat), '-', '+');
    assert.equal(log.length, 4, '4 messages of 1000 bytes fit in 4096');
    await stack.reset();
  });

  test("a dead gateway's online entry is deleted once it is reaped; its streams stay, bounded", async () => {
    const admin = stack.redis.client();
    const [a, b] = [await stack.connect(1), await stack.connect(0)];
    const chat = await pairUp(a, b);
    b.send({ type: 'message', text: 'to gw-1', id: 'x' });
    await a.next('message');
    const left = [keys.gatewayControl('gw-1'), keys.gatewayInbox(chatBucket(chat), 'gw-1')];
    for (const key of left) assert.equal(await admin.exists(key), 1, `${key} exists while gw-1 lives`);
    assert.equal(await admin.hexists(keys.onlineCounts, 'gw-1'), 1);
    await stack.gateways[1]!.stop('SIGKILL');
    a.terminate();
    // Reaped: the partner is told once the orphan's grace ends; the keys are gone by then.
    assert.equal((await b.next('partner_left', 15_000)).reason, 'disconnected');
    await waitFor(async () => (await admin.hexists(keys.onlineCounts, 'gw-1')) === 0, { what: "gw-1's online entry deleted", timeoutMs: 10_000 });
    // A gateway that only lost Redis for a while looks the same: its inbox may hold acked
    // messages it has yet to read, so the streams are never deleted by a reaper (the
    // dead-gateway sweep deletes them an hour later: dead-gateway-sweep.test.ts).
    for (const key of left) assert.equal(await admin.exists(key), 1, `${key} kept`);
  });
});

describe('{m}:events has a MAXLEN of its own', () => {
  let redis: TestRedisHandle;
  let gateway: ServiceHandle;
  before(async () => {
    // No matcher reads or trims the stream here; small nodes make `MAXLEN ~` trim finely. Set
    // at start on every node (a CONFIG SET through a cluster client that has not yet learnt its
    // nodes missed the one holding {m}: 70 entries then, with the default nodes of 100).
    redis = await startTestRedis({ args: ['--stream-node-max-entries', '10'] });
    gateway = await startGateway(redis.url, { EVENTS_MAX_LENGTH: '20', CHAT_RATE_PER_SECOND: '10000', CHAT_RATE_BURST: '10000' });
  });
  after(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  test('600 joins and cancels leave at most a few dozen entries', async () => {
    const client = await TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`);
    await client.next('welcome');
    for (let i = 0; i < 300; i++) {
      client.send({ type: 'join' });
      await client.next('waiting');
      client.send({ type: 'leave' });
    }
    client.send({ type: 'join' });
    await client.next('waiting');
    const length = await redis.client().xlen(keys.matcherEvents);
    // `MAXLEN ~` trims whole stream nodes (10 entries here), so up to two nodes over the cap of
    // 20 may remain; unbounded it would be 601.
    assert.ok(length <= 40, `{m}:events holds ${length} entries`);
    client.close();
  });
});
