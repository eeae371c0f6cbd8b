// @topologies single cluster
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { keys } from '@strangers/redis';
import { waitFor, type TestClient } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

/**
 * Rematch on a real stack (PROTOCOL.md §1): within REMATCH_WINDOW_MS after a chat ended by
 * `next` or `left` either side may ask; the other is offered; both asking pairs them again,
 * wherever they are now; never after a report; errors say why.
 */

const WINDOW_MS = 2500;
let stack: Stack;

before(async () => {
  stack = await startStack({
    // Long cool-down: a rematch is the only way the two meet again within these tests.
    matcherEnv: { NEXT_COOLDOWN_MS: '60000' },
    gatewayEnv: { RESUME_GRACE_MS: '300', REMATCH_WINDOW_MS: String(WINDOW_MS) },
  });
});
afterEach(async () => stack.reset());
after(async () => stack.stop());

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

  test('one asks: the other is offered, nobody is paired', async () => {
    const { a, b, chat } = await endedByNext();
    const before = await assignmentsFor('gw-0', sessionOf(a));
    a.send({ type: 'rematch', chat });
    await b.next('rematch_offer');
    // The offer and any pairing of this event are one commit: the offer is there, so nothing else is coming.
    assert.equal(await assignmentsFor('gw-0', sessionOf(a)), before);
    assert.equal(await assignmentsFor('gw-1', sessionOf(b)), 1, 'only the first chat');
    // Asking again sends no second offer.
    a.send({ type: 'rematch', chat });
    a.send({ type: 'next' });
    await a.next('waiting');
    const redis = stack.redis.client();
    await waitFor(async () => (await redis.xlen(keys.matcherEvents)) > 0 && (await redis.hlen(keys.matcherRematch)) === 1, { what: 'the request stored' });
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
});
