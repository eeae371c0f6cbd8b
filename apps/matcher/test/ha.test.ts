// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  startGateway,
  startMatcher,
  startTestRedis,
  TestClient,
  type ServiceHandle,
  type TestRedisHandle,
} from '@strangers/testkit';

/**
 * Matcher high availability against real processes: two matchers (one active, one standby),
 * two gateways, a private Redis (one server, or a cluster with TEST_REDIS=cluster), raw
 * WebSocket clients.
 */

const LEASE = { LEASE_TTL_MS: '1500', LEASE_RENEW_MS: '500' };

interface Stack {
  redis: TestRedisHandle;
  gateways: ServiceHandle[];
  matchers: ServiceHandle[];
  clients: TestClient[];
}

async function startStack(): Promise<Stack> {
  const redis = await startTestRedis();
  const gateways = await Promise.all([startGateway(redis.url), startGateway(redis.url)]);
  const first = await startMatcher(redis.url, { MATCHER_ID: 'matcher-a', ...LEASE });
  await first.waitForLog((line) => line.msg === 'matcher active');
  const second = await startMatcher(redis.url, { MATCHER_ID: 'matcher-b', ...LEASE });
  return { redis, gateways, matchers: [first, second], clients: [] };
}

async function stopStack(stack: Stack): Promise<void> {
  for (const client of stack.clients) client.terminate();
  await Promise.all([...stack.matchers, ...stack.gateways].map((service) => service.stop('SIGKILL')));
  await stack.redis.stop();
}

/** Connects `count` clients, alternating gateways, each past its `welcome`. */
async function connectClients(stack: Stack, count: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let start = 0; start < count; start += 100) {
    const wave = await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, async (_, i) => {
        const gateway = stack.gateways[(start + i) % stack.gateways.length]!;
        const client = await TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`);
        await client.next('welcome');
        return client;
      }),
    );
    clients.push(...wave);
  }
  stack.clients.push(...clients);
  return clients;
}

function pairedFrames(client: TestClient) {
  return client.frames.filter((frame) => frame.type === 'paired');
}

/**
 * A pair joined after everything else went through the same (in-order) event stream: once
 * it is paired, every earlier join has been applied, so late duplicates would have arrived.
 */
async function barrier(stack: Stack): Promise<void> {
  const [x, y] = await connectClients(stack, 2);
  x!.send({ type: 'join' });
  y!.send({ type: 'join' });
  await Promise.all([x!.next('paired', 10_000), y!.next('paired', 10_000)]);
}

/** Every client got exactly one `paired`, and every chat has exactly two members. */
function assertPairedOnce(clients: TestClient[]): void {
  const members = new Map<string, number>();
  for (const client of clients) {
    const paired = pairedFrames(client);
    assert.equal(paired.length, 1, `a client got ${paired.length} paired frames`);
    const chat = String(paired[0]!.chat);
    members.set(chat, (members.get(chat) ?? 0) + 1);
  }
  for (const [chat, count] of members) assert.equal(count, 2, `chat ${chat} has ${count} members`);
  assert.equal(members.size, clients.length / 2);
}

function isActiveLine(line: Record<string, unknown>): boolean {
  return line.msg === 'matcher active';
}

describe('matcher high availability', { timeout: 120_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stopStack(stack);
  });

  test('kill -9 of the active matcher mid-storm: the standby takes over within 3 s, everyone paired exactly once', async () => {
    const [active, standby] = stack.matchers as [ServiceHandle, ServiceHandle];
    await standby.waitForLog((line) => line.msg === 'matcher running');
    assert.ok(!standby.logs.some(isActiveLine), 'the second matcher starts as a standby');

    const clients = await connectClients(stack, 1000);
    const half = clients.length / 2;
    for (const client of clients.slice(0, half)) client.send({ type: 'join' });
    // In the middle of the storm: the first half is in flight through gateways and matcher.
    const killedAt = Date.now();
    await active.stop('SIGKILL');
    for (const client of clients.slice(half)) client.send({ type: 'join' });

    const took = await standby.waitForLog(isActiveLine, 5000);
    const takeoverMs = Number(took.time) - killedAt;
    assert.ok(takeoverMs <= 3000, `standby became active ${takeoverMs} ms after the kill`);

    await Promise.all(clients.map((client) => client.seen((frame) => frame.type === 'paired', 20_000)));
    await barrier(stack);
    assertPairedOnce(clients);
  });

  test('a paused leader that lost its lease cannot commit when it resumes, and becomes a standby', async () => {
    // matcher-b leads now; a fresh matcher-c stands by.
    const leader = stack.matchers[1]!;
    const standby = await startMatcher(stack.redis.url, { MATCHER_ID: 'matcher-c', ...LEASE });
    stack.matchers.push(standby);
    const clients = await connectClients(stack, 200);

    process.kill(leader.pid, 'SIGSTOP');
    // Sent while the leader is frozen: its blocked read may still be served these events,
    // which it will try to commit when it wakes up.
    for (const client of clients) client.send({ type: 'join' });
    await standby.waitForLog(isActiveLine, 5000);
    await Promise.all(clients.map((client) => client.seen((frame) => frame.type === 'paired', 20_000)));

    const before = leader.logs.length;
    process.kill(leader.pid, 'SIGCONT');
    const stepped = await leader.waitForLog((line) => line.msg === 'matcher standby' && typeof line.reason === 'string', 5000);
    assert.ok(leader.logs.indexOf(stepped) >= before, 'stepped down after resuming');

    await barrier(stack);
    assertPairedOnce(clients);
    // It stays a standby: the lease is the new leader's.
    assert.ok(!leader.logs.slice(before).some(isActiveLine));
    const admin = stack.redis.client();
    assert.match((await admin.get('{m}:leader')) ?? '', /^matcher-c\|/);
  });
});
