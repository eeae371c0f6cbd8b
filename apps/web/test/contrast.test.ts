import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { auditContrast, placeholderFits } from './contrast.ts';
import { chromiumMissing, say, seesPartner, start, startWebStack, type WebStack } from './web-stack.ts';

// Contrast (WCAG AA in light and dark mode) and small touch screens, in headless Chromium
// against real processes.

const schemes = ['light', 'dark'] as const;

/** Audits the page in both colour schemes; returns the failures, labelled by state and scheme. */
async function audit(page: Page, state: string): Promise<string[]> {
  const failures: string[] = [];
  for (const colorScheme of schemes) {
    await page.emulateMedia({ colorScheme });
    const result = await auditContrast(page);
    assert.ok(result.checked > 3, `${state}/${colorScheme}: only ${result.checked} elements checked`);
    for (const f of result.failures) failures.push(`${state}/${colorScheme}: ${f.kind} ${f.what} ${f.ratio}:1 < ${f.needed}:1`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return failures;
}

async function phone(stack: WebStack, width = 320): Promise<Page> {
  const context = await stack.browser.newContext({ viewport: { width, height: 640 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(stack.url(0));
  await page.locator('#start-button:enabled').waitFor();
  return page;
}

describe('contrast and phones in Chromium', { skip: chromiumMissing, timeout: 180_000 }, () => {
  let stack: WebStack;

  before(async () => {
    stack = await startWebStack();
  });

  after(async () => {
    await stack?.stop();
  });

  test('every visible text, placeholder and control meets WCAG AA in light and dark mode, in every state', async () => {
    const a = await stack.open(stack.url(0));
    const b = await stack.open(stack.url(1));
    const failures: string[] = [];
    failures.push(...(await audit(a, 'start')));

    await start(a, { interests: 'contrast', requeue: false });
    failures.push(...(await audit(a, 'looking')));
    await start(b, { interests: 'contrast' });
    await a.locator('#status', { hasText: 'You both like' }).waitFor();
    await say(a, 'my own message');
    await say(b, 'a message from the stranger');
    await seesPartner(a, 'a message from the stranger');
    await b.locator('#message').pressSequentially('typ');
    await a.locator('#typing').waitFor({ state: 'visible' });
    failures.push(...(await audit(a, 'chat')));

    await a.click('#report');
    await a.locator('#report-dialog[open]').waitFor();
    failures.push(...(await audit(a, 'report-dialog')));
    await a.keyboard.press('Escape');

    // The connection banner, as it shows while reconnecting.
    await a.evaluate(`(() => { const el = document.getElementById('banner'); el.textContent = 'Connection lost. Reconnecting…'; el.hidden = false; })()`);
    failures.push(...(await audit(a, 'banner')));
    await a.evaluate(`document.getElementById('banner').hidden = true`);

    // Next armed ("Really?"), and the proof-of-work progress as it shows during a long solve.
    await a.click('#next');
    await a.locator('#next-label', { hasText: 'Really?' }).waitFor();
    await a.evaluate(`(() => { document.getElementById('proof').hidden = false; document.getElementById('proof-bar').value = 40; })()`);
    failures.push(...(await audit(a, 'next-armed-and-proof')));
    await a.evaluate(`document.getElementById('proof').hidden = true`);

    await b.click('#leave');
    await a.locator('#new-chat').waitFor({ state: 'visible' });
    await a.locator('#reconnect').waitFor({ state: 'visible' });
    failures.push(...(await audit(a, 'stranger-left')));

    // The ban statement, with its appeal link.
    await a.evaluate(`(() => {
      document.getElementById('chat-screen').hidden = true;
      document.getElementById('banned-reason').textContent = 'spam';
      document.getElementById('banned-until').textContent = 'The ban is permanent.';
      document.getElementById('banned-appeal-link').href = 'https://example.org/appeal';
      document.getElementById('banned-appeal').hidden = false;
      document.getElementById('banned-screen').hidden = false;
    })()`);
    failures.push(...(await audit(a, 'banned')));
    assert.deepEqual(failures, []);
    await a.context().close();
    await b.context().close();
  });

  test('on a touch phone Enter is a new line and the Send button sends; the placeholder fits at 320 px', async () => {
    const p = await phone(stack);
    assert.equal(await p.evaluate(`matchMedia('(pointer: coarse)').matches`), true);
    const other = await stack.open(stack.url(1));
    await start(p, { interests: 'phone' });
    await start(other, { interests: 'phone' });
    await p.locator('#status', { hasText: 'You both like' }).waitFor();
    assert.deepEqual(await placeholderFits(p), { placeholder: 'Message', fits: true });

    await p.locator('#message').pressSequentially('line one');
    await p.press('#message', 'Enter');
    await p.locator('#message').pressSequentially('line two');
    assert.equal(await p.inputValue('#message'), 'line one\nline two');
    assert.equal(await p.locator('#messages .bubble.own').count(), 0);
    await p.locator('#send').tap();
    await seesPartner(other, 'line one\nline two');
    await p.context().close();
    await other.context().close();
  });

  test('on a desktop Enter sends and Shift+Enter is a new line, never mid-composition; at 320 px the placeholder fits', async () => {
    const narrow = await stack.open(stack.url(0), { width: 320, height: 640 });
    const wide = await stack.open(stack.url(1));
    assert.equal(await narrow.evaluate(`matchMedia('(pointer: coarse)').matches`), false);
    await start(narrow, { interests: 'desk' });
    await start(wide, { interests: 'desk' });
    await narrow.locator('#status', { hasText: 'You both like' }).waitFor();
    await wide.locator('#status', { hasText: 'You both like' }).waitFor();
    assert.equal((await placeholderFits(narrow)).fits, true);
    assert.deepEqual(await placeholderFits(wide), { placeholder: 'Type a message, Enter to send', fits: true });

    await wide.locator('#message').pressSequentially('first');
    await wide.keyboard.press('Shift+Enter');
    await wide.locator('#message').pressSequentially('second');
    // An IME composing: its Enter confirms the composition, it must not send.
    await wide.evaluate(`document.getElementById('message').dispatchEvent(new CompositionEvent('compositionstart'))`);
    await wide.press('#message', 'Enter');
    assert.equal(await wide.locator('#messages .bubble.own').count(), 0);
    await wide.evaluate(`document.getElementById('message').dispatchEvent(new CompositionEvent('compositionend'))`);
    await wide.evaluate(`document.getElementById('message').value = document.getElementById('message').value.replace(/\\n$/, '')`);
    await wide.press('#message', 'Enter');
    await seesPartner(narrow, 'first\nsecond');
    await narrow.context().close();
    await wide.context().close();
  });
});
