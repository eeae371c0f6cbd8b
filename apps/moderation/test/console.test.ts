import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildConsole } from '../scripts/build-console.ts';
import { seedReport, startModerationStack, TOKENS, type ModerationStack } from './service.ts';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumMissing = existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH}`;

describe('moderation console in Chromium', { skip: chromiumMissing, timeout: 180_000 }, () => {
  let stack: ModerationStack;
  let browser: Browser;
  let consoleDir: string;
  const pageErrors: Error[] = [];

  before(async () => {
    consoleDir = await buildConsole(mkdtempSync(join(tmpdir(), 'strangers-console-')));
    stack = await startModerationStack({ CONSOLE_DIR: consoleDir });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await stack?.stop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
    assert.deepEqual(pageErrors.map((e) => e.message), []);
  });

  async function open(): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${stack.url}/`);
    return page;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    // Keyboard only: the token field has focus, Enter submits.
    await page.locator('#token:focus').waitFor();
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
  }

  test('a wrong token is refused with a message', async () => {
    const page = await open();
    await signIn(page, 'wrong-token-wrong-token');
    await page.locator('#login-error', { hasText: 'not valid' }).waitFor();
    assert.equal(await page.locator('#app').isHidden(), true);
    await page.context().close();
  });

  test('open a report, ban, see it in bans and the audit log, lift it', async () => {
    const reportId = await seedReport(stack.store, { category: 'harassment', reason: 'threatened me' });
    const page = await open();
    await signIn(page, TOKENS.alice);
    await page.locator('#who', { hasText: 'Signed in as alice' }).waitFor();

    // The queue shows the report; open it by its accessible name.
    await page.locator('#filter-category').selectOption('harassment');
    await page.getByRole('button', { name: 'Show' }).first().click();
    const openLink = page.locator(`a[href="#report/${reportId}"]`);
    await openLink.waitFor();
    await openLink.click();
    await page.locator('#report-title', { hasText: 'harassment' }).waitFor();
    const evidence = await page.locator('#evidence li .text').allTextContents();
    assert.deepEqual(evidence, ['hello there', 'SECRET-EVIDENCE go away <b>now</b>', 'that was rude']);
    assert.equal(await page.locator('#evidence b').count(), 0, 'evidence is shown as text');
    assert.deepEqual(await page.locator('#evidence li .who').evaluateAll((items) => items.map((item) => item.textContent!.split(' · ')[0])), ['Reporter', 'Reported user', 'Reporter']);

    // Ban for 7 days on a ground from the list, with a reason; every control has a label.
    await page.getByLabel('Ban the reported address').check();
    await page.getByLabel('Duration').selectOption({ label: '7 days' });
    await page.getByLabel('Ground', { exact: true }).selectOption('harassment');
    await page.getByLabel(/^Reason/).fill('threats in chat');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#status', { hasText: /ban [0-9a-z]{25} is in force/ }).waitFor();
    const banId = /ban ([0-9a-z]{25})/.exec((await page.locator('#status').textContent())!)![1]!;
    await page.locator('#report-decided', { hasText: 'ban by alice' }).waitFor();
    assert.equal(await page.locator('#action-form').isHidden(), true);

    await page.getByRole('link', { name: 'Bans' }).click();
    const row = page.locator(`#ban-rows tr[data-ban="${banId}"]`);
    await row.waitFor();
    assert.match((await row.textContent())!, /Harassment or bullying/);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('#audit-rows tr', { hasText: reportId }).waitFor();
    assert.match((await page.locator('#audit-rows tr').first().textContent())!, /alice.*ban.*harassment.*threats in chat/);

    await page.getByRole('link', { name: 'Bans' }).click();
    await page.getByRole('button', { name: `Lift ban ${banId}` }).click();
    await page.locator('#status', { hasText: `Ban ${banId} lifted.` }).waitFor();
    await row.waitFor({ state: 'detached' });
    const bans = await (await fetch(`${stack.url}/api/bans`, { headers: { authorization: `Bearer ${TOKENS.alice}` } })).json() as { bans: { id: string }[] };
    assert.ok(!bans.bans.some((b) => b.id === banId));

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('#audit-rows tr', { hasText: 'lift' }).first().waitFor();
    assert.match((await page.locator('#audit-rows tr').first().textContent())!, new RegExp(`alice.*lift.*${banId}`));
    await page.context().close();
  });

  test('an appeal made through the link is decided in the console', async () => {
    const reportId = await seedReport(stack.store);
    const page = await open();
    await signIn(page, TOKENS.bob);
    await page.locator(`a[href="#report/${reportId}"]`).click();
    await page.getByLabel('Shadow-ban').check();
    await page.getByLabel('Duration').selectOption({ label: 'Permanent' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#status', { hasText: 'shadow ban' }).waitFor();
    const banId = /ban ([0-9a-z]{25})/.exec((await page.locator('#status').textContent())!)![1]!;

    // The banned user's side: the public form, no login.
    const user = await (await browser.newContext()).newPage();
    user.on('pageerror', (error) => pageErrors.push(error));
    await user.goto(`${stack.url}/appeal/${banId}`);
    await user.getByLabel(/Your appeal/).fill('I did nothing wrong');
    await user.getByRole('button', { name: 'Send appeal' }).click();
    await user.locator('h1', { hasText: 'Appeal received' }).waitFor();

    await page.getByRole('link', { name: 'Appeals' }).click();
    const card = page.locator('#appeal-list li', { hasText: banId });
    await card.waitFor();
    assert.match((await card.textContent())!, /I did nothing wrong/);
    await card.getByLabel(/^Why/).fill('benefit of the doubt');
    await card.getByRole('button', { name: 'Lift the ban' }).click();
    await page.locator('#status', { hasText: `ban ${banId} lifted` }).waitFor();
    await card.waitFor({ state: 'detached' });
    await page.context().close();
    await user.context().close();
  });
});
