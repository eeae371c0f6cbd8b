// @topologies single cluster
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { keys } from '@strangers/redis';
import { TestClient, waitFor, type ServiceHandle } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

/**
 * Resumes that go wrong half-way (PROTOCOL.md §1 "Resume"; ARCHITECTURE.md "Resume"): the
 * socket closes while the gateway looks the session up or waits for its handoff, or the move
 * of the chat fails. Each must leave exactly one ordinary session: detached, its grace
 * running, resumable again, and its partner told `disconnected` if it never comes back.
 */
const GRACE_MS = 2000;
const PAIRS = 30;

let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, gatewayEnv: { RESUME_GRACE_MS: String(GRACE_MS), RESUME_GRACE_CLEAN_MS: String(GRACE_MS) } });
});
afterEach(async () => stack.reset());
after(async () => stack.stop());

const wsUrl = (gateway: ServiceHandle, query = '') => `ws://127.0.0.1:${gateway.port}/ws${query}`;

/** Open /ws sockets a gateway holds (its connections gauge). */
async function openConnections(gateway: ServiceHandle): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith('strangers_gateway_connections '));
  return Number(line?.split(' ')[1]);
}

/** Starts a resume and cuts the socket as soon as the upgrade is answered: the gateway is still looking the session up. */
function resumeAndVanish(gateway: ServiceHandle, token: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl(gateway, `?resume=${token}`));
    socket.on('upgrade', () => setImmediate(() => socket.terminate()));
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

/** `count` pairs, the `a` side on gateway `aOn`, partners on gateway 0, not re-queued when left. */
async function pairs(count: number, aOn: number): Promise<{ a: TestClient; b: TestClient; token: string; chat: string }[]> {
  const made = [];
  for (let i = 0; i < count; i++) {
    const a = await stack.connect(aOn);
    const b = await stack.connect(0);
    const token = String(a.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    const chat = await pairUp(a, b, { requeue: false });
    made.push({ a, b, token, chat });
  }
  return made;
}

for (const [where, gateway] of [
  ['the lookup (same gateway)', 0],
  ['the handoff (another gateway)', 1],
] as const) {
  test(`a resume whose socket closes during ${where} leaves a detached session whose grace runs out: partner told, nothing attached`, async () => {
    const made = await pairs(PAIRS, 0);
    for (const { a } of made) a.terminate();
    await Promise.all(made.map(({ token }) => resumeAndVanish(stack.gateways[gateway]!, token)));
    const droppedAt = Date.now();
    await Promise.all(
      made.map(async ({ b }) => assert.deepEqual(await b.next('partner_left', GRACE_MS + 4000), { type: 'partner_left', reason: 'disconnected' })),
    );
    assert.ok(Date.now() - droppedAt < GRACE_MS + 4000);
    // Only the partners' sockets are open; no session stays attached to a dead socket.
    await waitFor(async () => (await openConnections(stack.gateways[0]!)) === PAIRS && (await openConnections(stack.gateways[1]!)) === 0, {
      timeoutMs: 3000,
      what: 'no connection left on a dead socket',
    });
    // Every vanished session is over: its token no longer resumes.
    const late = await TestClient.connect(wsUrl(stack.gateways[gateway]!, `?resume=${made[0]!.token}`));
    assert.equal((await late.next()).code, 'resume_failed');
    late.close();
  });
}

test('a resume whose socket closes during the handoff can be resumed again within the grace', async () => {
  const [{ a, b, token, chat }] = await pairs(1, 0);
  a.terminate();
  await resumeAndVanish(stack.gateways[1]!, token);
  const again = await TestClient.connect(wsUrl(stack.gateways[1]!, `?resume=${token}`));
  const resumed = await again.next();
  assert.equal(resumed.type, 'resumed');
  assert.equal(resumed.state, 'paired');
  assert.equal(resumed.chat, chat);
  b.send({ type: 'message', text: 'still here', chat });
  assert.equal((await again.next('message')).text, 'still here');
  assert.equal(b.frames.some((frame) => frame.type === 'partner_left'), false);
  again.close();
});

test('a resume whose chat move fails sends no `resumed`: one detached session stays, resumable again, and its partner is not told', async () => {
  const [{ a, b, token, chat }] = await pairs(1, 0);
  b.send({ type: 'message', text: 'before', id: 'x', chat });
  await b.next('ack');
  await a.next('message');
  a.terminate();
  // A chat key of the wrong type: Redis fails the move script (WRONGTYPE).
  const admin = stack.redis.client();
  const saved = await admin.hgetall(keys.chat(chat));
  await admin.del(keys.chat(chat));
  await admin.set(keys.chat(chat), 'not a hash');
  const failed = await TestClient.connect(wsUrl(stack.gateways[0]!, `?resume=${token}`));
  const closed = await failed.waitClosed();
  assert.equal(closed.code, 1013, 'try again later');
  assert.deepEqual(failed.frames.map((frame) => frame.type), [], 'no resumed, no welcome');
  // Repaired: the same token resumes the one session, into the same chat, with its history.
  await admin.del(keys.chat(chat));
  await admin.hset(keys.chat(chat), saved);
  const again = await TestClient.connect(wsUrl(stack.gateways[0]!, `?resume=${token}`));
  const resumed = await again.next();
  assert.equal(resumed.type, 'resumed');
  assert.equal(resumed.chat, chat);
  assert.equal((await again.next('message')).text, 'before');
  // One connection object: each frame is handled once (one ack, one delivery).
  // (A duplicate of the first would arrive before the second's ack and delivery.)
  again.send({ type: 'message', text: 'one', id: 'o1', chat });
  again.send({ type: 'message', text: 'two', id: 'o2', chat });
  await again.seen((frame) => frame.type === 'ack' && frame.id === 'o2');
  await b.seen((frame) => frame.type === 'message' && frame.text === 'two');
  assert.deepEqual(again.frames.filter((frame) => frame.type === 'ack').map((frame) => frame.id), ['o1', 'o2']);
  assert.deepEqual(b.frames.filter((frame) => frame.type === 'message').map((frame) => frame.text), ['one', 'two']);
  assert.equal(b.frames.some((frame) => frame.type === 'partner_left'), false);
  again.close();
});
