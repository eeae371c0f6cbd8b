// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { keys } from '@strangers/redis';
import { TestClient, waitFor, type ServiceHandle } from '@strangers/testkit';
import { chatKeepsWorking, pairUp, startStack, type Stack } from './stack.js';

/**
 * A gateway cut off from Redis longer than its liveness TTL (frozen with SIGSTOP: it neither
 * refreshes its key nor reads) looks dead: a reaper orphans its sessions and a client resumes
 * on another gateway. When the frozen one comes back, that session is no longer its own: it
 * must let it go rather than hold it until its grace runs out and then end the chat — which
 * would tell the partner `disconnected` while the session lives on elsewhere (split brain).
 */
const GRACE_MS = 2000;
// The rate limit lifted: the chat is exercised back to back until past the grace.
const SHORT = { GATEWAY_ALIVE_TTL_MS: '1000', GATEWAY_ALIVE_INTERVAL_MS: '250', RESUME_GRACE_MS: String(GRACE_MS), RESUME_GRACE_CLEAN_MS: '300', CHAT_RATE_PER_SECOND: '100000', CHAT_RATE_BURST: '100000' };
const wsUrl = (gateway: ServiceHandle, query = '') => `ws://127.0.0.1:${gateway.port}/ws${query}`;

let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, gatewayEnv: SHORT });
});
after(async () => stack?.stop());

test('a session taken over while its gateway was cut off is let go there, and its chat goes on', async () => {
  const admin = stack.redis.client();
  const [a, b] = [await stack.connect(0), await stack.connect(1)];
  await pairUp(a, b, { requeue: false });
  const token = String(a.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
  const frozen = stack.gateways[0]!;
  process.kill(frozen.pid, 'SIGSTOP');
  let resumed: TestClient | undefined;
  try {
    a.terminate();
    await waitFor(async () => (await admin.get(keys.gatewayAlive('gw-0'))) === null, { timeoutMs: 10_000, what: "gw-0's liveness key lapsed" });
    // gw-1 finds the owner dead, orphans the session and claims it for the client.
    resumed = await TestClient.connect(wsUrl(stack.gateways[1]!, `?resume=${token}&last=0`));
    assert.equal((await resumed.next('resumed', 10_000)).state, 'paired');
  } finally {
    process.kill(frozen.pid, 'SIGCONT');
  }
  await waitFor(() => frozen.logs.some((line) => line.msg === 'session taken over by another gateway while this one was cut off; let go'), {
    timeoutMs: 10_000,
    what: 'gw-0 lets the session go',
  });
  // Past the grace gw-0 would have run for the dropped socket, the chat still works both ways
  // and the partner was never told it ended.
  await chatKeepsWorking(resumed!, b, Date.now() + GRACE_MS + 1000);
  resumed.close();
});
