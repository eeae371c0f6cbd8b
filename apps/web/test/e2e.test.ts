import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBalancer, type Balancer } from './tcp-balancer.ts';
import { chromiumMissing, ownAcked, say, seesPartner, start, startWebStack, type WebStack } from './web-stack.ts';

// End-to-end in headless Chromium against real processes: a private redis-server, the
// matcher and two gateways, each serving the built web client.

describe('web client in Chromium', { skip: chromiumMissing, timeout: 180_000 }, () => {
  let stack: WebStack;
  let balancer: Balancer | undefined;

  before(async () => {
    stack = await startWebStack();
  });

  after(async () => {
    await balancer?.close();
    await stack?.stop();
  });

  let a: Page;
  let b: Page;

  test('two pages on different gateways pair, see shared interests and chat both ways', async () => {
    a = await stack.open(stack.url(0));
    b = await stack.open(stack.url(1));
    assert.match((await a.textContent('#online')) ?? '', /online/);
    await start(a, { interests: 'E2E, Music' });
    await start(b, { interests: 'e2e', requeue: false });
    await a.locator('#status', { hasText: 'You both like: e2e' }).waitFor();
    await b.locator('#status', { hasText: 'You both like: e2e' }).waitFor();
    // Paired: focus lands in the message box.
    assert.equal(await a.evaluate(() => document.activeElement?.id), 'message');

    await say(a, 'hello from A');
    await seesPartner(b, 'hello from A');
    await ownAcked(a, 'hello from A');
    await say(b, 'hi A, this is B');
    await seesPartner(a, 'hi A, this is B');
    await ownAcked(b, 'hi A, this is B');
    assert.equal(await a.locator('#messages .bubble').count(), 2);
  });

  test('typing shows on the other page', async () => {
    await a.locator('#message').pressSequentially('typ');
    await b.locator('#typing').waitFor({ state: 'visible' });
    await a.fill('#message', '');
    await b.locator('#typing').waitFor({ state: 'hidden', timeout: 10_000 });
  });

  test('a message containing HTML is shown as text, never rendered', async () => {
    const attack = '<img src=x onerror=alert(1)>';
    await say(a, attack);
    await seesPartner(b, attack);
    const shown = await b.locator('#messages .bubble.partner .text').last().textContent();
    assert.equal(shown, attack);
    assert.equal(await b.locator('#messages img').count(), 0);
    assert.equal(await a.locator('#messages img').count(), 0);
  });

  test('Escape (Next) re-pairs with a third page; the one left behind can start a new chat', async () => {
    const c = await stack.open(stack.url(0));
    await start(c, { interests: 'e2e' });
    await a.locator('#message').focus();
    // Escape twice: the first only arms Next ("Really?").
    await a.keyboard.press('Escape');
    await a.locator('#next', { hasText: 'Really?' }).waitFor();
    await a.keyboard.press('Escape');
    // (A's "You left the chat" line is replaced at once: C is waiting, so A re-pairs immediately.)
    // B had automatic requeue off: it is told, and offered a new chat.
    await b.locator('#messages .system', { hasText: 'Stranger moved on' }).waitFor();
    await b.locator('#new-chat').waitFor({ state: 'visible' });
    await a.locator('#status', { hasText: 'You both like: e2e' }).waitFor();
    await c.locator('#status', { hasText: 'You both like: e2e' }).waitFor();
    await say(c, 'I am the third page');
    await seesPartner(a, 'I am the third page');
    await c.context().close();
    await a.locator('#messages .system', { hasText: /Stranger (left|lost)/ }).waitFor();
  });

  test('Report asks for confirmation, then ends the chat for both', async () => {
    const d = await stack.open(stack.url(0));
    const e = await stack.open(stack.url(1));
    await start(d, { interests: 'report-me' });
    await start(e, { interests: 'report-me', requeue: false });
    await d.locator('#status', { hasText: 'You both like' }).waitFor();
    await e.locator('#report').click();
    await e.locator('#report-dialog[open]').waitFor();
    await e.keyboard.press('Escape'); // cancelling keeps the chat
    assert.equal(await e.locator('#report-dialog[open]').count(), 0);
    assert.equal(await e.locator('#message').isEnabled(), true);
    await e.locator('#report').click();
    await e.fill('#report-reason', 'spam');
    await e.click('#report-confirm');
    await e.locator('#messages .system', { hasText: 'You reported the stranger' }).waitFor();
    await d.locator('#messages .system', { hasText: 'The chat was ended' }).waitFor();
    await d.context().close();
    await e.context().close();
  });

  test('a page whose gateway is killed shows "Reconnecting…" and the chat continues with nothing lost', async (t) => {
    if (!(await stack.supportsResume())) {
      t.skip('needs server-side resume (PROTOCOL.md "Resume"): the gateways do not implement it yet');
      return;
    }
    // The page on gateway 1 reaches it through a balancer that falls back to gateway 0.
    balancer = await startBalancer([stack.gateways[1]!.port, stack.gateways[0]!.port]);
    const f = await stack.open(stack.url(0));
    const g = await stack.open(`http://127.0.0.1:${balancer.port}/`);
    await start(f, { interests: 'resume' });
    await start(g, { interests: 'resume' });
    await g.locator('#status', { hasText: 'You both like: resume' }).waitFor();
    await say(f, 'before the crash');
    await seesPartner(g, 'before the crash');

    await stack.gateways[1]!.stop('SIGKILL');
    await g.locator('#status', { hasText: 'Reconnecting' }).waitFor();
    await say(f, 'sent while you were away');
    await ownAcked(f, 'sent while you were away');
    await g.locator('#status', { hasText: 'Chatting with a stranger' }).waitFor({ timeout: 20_000 });
    await seesPartner(g, 'sent while you were away');
    await say(g, 'back again');
    await seesPartner(f, 'back again');
    await ownAcked(g, 'back again');
    // Exactly once each, in order.
    const atG = await g.locator('#messages .bubble.partner .text').allTextContents();
    assert.deepEqual(atG, ['before the crash', 'sent while you were away']);
    assert.equal(
      await f.locator('#messages .system', { hasText: /Stranger (left|moved on|lost)|chat was ended/ }).count(),
      0,
      'the partner never saw a departure',
    );
    assert.equal(await g.locator('#messages .system', { hasText: /chat ended/ }).count(), 0);
  });
});
