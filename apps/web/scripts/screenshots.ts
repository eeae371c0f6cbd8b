import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startBalancer } from '../test/tcp-balancer.ts';
import { agreeToTerms, chromiumMissing, say, seesPartner, start, startWebStack } from '../test/web-stack.ts';

// Screenshots of the main states at desktop and phone width, from a real local stack:
// `npm run screenshots -w @strangers/web` (needs /usr/bin/chromium).

const outDir = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const viewports = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

if (chromiumMissing) {
  console.error(chromiumMissing);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
// Fake camera and microphone (Chromium's test pattern) for the video call.
const stack = await startWebStack({}, { browserArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });

async function shot(page: Page, name: string, size: keyof typeof viewports): Promise<void> {
  // Let the caret blink and transitions not matter: screenshots compare across runs.
  await page.screenshot({ path: `${outDir}${name}-${size}.png`, caret: 'hide', animations: 'disabled' });
  console.log(`docs/screenshots/${name}-${size}.png`);
}

try {
  for (const [size, viewport] of Object.entries(viewports) as [keyof typeof viewports, { width: number; height: number }][]) {
    const balancer = await startBalancer([stack.gateways[1]!.port]);
    const me = await stack.open(`http://127.0.0.1:${balancer.port}/`, viewport);
    const stranger = await stack.open(stack.url(0));
    await me.fill('#interests', 'music, films, go');
    await shot(me, '1-start', size);

    await start(me, { interests: 'music, films, go', requeue: false });
    await shot(me, '2-looking', size);

    await start(stranger, { interests: 'films, go, cooking' });
    await me.locator('#status', { hasText: 'You both like' }).waitFor();
    await say(stranger, 'hey! what are you watching lately?');
    await seesPartner(me, 'hey! what are you watching lately?');
    await say(me, 'Rewatching old Miyazaki films');
    await seesPartner(stranger, 'Rewatching old Miyazaki films');
    await say(stranger, 'nice, Spirited Away is the best one');
    await seesPartner(me, 'Spirited Away');
    await say(me, 'Hard to choose. <b>Totoro</b> maybe?');
    await seesPartner(stranger, 'Totoro');
    await stranger.locator('#message').pressSequentially('agr');
    await me.locator('#typing').waitFor({ state: 'visible' });
    await me.locator('#message').fill('Do you have a favourite?');
    await shot(me, '3-chat', size);

    await me.locator('#message').fill('');
    await me.click('#report');
    await me.locator('#report-dialog[open]').waitFor();
    await shot(me, '4-report-confirm', size);
    await me.keyboard.press('Escape');

    balancer.cut();
    await me.locator('#status', { hasText: 'Reconnecting' }).waitFor();
    await shot(me, '5-reconnecting', size);
    await balancer.close();
    await me.context().close();

    // The stranger is either still paired (the server keeps a dropped chat for its resume
    // grace) or already searching again: leave either way and start afresh.
    await stranger.click('#leave');
    const next = await stack.open(stack.url(1), viewport);
    await start(next, { interests: 'films', requeue: false });
    await start(stranger, { interests: 'films' });
    await next.locator('#status', { hasText: 'You both like' }).waitFor();
    await say(stranger, 'gotta go, bye!');
    await seesPartner(next, 'gotta go, bye!');
    await stranger.click('#leave');
    await next.locator('#new-chat').waitFor({ state: 'visible' });
    await shot(next, '6-stranger-left', size);
    await next.context().close();
    await stranger.context().close();

    // A video call: the stranger's video, the local preview, and text beside it.
    const caller = await stack.open(stack.url(0), viewport);
    const callee = await stack.open(stack.url(1));
    for (const page of [caller, callee]) {
      await page.check('#mode-video');
      await agreeToTerms(page);
      await page.click('#start-button');
    }
    await caller.locator('#call-status', { hasText: 'On a video call' }).waitFor({ timeout: 30_000 });
    await caller.waitForFunction(() => {
      const video = document.getElementById('remote-video') as HTMLVideoElement;
      return video.readyState >= 2 && video.currentTime > 0.5;
    });
    await say(callee, 'hi! can you see me?');
    await seesPartner(caller, 'hi! can you see me?');
    await say(caller, 'yes, loud and clear');
    await seesPartner(callee, 'yes, loud and clear');
    await shot(caller, '7-video-call', size);
    await caller.context().close();
    await callee.context().close();
  }
} finally {
  await stack.stop();
}
