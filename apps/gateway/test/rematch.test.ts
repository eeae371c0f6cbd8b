// @topologies single cluster
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { keys } from '@strangers/redis';
import { startMatcher, waitFor, type ServiceHandle, type TestClient } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

/**
 * Rematch on a real stack (PROTOCOL.md §1): within REMATCH_WINDOW_MS after a chat ended by
 * `next` or `left` either side may ask; the other is offered; both asking pairs them again,
 * wherever they are now; never after a report; errors say why.
 */

const WINDOW_MS = 5000;
let stack: Stack;
/** The matcher started by the restart test, in place of the stack's. */
let replacement: ServiceHandle | undefined;

before(async () => {
  stack = await startStack({
    // Long cool-down: a rematch is the only way the two meet again within these tests.
    matcherEnv: { NEXT_COOLDOWN_MS: '60000' },
    gatewayEnv: { RESUME_GRACE_MS: '300', REMATCH_WINDOW_MS: String(WINDOW_MS) },
  });
});
afterEach(async () => stack.reset());
after(async () => {
  await replacement?.stop('SIGKILL');
  await stack.stop();
});

function sessionOf(client: TestClient): string {
  return String(client.frames.find((frame) => frame.type === 'welcome')?.session);
}

/** Two clients on different gateways, paired, then `a` presses next: both are back in the queue. */
async function endedByNext(): Promise<{ a: TestClient; b: TestClient; chat: string }> {
  const a = await stack.connect(0);
  const b = await stack.connect(1);
  const chat = await pairUp(a, b);
  a.send({ type: 'next', chat });
  await a.next('waiting');
  assert.equal((await b.next('partner_left')).reason, 'next');
  await b.next('waiting');
  return { a, b, chat };
}

/** Every event read and acknowledged by the matcher. */
async function matcherCaughtUp(): Promise<boolean> {
  const groups = (await stack.redis.client().xinfo('GROUPS', keys.matcherEvents)) as unknown[][];
  return groups.every((flat) => {
    const info = new Map<unknown, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) info.set(flat[i], flat[i + 1]);
    return Number(info.get('pending')) === 0 && Number(info.get('lag')) === 0;
  });
}

/** The `paired` control entries for `sid` written to its gateway's stream so far. */
async function assignmentsFor(gateway: string, sid: string): Promise<number> {
  const entries = await stack.redis.client().xrange(keys.gatewayControl(gateway), '-', '+');
  return entries.filter(([, fields]) => fields[1] === 'paired' && fields[fields.indexOf('to') + 1] === sid).length;
}

describe('rematch', () => {
  test('both ask (on two gateways): an offer, then paired with rematch:true in a new chat', async () => {
    const { a, b, chat } = await endedByNext();
    a.send({ type: 'rematch', chat });
    assert.deepEqual(await b.next('rematch_offer'), { type: 'rematch_offer', chat });
    b.send({ type: 'rematch', chat });
    const [pa, pb] = await Promise.all([a.next('paired'), b.next('paired')]);
    assert.equal(pa.chat, pb.chat);
    assert.notEqual(pa.chat, chat, 'a new chat id');
    assert.deepEqual([pa.rematch, pb.rematch], [true, true]);
    // They really talk.
    a.send({ type: 'message', text: 'again', chat: pa.chat });
    assert.equal((await b.next('message')).text, 'again');
  });

  test('an idle side (requeue:false, then left) is paired too', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const chat = await pairUp(a, b, { requeue: false });
    a.send({ type: 'leave' });
    assert.equal((await b.next('partner_left')).reason, 'left');
    b.send({ type: 'rematch', chat });
    await a.next('rematch_offer');
    a.send({ type: 'rematch', chat });
    const [pa, pb] = await Promise.all([a.next('paired'), b.next('paired')]);
    assert.deepEqual([pa.chat === pb.chat, pa.rematch, pb.rematch], [true, true, true]);
  });

  test('one asks: the other is offered, nobody is paired', async () => {
    const { a, b, chat } = await endedByNext();
    const before = await assignmentsFor('gw-0', sessionOf(a));
    a.send({ type: 'rematch', chat });
    await b.next('rematch_offer');
    // The offer and any pairing of this event are one commit: the offer is there, so nothing else is coming.
    assert.equal(await assignmentsFor('gw-0', sessionOf(a)), before);
    assert.equal(await assignmentsFor('gw-1', sessionOf(b)), 1, 'only the first chat');
    // Asking again sends no second offer: once the matcher has read every event, one offer, one request stored.
    a.send({ type: 'rematch', chat });
    a.send({ type: 'next' });
    await a.next('waiting');
    await waitFor(matcherCaughtUp, { timeoutMs: 5000, what: 'the matcher caught up' });
    const stored = JSON.parse((await stack.redis.client().hget(keys.matcherRematch, chat)) ?? '{}') as { requests?: unknown[]; done?: boolean };
    assert.deepEqual([stored.requests?.length, stored.done], [1, false]);
    assert.equal(b.frames.filter((frame) => frame.type === 'rematch_offer').length, 1);
  });

  test('after the window: refused with a clear error', async () => {
    const { a, chat } = await endedByNext();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 100)); // the window itself is what is tested
    a.send({ type: 'rematch', chat });
    const error = await a.next('error');
    assert.equal(error.code, 'invalid_state');
    assert.match(String(error.message), /window/);
  });

  test('after a report: refused on both sides; an unknown chat is refused too', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const chat = await pairUp(a, b);
    a.send({ type: 'report', chat });
    await a.next('waiting');
    assert.equal((await b.next('partner_left')).reason, 'reported');
    for (const client of [a, b]) {
      client.send({ type: 'rematch', chat });
      const error = await client.next('error');
      assert.equal(error.code, 'not_allowed');
      assert.match(String(error.message), /reported/);
    }
    a.send({ type: 'rematch', chat: '0.nosuchchat' });
    assert.equal((await a.next('error')).code, 'invalid_state');
  });

  test('rematch while paired is invalid_state', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const chat = await pairUp(a, b);
    a.send({ type: 'rematch', chat });
    assert.equal((await a.next('error')).code, 'invalid_state');
  });

  // Last: it replaces the stack's matcher.
  test('through a matcher restart: one asks, the matcher is killed and replaced, the other asks: paired', async () => {
    const { a, b, chat } = await endedByNext();
    a.send({ type: 'rematch', chat });
    await b.next('rematch_offer');
    await stack.matcher.stop('SIGKILL');
    replacement = await startMatcher(stack.redis.url, { NEXT_COOLDOWN_MS: '60000', MATCHER_ID: 'matcher-replacement' });
    await replacement.waitForLog((line) => line.msg === 'matcher active', 10_000);
    b.send({ type: 'rematch', chat });
    const [pa, pb] = await Promise.all([a.next('paired', 10_000), b.next('paired', 10_000)]);
    assert.equal(pa.chat, pb.chat);
    assert.deepEqual([pa.rematch, pb.rematch], [true, true]);
  });
});
