// @topologies single cluster
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { Cluster } from 'ioredis';
import { keys } from '@strangers/redis';
import { TestClient, waitFor, type ServiceHandle } from '@strangers/testkit';
import { chatKeepsWorking, pairUp, startStack, type Stack } from './stack.js';

/**
 * A resume takes a session over at once from an owner whose Redis connections are gone (a
 * killed gateway: the kernel closed its sockets), without waiting for its liveness key to
 * lapse. The key's TTL here is a minute: a resume that waited it out would time out. An
 * owner that is alive but only lost its connections lets the session go once it is back.
 */
const GRACE_MS = 2000;
// The rate limit lifted: the chat is exercised back to back until past the grace.
const LONG_TTL = { GATEWAY_ALIVE_TTL_MS: '60000', GATEWAY_ALIVE_INTERVAL_MS: '250', RESUME_GRACE_MS: String(GRACE_MS), RESUME_GRACE_CLEAN_MS: '300', CHAT_RATE_PER_SECOND: '100000', CHAT_RATE_BURST: '100000' };
const RESUMED_WITHIN_MS = 10_000;
const wsUrl = (gateway: ServiceHandle, query = '') => `ws://127.0.0.1:${gateway.port}/ws${query}`;

let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 3, gatewayEnv: LONG_TTL });
});
after(async () => stack?.stop());

const tokenOf = (client: TestClient) => String(client.frames.find((frame) => frame.type === 'welcome')!.resumeToken);

/** Ends every Redis connection of `gatewayId` (CLIENT KILL on every server), as a network cut would. */
async function cutFromRedis(gatewayId: string): Promise<void> {
  const admin = stack.redis.client();
  // A cluster client lists its nodes only once it is ready.
  if (admin instanceof Cluster && admin.status !== 'ready') await once(admin, 'ready');
  const servers = admin instanceof Cluster ? admin.nodes('master') : [admin];
  for (const server of servers) {
    const list = (await server.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
    for (const line of list.split('\n')) {
      const id = / id=(\d+) /.exec(` ${line}`)?.[1];
      if (id && line.includes(` name=gateway:${gatewayId}:`)) await server.call('CLIENT', 'KILL', 'ID', id);
    }
  }
}

test('a killed owner: the resume takes the session over at once, long before its key lapses', async () => {
  const [a, b] = [await stack.connect(0), await stack.connect(1)];
  await pairUp(a, b, { requeue: false });
  b.send({ type: 'message', text: 'before the kill', id: 'm1' });
  assert.equal((await a.next('message')).seq, 1);
  await stack.gateways[0]!.stop('SIGKILL');
  assert.ok(await stack.redis.client().get(keys.gatewayAlive('gw-0')), "gw-0's liveness key is still there");
  const resumed = await TestClient.connect(wsUrl(stack.gateways[2]!, `?resume=${tokenOf(a)}&last=0`));
  const answer = await resumed.next('resumed', RESUMED_WITHIN_MS);
  assert.equal(answer.state, 'paired');
  assert.equal((await resumed.next('message')).text, 'before the kill', 'the history replayed');
  resumed.send({ type: 'message', text: 'back', id: 'm2' });
  assert.equal((await b.next('message')).text, 'back');
  assert.equal(b.frames.filter((frame) => frame.type === 'partner_left').length, 0);
  resumed.close();
  b.close();
});

test('an owner alive but cut off from Redis: taken over at once, and it lets the session go once back', async () => {
  const [a, b] = [await stack.connect(1), await stack.connect(2)];
  await pairUp(a, b, { requeue: false });
  const cut = stack.gateways[1]!;
  // Frozen, so it cannot reconnect before the resume; its key has a minute to run.
  process.kill(cut.pid, 'SIGSTOP');
  let resumed: TestClient | undefined;
  try {
    await cutFromRedis('gw-1');
    a.terminate();
    resumed = await TestClient.connect(wsUrl(stack.gateways[2]!, `?resume=${tokenOf(a)}&last=0`));
    assert.equal((await resumed.next('resumed', RESUMED_WITHIN_MS)).state, 'paired');
  } finally {
    process.kill(cut.pid, 'SIGCONT');
  }
  await waitFor(() => cut.logs.some((line) => line.msg === 'session taken over by another gateway while this one was cut off; let go'), {
    timeoutMs: 10_000,
    what: 'gw-1 lets the session go once reconnected',
  });
  // Past the grace gw-1 ran for the dropped socket, the chat works both ways, never ended.
  await chatKeepsWorking(resumed!, b, Date.now() + GRACE_MS + 1000);
});
