import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProofOfWork } from '@strangers/safety';
import { solveProofNode } from '@strangers/safety/solver/node';
import { startTestRedis, type TestRedisHandle } from '@strangers/testkit';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildWeb } from '../scripts/build.ts';
import { ScriptedWeb, type ScriptedSocket } from './scripted-web.ts';
import { agreeToTerms, CHROMIUM_PATH, chromiumMissing, confirmNext } from './web-stack.ts';

// The page's side of issues 18, 19 and 20 in headless Chromium, against a scripted /ws (the
// frames are sent by hand, so each case is exact): the terms click-through and language,
// the Next confirmation, Reconnect, the ban statement, and the proof of work solved in a
// Web Worker (made and verified by the real ProofOfWork on a real Redis).

describe('matching preferences, bans and proof of work in Chromium', { skip: chromiumMissing, timeout: 180_000 }, () => {
  let webDir: string;
  let web: ScriptedWeb;
  let browser: Browser;
  let redis: TestRedisHandle;
  let pow: ProofOfWork;
  const pageErrors: Error[] = [];

  before(async () => {
    webDir = await buildWeb({ outDir: mkdtempSync(join(tmpdir(), 'strangers-web-')), fromSource: true });
    web = await ScriptedWeb.start(webDir);
    redis = await startTestRedis();
    pow = new ProofOfWork({ hmacKey: 'web-test-hmac-key-0123456', expiresMs: 120_000, redis: redis.client() });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  after(async () => {
    await browser?.close();
    await web?.stop();
    await redis?.stop();
    rmSync(webDir, { recursive: true, force: true });
    assert.deepEqual(pageErrors.map((e) => e.message), []);
  });

  /** A page connected to the scripted /ws, welcomed (with `welcome` fields added). */
  async function open(welcome: Record<string, unknown> = {}, locale = 'en-US'): Promise<{ page: Page; ws: ScriptedSocket }> {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    const connected = web.socket();
    await page.goto(web.url);
    const ws = await connected;
    ws.send({ type: 'welcome', session: 's', resumeToken: 't', online: 3, ...welcome });
    await page.locator('#start-button:enabled').waitFor();
    return { page, ws };
  }

  async function paired(page: Page, ws: ScriptedSocket, chat: string): Promise<void> {
    await agreeToTerms(page);
    await page.click('#start-button');
    await ws.nextFrame('join');
    ws.send({ type: 'waiting', online: 3 });
    ws.send({ type: 'paired', chat, interests: [] });
    await page.locator('#status', { hasText: 'Chatting with a stranger' }).waitFor();
  }

  test('the terms click-through is required; age and language (the browser\'s by default) go in the join', async () => {
    const { page, ws } = await open({}, 'de-DE');
    assert.equal(await page.inputValue('#lang'), 'de');
    await page.click('#start-button');
    // Nothing agreed yet: the browser keeps the form from submitting.
    assert.equal(await page.locator('#agree:invalid').count(), 1);
    await page.check('#age-minor');
    await page.check('#agree');
    await page.click('#start-button');
    const join = await ws.nextFrame('join');
    assert.deepEqual({ lang: join.lang, adult: join.adult }, { lang: ['de'], adult: false });
    assert.equal(ws.received.filter((frame) => frame.type === 'join').length, 1, 'the refused click sent nothing');
    await page.context().close();

    // "Any language" sends none; terms.json changes the text and can make the service adults-only.
    web.files.set('/terms.json', { status: 200, body: JSON.stringify({ text: 'Adults only. Be decent.', termsUrl: 'https://example.org/terms', allowMinors: false }) });
    try {
      const second = await open();
      await second.page.locator('#terms-text', { hasText: 'Adults only. Be decent.' }).waitFor();
      assert.equal(await second.page.locator('#age-minor').isVisible(), false);
      assert.equal(await second.page.getAttribute('#terms-link-a', 'href'), 'https://example.org/terms');
      await second.page.selectOption('#lang', 'any');
      await second.page.check('#agree');
      await second.page.click('#start-button');
      const adultsOnly = await second.ws.nextFrame('join');
      assert.deepEqual({ lang: adultsOnly.lang, adult: adultsOnly.adult }, { lang: undefined, adult: true });
      await second.page.context().close();
    } finally {
      web.files.delete('/terms.json');
    }
  });

  test('Next needs a confirmation: Escape twice, or the button then "Really?"; an IME\'s Escape is not one', async () => {
    const { page, ws } = await open();
    await paired(page, ws, 'c-next');
    await page.locator('#message').focus();
    // An Escape that ends an IME composition does not count.
    await page.evaluate(`document.getElementById('message').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', isComposing: true, bubbles: true }))`);
    assert.equal(await page.textContent('#next-label'), 'Next');
    // Nor does one while the box says an IME is composing (between compositionstart and -end).
    await page.evaluate(`document.getElementById('message').dispatchEvent(new CompositionEvent('compositionstart'))`);
    await page.keyboard.press('Escape');
    assert.equal(await page.textContent('#next-label'), 'Next');
    await page.evaluate(`document.getElementById('message').dispatchEvent(new CompositionEvent('compositionend'))`);
    await page.keyboard.press('Escape');
    await page.locator('#next-label', { hasText: 'Really?' }).waitFor();
    // Unconfirmed, it falls back after 3 s and nothing was sent.
    await page.locator('#next-label', { hasText: /^Next$/ }).waitFor({ timeout: 6000 });
    assert.equal(ws.received.filter((frame) => frame.type === 'next').length, 0);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    assert.deepEqual(await ws.nextFrame('next'), { type: 'next', chat: 'c-next' });

    ws.send({ type: 'paired', chat: 'c-next-2', interests: [] });
    await page.locator('#messages .system', { hasText: 'Say hi' }).waitFor();
    await confirmNext(page);
    assert.deepEqual(await ws.nextFrame('next'), { type: 'next', chat: 'c-next-2' });
    assert.equal(ws.received.filter((frame) => frame.type === 'next').length, 2);
    await page.context().close();
  });

  test('Reconnect: offered after the stranger moved on, shows their offer, sends rematch, and the rematched chat says so', async () => {
    const { page, ws } = await open();
    await paired(page, ws, 'c-old');
    ws.send({ type: 'partner_left', reason: 'next' });
    await page.locator('#reconnect:visible').waitFor();
    ws.send({ type: 'rematch_offer', chat: 'c-old' });
    await page.locator('#messages .system', { hasText: 'The stranger wants to reconnect.' }).waitFor();
    await page.click('#reconnect');
    assert.deepEqual(await ws.nextFrame('rematch'), { type: 'rematch', chat: 'c-old' });
    await page.locator('#reconnect:disabled', { hasText: 'Asked to reconnect' }).waitFor();
    ws.send({ type: 'paired', chat: 'c-again', interests: [], rematch: true });
    await page.locator('#messages .system', { hasText: "You're back with the same stranger." }).waitFor();
    assert.equal(await page.locator('#reconnect').isVisible(), false);
    // After our own (confirmed) Next the chat we left can be asked back too.
    await confirmNext(page);
    await ws.nextFrame('next');
    await page.click('#reconnect');
    assert.deepEqual(await ws.nextFrame('rematch'), { type: 'rematch', chat: 'c-again' });
    // Not after a report.
    ws.send({ type: 'paired', chat: 'c-3', interests: [] });
    await page.locator('#reconnect').waitFor({ state: 'hidden' });
    ws.send({ type: 'partner_left', reason: 'reported' });
    await page.locator('#messages .system', { hasText: 'The chat was ended.' }).waitFor();
    assert.equal(await page.locator('#reconnect').isVisible(), false);
    await page.context().close();
  });

  test('during a chat the online count is refreshed from GET /online (every 15 s while visible)', async () => {
    web.files.set('/online', { status: 200, body: JSON.stringify({ online: 42 }) });
    try {
      const { page, ws } = await open();
      await page.locator('#online', { hasText: '3 people online' }).waitFor();
      await paired(page, ws, 'c-online');
      await page.locator('#online', { hasText: '42 people online' }).waitFor({ timeout: 25_000 });
      await page.context().close();
    } finally {
      web.files.delete('/online');
    }
  });

  test('a ban shows its statement and appeal link, and the page does not reconnect', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    const connected = web.socket();
    await page.goto(web.url);
    const ws = await connected;
    const until = Date.UTC(2027, 0, 2, 12, 0);
    ws.send({ type: 'banned', ban: 'b-1', reason: 'spam', until, appeal: 'https://mod.example.org/appeal/b-1' });
    ws.socket.close(4003, 'banned');
    await page.locator('#banned-screen:visible').waitFor();
    assert.equal(await page.textContent('#banned-reason'), 'spam');
    assert.match((await page.textContent('#banned-until')) ?? '', /^The ban ends on .*2027/);
    assert.equal(await page.getAttribute('#banned-appeal-link', 'href'), 'https://mod.example.org/appeal/b-1');
    assert.equal(await page.locator('#start-screen').isVisible(), false);
    // No reconnect: neither the SDK's resume nor the page's first-connection retry (3 s).
    await assert.rejects(web.socket(5000), /no page connected/);
    await context.close();
  });

  test('a permanent ban without an appeal link says so; a non-http appeal link is not made a link', async () => {
    const page = await (await browser.newContext()).newPage();
    const connected = web.socket();
    await page.goto(web.url);
    const ws = await connected;
    ws.send({ type: 'banned', ban: 'b-2', reason: 'harassment', appeal: 'javascript:alert(1)' });
    ws.socket.close(4003, 'banned');
    await page.locator('#banned-screen:visible').waitFor();
    assert.equal(await page.textContent('#banned-until'), 'The ban is permanent.');
    assert.equal(await page.locator('#banned-appeal').isVisible(), false);
    await page.context().close();
  });

  test('a hard proof of work is solved in a Web Worker with progress, the page stays responsive, and join carries the proof', async () => {
    // The secret counter is random in [1, 400 000]: take a challenge whose solve is long for
    // sure (found by solving it here first, with Node's fast hashing; that uses nothing up).
    let challenge = await pow.createChallenge(400_000);
    while (JSON.parse(Buffer.from(await solveProofNode(challenge), 'base64').toString()).solution.counter < 150_000) {
      challenge = await pow.createChallenge(400_000);
    }
    const { page, ws } = await open({ challenge });
    await page.locator('#proof:visible').waitFor({ timeout: 5000 });
    await page.waitForFunction(`document.getElementById('proof-bar').value > 0`);
    // The page's own thread keeps running while the worker hashes: animation frames keep coming.
    const frames = Number(await page.evaluate(`new Promise((done) => { let n = 0; const t0 = performance.now(); const tick = () => { n++; if (performance.now() - t0 < 500) requestAnimationFrame(tick); else done(n); }; requestAnimationFrame(tick); })`));
    assert.ok(frames >= 10, `only ${frames} animation frames in 500 ms while solving`);
    await page.fill('#interests', 'still typing');
    assert.equal(await page.inputValue('#interests'), 'still typing');
    await agreeToTerms(page);
    await page.click('#start-button');
    const join = await ws.nextFrame('join', 90_000);
    assert.deepEqual(await pow.verify(join.proof as string), { ok: true, difficulty: 400_000 });
    await page.locator('#proof').waitFor({ state: 'hidden' });
    await page.context().close();
  });
});
