import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  startGateway,
  startMatcher,
  startTestRedis,
  TestClient,
  type TestRedisHandle,
  type ServiceHandle,
} from '@strangers/testkit';
import { buildWeb } from '../scripts/build.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM_PATH)
  ? false
  : `no Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`;

/** A private Redis (one server, or a cluster with TEST_REDIS=cluster), the matcher and two gateways serving a freshly built web client. */
export interface WebStack {
  redis: TestRedisHandle;
  matcher: ServiceHandle;
  gateways: ServiceHandle[];
  browser: Browser;
  /** `http://127.0.0.1:<port>/` of gateway `index`. */
  url(index: number): string;
  /** Opens the page in its own browser context (own storage, like another person). */
  open(url: string, viewport?: { width: number; height: number }, options?: OpenOptions): Promise<Page>;
  /** True when the gateways implement PROTOCOL.md "Resume" (an unknown token gets resume_failed). */
  supportsResume(): Promise<boolean>;
  stop(): Promise<void>;
}

export interface OpenOptions {
  /** Runs in the page before its own scripts (e.g. to keep a reference to each RTCPeerConnection). */
  initScript?: () => void;
}

export interface WebStackOptions {
  /** More Chromium flags, e.g. fake camera and microphone for the call tests. */
  browserArgs?: string[];
}

export async function startWebStack(gatewayEnv: Record<string, string> = {}, options: WebStackOptions = {}): Promise<WebStack> {
  const webDir = await buildWeb({ outDir: mkdtempSync(join(tmpdir(), 'strangers-web-')), fromSource: true });
  const redis = await startTestRedis();
  const matcher = await startMatcher(redis.url);
  const gateways = await Promise.all(
    [0, 1].map((i) => startGateway(redis.url, { GATEWAY_ID: `web-gw-${i}`, WEB_DIR: webDir, ...gatewayEnv })),
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...(options.browserArgs ?? [])],
  });
  const pageErrors: Error[] = [];
  return {
    redis,
    matcher,
    gateways,
    browser,
    url: (index) => `http://127.0.0.1:${gateways[index]!.port}/`,
    async open(url, viewport = { width: 1024, height: 720 }, openOptions = {}) {
      const context = await browser.newContext({ viewport });
      if (openOptions.initScript) await context.addInitScript(openOptions.initScript);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error));
      page.on('dialog', (dialog) => {
        pageErrors.push(new Error(`unexpected ${dialog.type()} dialog: ${dialog.message()}`));
        void dialog.dismiss();
      });
      await page.goto(url);
      // The start button is enabled once the client has its `welcome`.
      await page.locator('#start-button:enabled').waitFor();
      return page;
    },
    async supportsResume() {
      const probe = await TestClient.connect(`ws://127.0.0.1:${gateways[0]!.port}/ws?resume=no-such-token&last=0`);
      try {
        const first = await probe.next(undefined, 5000);
        return first.type === 'error' && first.code === 'resume_failed';
      } finally {
        probe.terminate();
      }
    },
    async stop() {
      await browser.close().catch(() => {});
      await Promise.all([...gateways, matcher].map((service) => service.stop('SIGKILL')));
      await redis.stop();
      rmSync(webDir, { recursive: true, force: true });
      if (pageErrors.length > 0) throw new AggregateError(pageErrors, `errors in the page: ${pageErrors.map((e) => e.message).join('; ')}`);
    },
  };
}

/** Fills the start form and starts; resolves once the page is searching (or already paired). */
export async function start(page: Page, { interests = '', requeue = true }: { interests?: string; requeue?: boolean } = {}): Promise<void> {
  await page.fill('#interests', interests);
  if (!requeue) await page.uncheck('#requeue');
  await agreeToTerms(page);
  await page.click('#start-button');
  // The partner may already be waiting: then "looking" is replaced by "chatting" at once.
  await page.locator('#status', { hasText: /Looking for someone|Chatting with a stranger/ }).waitFor();
}

/** The start screen's click-through: 18 or older, and "I agree". */
export async function agreeToTerms(page: Page): Promise<void> {
  await page.check('#age-adult');
  await page.check('#agree');
}

/** Next with its confirmation: the button, then "Really?". */
export async function confirmNext(page: Page): Promise<void> {
  await page.click('#next');
  await page.locator('#next', { hasText: 'Really?' }).waitFor();
  await page.click('#next');
}

/** Types a message the way a person does and sends it with Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.locator('#message').pressSequentially(text.slice(0, 3));
  await page.locator('#message').fill(text);
  await page.press('#message', 'Enter');
}

/** Waits until a partner bubble with exactly `text` is shown. */
export async function seesPartner(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.locator('#messages .bubble.partner .text', { hasText: text }).first().waitFor({ timeout });
}

/** Waits until an own bubble with `text` is acknowledged by the server. */
export async function ownAcked(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.locator('#messages .bubble.own:not(.pending):not(.failed) .text', { hasText: text }).first().waitFor({ timeout });
}
