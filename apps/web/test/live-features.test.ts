import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { TestClient } from '@strangers/testkit';
import { chromiumMissing, confirmNext, ownAcked, say, seesPartner, start, startWebStack, type WebStack } from './web-stack.ts';

// Issues 19 and 20 end to end in headless Chromium against real processes (a private
// redis-server, the matcher, two gateways): a chat with the proof-of-work gate on, and a
// rematch between two pages. Each skips, saying why, on gateways that do not implement it.

/** The first frame a fresh /ws session gets. */
async function welcomeOf(stack: WebStack): Promise<Record<string, unknown>> {
  const probe = await TestClient.connect(`ws://127.0.0.1:${stack.gateways[0]!.port}/ws`);
  try {
    return await probe.next('welcome', 5000);
  } finally {
    probe.terminate();
  }
}

/**
 * True when the gateway handles `rematch`: a rematch for a chat that never existed is
 * refused with an error other than `invalid_message` (an unknown frame type). A gateway that
 * only parses the frame answers nothing.
 */
async function knowsRematch(stack: WebStack): Promise<boolean> {
  const probe = await TestClient.connect(`ws://127.0.0.1:${stack.gateways[0]!.port}/ws`);
  try {
    await probe.next('welcome', 5000);
    probe.send({ type: 'rematch', chat: 'no-such-chat' });
    const answer = await probe.next('error', 3000).catch(() => undefined);
    return answer !== undefined && answer.code !== 'invalid_message';
  } finally {
    probe.terminate();
  }
}

describe('proof of work and rematch on the real stack in Chromium', { skip: chromiumMissing, timeout: 240_000 }, () => {
  const stacks: WebStack[] = [];
  after(async () => {
    for (const stack of stacks) await stack.stop();
  });

  test('with the proof-of-work gate on, two pages solve their challenges and chat', async (t) => {
    const stack = await startWebStack({ PROOF_OF_WORK: 'on', POW_HMAC_KEY: 'web-e2e-pow-hmac-key-012345', POW_DIFFICULTY: '20000' });
    stacks.push(stack);
    if (!(await welcomeOf(stack)).challenge) {
      t.skip('the gateways do not implement PROOF_OF_WORK yet (no challenge in welcome)');
      return;
    }
    const a = await stack.open(stack.url(0));
    const b = await stack.open(stack.url(1));
    const proofs: string[] = [];
    a.on('websocket', (socket) => socket.on('framesent', (frame) => proofs.push(String(frame.payload))));
    await start(a, { interests: 'pow-e2e' });
    await start(b, { interests: 'pow-e2e' });
    await a.locator('#status', { hasText: 'You both like: pow-e2e' }).waitFor({ timeout: 60_000 });
    await b.locator('#status', { hasText: 'You both like: pow-e2e' }).waitFor({ timeout: 60_000 });
    await say(a, 'proved and paired');
    await seesPartner(b, 'proved and paired');
    await ownAcked(a, 'proved and paired');
    assert.equal(await a.locator('#messages .system', { hasText: /Error/ }).count(), 0);
    await a.context().close();
    await b.context().close();
  });

  test('after Next, both strangers click Reconnect and are back together', async (t) => {
    const stack = await startWebStack();
    stacks.push(stack);
    if (!(await knowsRematch(stack))) {
      t.skip('the gateways do not implement rematch yet');
      return;
    }
    const a = await stack.open(stack.url(0));
    const b = await stack.open(stack.url(1));
    await start(a, { interests: 'rematch-e2e' });
    await start(b, { interests: 'rematch-e2e' });
    await a.locator('#status', { hasText: 'You both like' }).waitFor();
    await b.locator('#status', { hasText: 'You both like' }).waitFor();
    await say(a, 'before the skip');
    await seesPartner(b, 'before the skip');

    await confirmNext(a);
    await b.locator('#messages .system', { hasText: 'Stranger moved on' }).waitFor();
    await a.click('#reconnect');
    await b.locator('#messages .system', { hasText: 'The stranger wants to reconnect.' }).waitFor();
    await b.click('#reconnect');
    await a.locator('#messages .system', { hasText: "You're back with the same stranger." }).waitFor();
    await b.locator('#messages .system', { hasText: "You're back with the same stranger." }).waitFor();
    await say(b, 'glad you came back');
    await seesPartner(a, 'glad you came back');
    await ownAcked(b, 'glad you came back');
    await a.context().close();
    await b.context().close();
  });
});
