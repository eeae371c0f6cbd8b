// @topologies single cluster
/**
 * The console end to end on a real stack: a real client reports its partner through a real
 * gateway (the matcher pairs them), a moderator opens that report in Chromium and bans, and
 * the banned client is cut, then refused on reconnect and on resume (`banned`, close 4003).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import {
  startGateway,
  startMatcher,
  startModeration,
  startTestRedis,
  TestClient,
  type Frame,
  type ServiceHandle,
  type TestRedisHandle,
} from '@strangers/testkit';
import { buildConsole } from '../scripts/build-console.ts';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumMissing = existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH}`;
const TOKEN = 'carol-token-0123456789';
const REPORTER = '198.51.100.7';
const REPORTED = '198.51.100.8';

describe('console end to end: a real report, a ban, the banned client refused', { skip: chromiumMissing, timeout: 180_000 }, () => {
  let redis: TestRedisHandle;
  let services: ServiceHandle[] = [];
  let gatewayPort = 0;
  let consoleUrl = '';
  let browser: Browser;
  let consoleDir: string;
  const pageErrors: Error[] = [];

  before(async () => {
    consoleDir = await buildConsole(mkdtempSync(join(tmpdir(), 'strangers-console-')));
    redis = await startTestRedis();
    const [matcher, gateway, moderation] = await Promise.all([
      startMatcher(redis.url),
      // Clients come with distinct addresses through X-Forwarded-For from loopback.
      startGateway(redis.url, { GATEWAY_ID: 'gw-e2e', TRUST_PROXY: 'loopback' }),
      startModeration(redis.url, { MODERATOR_TOKENS: `carol:${TOKEN}`, PUBLIC_URL: 'https://moderation.example.org', CONSOLE_DIR: consoleDir }),
    ]);
    services = [matcher!, gateway!, moderation!];
    gatewayPort = gateway!.port;
    consoleUrl = `http://127.0.0.1:${moderation!.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await Promise.all(services.map((service) => service.stop('SIGKILL')));
    await redis?.stop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
    assert.deepEqual(pageErrors.map((e) => e.message), []);
  });

  const connect = (address: string, query = '') => TestClient.connect(`ws://127.0.0.1:${gatewayPort}/ws${query}`, { 'x-forwarded-for': address });

  async function expectBanned(client: TestClient, banId: string): Promise<void> {
    const statement = await client.next('banned', 10_000);
    assert.equal(statement.ban, banId);
    assert.equal(statement.reason, 'Harassment or bullying: threats in chat');
    assert.equal(statement.appeal, `https://moderation.example.org/appeal/${banId}`);
    assert.equal(typeof statement.until, 'number');
    assert.equal((await client.waitClosed(10_000)).code, 4003);
  }

  test('a moderator opens a real client report, bans, and the banned client is refused on reconnect', async () => {
    const reporter = await connect(REPORTER);
    await reporter.next('welcome');
    const reported = await connect(REPORTED);
    const welcome: Frame = await reported.next('welcome');
    reporter.send({ type: 'join' });
    await reporter.next('waiting');
    reported.send({ type: 'join' });
    await Promise.all([reporter.next('paired', 10_000), reported.next('paired', 10_000)]);
    const lines: [TestClient, TestClient, string][] = [
      [reporter, reported, 'hi'],
      [reported, reporter, 'I know where you live'],
      [reporter, reported, 'stop it'],
    ];
    for (const [from, to, text] of lines) {
      from.send({ type: 'message', text });
      await from.next('ack');
      assert.equal((await to.next('message')).text, text);
    }
    reporter.send({ type: 'report', category: 'harassment', reason: 'threatened me' });
    await reporter.next('waiting');
    assert.equal((await reported.next('partner_left')).reason, 'reported');

    // The moderator's side, in Chromium.
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${consoleUrl}/`);
    await page.locator('#token:focus').waitFor();
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#who', { hasText: 'Signed in as carol' }).waitFor();
    // The gateway records the report a moment after the chat ends: refresh the queue until it shows.
    const openLink = page.locator('a[href^="#report/"]').first();
    for (let attempt = 0; !(await openLink.isVisible()); attempt++) {
      assert.ok(attempt < 50, 'the report reaches the queue');
      await page.getByRole('button', { name: 'Show' }).first().click();
      await openLink.waitFor({ timeout: 200 }).catch(() => {});
    }
    await openLink.click();
    await page.locator('#report-title', { hasText: 'harassment' }).waitFor();
    assert.deepEqual(await page.locator('#evidence li .text').allTextContents(), lines.map(([, , text]) => text));
    assert.deepEqual(await page.locator('#evidence li .who').evaluateAll((items) => items.map((item) => item.textContent!.split(' · ')[0])), ['Reporter', 'Reported user', 'Reporter']);

    await page.getByLabel('Ban the reported address').check();
    await page.getByLabel('Duration').selectOption({ label: '7 days' });
    await page.getByLabel('Ground', { exact: true }).selectOption('harassment');
    await page.getByLabel(/^Reason/).fill('threats in chat');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#status', { hasText: /ban [0-9a-z]{25} is in force/ }).waitFor();
    const banId = /ban ([0-9a-z]{25})/.exec((await page.locator('#status').textContent())!)![1]!;
    await page.context().close();

    // The banned client, requeued after the report, is cut at once…
    await expectBanned(reported, banId);
    // …and refused when it reconnects, fresh or resuming.
    await expectBanned(await connect(REPORTED), banId);
    await expectBanned(await connect(REPORTED, `?resume=${String(welcome.resumeToken)}&last=0`), banId);
    // The reporter's address is not banned.
    const again = await connect(REPORTER);
    await again.next('welcome');
    for (const client of [reporter, again]) client.close();
  });
});
