import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBalancer, type Balancer } from './tcp-balancer.ts';
import { chromiumMissing, ownAcked, say, seesPartner, start, startWebStack, type WebStack } from './web-stack.ts';

// The page's session across reloads and tabs, and how it gets a user's attention, in headless
// Chromium against real processes (a private redis-server, the matcher, two gateways).

/** Makes the page believe its tab went to the background (headless tabs are always visible). */
async function hideTab(page: Page, hidden: boolean): Promise<void> {
  // A string, not a function: tsx's name helpers do not exist in the page.
  await page.evaluate(`(() => {
    const hide = ${hidden};
    Object.defineProperty(document, 'visibilityState', { configurable: true, get() { return hide ? 'hidden' : 'visible'; } });
    Object.defineProperty(document, 'hidden', { configurable: true, get() { return hide; } });
    document.dispatchEvent(new Event('visibilitychange'));
  })()`);
}

async function pairUp(stack: WebStack, tag: string): Promise<[Page, Page]> {
  const a = await stack.open(stack.url(0));
  const b = await stack.open(stack.url(1));
  await start(a, { interests: tag });
  await start(b, { interests: tag });
  await a.locator('#status', { hasText: `You both like: ${tag}` }).waitFor();
  await b.locator('#status', { hasText: `You both like: ${tag}` }).waitFor();
  return [a, b];
}

describe('the page session in Chromium', { skip: chromiumMissing, timeout: 180_000 }, () => {
  let stack: WebStack;
  let balancer: Balancer | undefined;

  before(async () => {
    stack = await startWebStack();
  });

  after(async () => {
    await balancer?.close();
    await stack?.stop();
  });

  test('a reload mid-chat lands back in the same chat, which goes on both ways', async () => {
    const [a, b] = await pairUp(stack, 'reload');
    await say(a, 'before the reload');
    await seesPartner(b, 'before the reload');
    const frames: string[] = [];
    b.on('websocket', (socket) => socket.on('framesent', (frame) => frames.push(String(frame.payload))));

    await b.reload();
    await b.locator('#messages .system', { hasText: "You're back in your chat" }).waitFor();
    await b.locator('#status', { hasText: 'Chatting with a stranger' }).waitFor();
    await say(a, 'after the reload');
    await seesPartner(b, 'after the reload');
    await say(b, 'I reloaded');
    await seesPartner(a, 'I reloaded');
    await ownAcked(b, 'I reloaded');
    assert.equal(await a.locator('#messages .system', { hasText: /Stranger (left|moved on|lost)|chat was ended/ }).count(), 0);
    // Chat-scoped frames name the chat (through the SDK).
    const message = frames.map((raw) => JSON.parse(raw) as Record<string, unknown>).find((frame) => frame.type === 'message');
    assert.match(String(message?.chat), /.+/);
    await a.context().close();
    await b.context().close();
  });

  test('a duplicated session: the newer tab gets the chat, the older one says so and stays down', async () => {
    const [a, b] = await pairUp(stack, 'twotabs');
    const saved = await b.evaluate(() => sessionStorage.getItem('strangers.session'));
    assert.ok(saved);
    // The same sessionStorage in a second tab, as "duplicate tab" gives.
    const twin = await b.context().newPage();
    await twin.addInitScript((value) => sessionStorage.setItem('strangers.session', value), saved);
    await twin.goto(stack.url(0));
    await twin.locator('#status', { hasText: 'Chatting with a stranger' }).waitFor();
    await b.locator('#banner', { hasText: 'continued in another tab' }).waitFor();
    await say(a, 'to the newer tab');
    await seesPartner(twin, 'to the newer tab');
    assert.equal(await b.locator('#message').isEnabled(), false);
    await a.context().close();
    await b.context().close();
  });

  test('while the tab is hidden, a stranger arriving or writing flashes the title until the tab is seen', async () => {
    const a = await stack.open(stack.url(0));
    const b = await stack.open(stack.url(1));
    const title = await a.title();
    await start(a, { interests: 'attention' });
    await hideTab(a, true);
    await start(b, { interests: 'attention' });
    await a.waitForFunction(() => document.title.includes('A stranger is here'));
    await hideTab(a, false);
    await a.waitForFunction((original) => document.title === original, title);
    await hideTab(a, true);
    await say(b, 'are you there?');
    await a.waitForFunction(() => document.title.includes('New message'));
    await hideTab(a, false);
    await a.waitForFunction((original) => document.title === original, title);
    await a.context().close();
    await b.context().close();
  });

  test('notifications are opt-in: none by default, one per event once allowed', async () => {
    const open = async (): Promise<Page> => {
      const page = await stack.open(stack.url(0));
      await page.context().grantPermissions(['notifications']);
      // Records what the page shows through the browser's own Notification.
      await page.evaluate(`(() => {
        const shown = [];
        window.shown = shown;
        const Original = window.Notification;
        window.Notification = class extends Original {
          constructor(title, options) {
            shown.push(options?.body ?? '');
            super(title, options);
          }
        };
      })()`);
      return page;
    };
    const quiet = await open();
    const keen = await open();
    assert.equal(await keen.isChecked('#notify'), false);
    assert.equal(await keen.isChecked('#sound'), false);
    await keen.check('#notify');
    await keen.check('#sound');
    await start(quiet, { interests: 'notify' });
    await hideTab(quiet, true);
    await hideTab(keen, true);
    await start(keen, { interests: 'notify' });
    await keen.waitForFunction(() => (window as unknown as { shown: string[] }).shown.length === 1);
    await quiet.waitForFunction(() => document.title.includes('A stranger is here'));
    assert.deepEqual(await quiet.evaluate(() => (window as unknown as { shown: string[] }).shown), []);
    assert.deepEqual(await keen.evaluate(() => (window as unknown as { shown: string[] }).shown), ['A stranger is here']);
    // The choice is remembered.
    await keen.reload();
    assert.equal(await keen.isChecked('#notify'), true);
    await quiet.context().close();
    await keen.context().close();
  });

  test('a lost connection shows a banner until the chat is back', async () => {
    balancer = await startBalancer([stack.gateways[1]!.port, stack.gateways[0]!.port]);
    const f = await stack.open(stack.url(0));
    const g = await stack.open(`http://127.0.0.1:${balancer.port}/`);
    await start(f, { interests: 'banner' });
    await start(g, { interests: 'banner' });
    await g.locator('#status', { hasText: 'You both like: banner' }).waitFor();
    assert.equal(await g.locator('#banner').isVisible(), false);
    await stack.gateways[1]!.stop('SIGKILL');
    await g.locator('#banner', { hasText: 'Reconnecting' }).waitFor();
    await g.locator('#banner').waitFor({ state: 'hidden', timeout: 20_000 });
    await say(f, 'still here');
    await seesPartner(g, 'still here');
    await f.context().close();
    await g.context().close();
  });
});
