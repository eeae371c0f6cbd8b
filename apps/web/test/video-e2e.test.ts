/**
 * Video and voice calls end to end in headless Chromium with fake media
 * (`--use-fake-device-for-media-stream --use-fake-ui-for-media-stream`), against real
 * processes: Redis, the matcher, two gateways serving the built web client, and, for
 * relay-only mode, coturn's `turnserver` on loopback. The pages' RTCPeerConnections are the
 * browser's own; an init script only keeps a reference to each so the test can read getStats().
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { startTurnServer, turnserverInstalled, type TurnServerHandle } from '@strangers/testkit';
import { agreeToTerms, CHROMIUM_PATH, chromiumMissing, say, seesPartner, startWebStack, type WebStack } from './web-stack.ts';

const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
const CALL_TIMEOUT_MS = 30_000;

/** Keeps every RTCPeerConnection the page makes (the real class, subclassed only to be found). */
function trackPeerConnections(): void {
  const found: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = found;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      found.push(this);
    }
  };
}

function openCallPage(stack: WebStack, gateway: number): Promise<Page> {
  return stack.open(stack.url(gateway), undefined, { initScript: trackPeerConnections });
}

/** Chooses a mode on the start screen and starts. */
async function startIn(page: Page, mode: 'text' | 'audio' | 'video', requeue = true): Promise<void> {
  await page.check(`#mode-${mode}`);
  if (!requeue) await page.uncheck('#requeue');
  await agreeToTerms(page);
  await page.click('#start-button');
  await page.locator('#status', { hasText: /Looking for someone|Chatting with a stranger/ }).waitFor();
}

/** The index of the page's newest RTCPeerConnection, once it is `connected`. */
async function connectedCall(page: Page, after = -1): Promise<number> {
  const handle = await page.waitForFunction(
    (previous) => {
      const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
      const last = pcs.length - 1;
      // An object: index 0 would read as "not yet".
      return last > previous && pcs[last]!.connectionState === 'connected' ? { index: last } : false;
    },
    after,
    { timeout: CALL_TIMEOUT_MS },
  );
  return ((await handle.jsonValue()) as { index: number }).index;
}

/** Resolves the call's incoming-video framesDecoded once it is above `above` (polled, as getStats is async). */
async function framesDecodedAbove(page: Page, index: number, above: number): Promise<number> {
  const handle = await page.waitForFunction(
    async ([i, min]) => {
      const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs[i]!;
      let frames = 0;
      (await pc.getStats()).forEach((report: { type: string; kind?: string; framesDecoded?: number }) => {
        if (report.type === 'inbound-rtp' && report.kind === 'video') frames = Math.max(frames, report.framesDecoded ?? 0);
      });
      return frames > min ? frames : false;
    },
    [index, above] as const,
    { polling: 200, timeout: CALL_TIMEOUT_MS },
  );
  return (await handle.jsonValue()) as number;
}

/** The remote video decodes frames, and keeps decoding (framesDecoded rises). */
async function videoFlows(page: Page, index: number): Promise<void> {
  const first = await framesDecodedAbove(page, index, 0);
  await framesDecodedAbove(page, index, first + 5);
}

function connectionState(page: Page, index: number): Promise<string> {
  return page.evaluate((i) => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs[i]!.connectionState, index);
}

/** The candidate types of the selected pair: [local, remote]. */
function selectedPairTypes(page: Page, index: number): Promise<[string, string]> {
  return page.evaluate(async (i) => {
    const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs[i]!;
    const stats = await pc.getStats();
    const reports = new Map<string, Record<string, unknown>>();
    stats.forEach((report: Record<string, unknown>) => reports.set(String(report.id), report));
    const transport = [...reports.values()].find((report) => report.type === 'transport' && report.selectedCandidatePairId);
    const pair = reports.get(String(transport?.selectedCandidatePairId));
    const local = reports.get(String(pair?.localCandidateId));
    const remote = reports.get(String(pair?.remoteCandidateId));
    return [String(local?.candidateType), String(remote?.candidateType)] as [string, string];
  }, index);
}

describe('video calls in Chromium (fake camera and microphone)', { skip: chromiumMissing, timeout: 300_000 }, () => {
  let stack: WebStack;
  let a: Page;
  let b: Page;
  let aCall: number;
  let bCall: number;

  before(async () => {
    stack = await startWebStack({}, { browserArgs: FAKE_MEDIA });
  });
  after(async () => stack?.stop());

  test('two pages on two gateways pair in video mode: connected, the stranger\'s video decodes, text works beside it', async () => {
    a = await openCallPage(stack, 0);
    b = await openCallPage(stack, 1);
    await startIn(a, 'video');
    await startIn(b, 'video', false);
    await a.locator('#call:not([hidden])').waitFor();
    aCall = await connectedCall(a);
    bCall = await connectedCall(b);
    await Promise.all([videoFlows(a, aCall), videoFlows(b, bCall)]);
    // The local preview shows the camera, muted (no echo).
    assert.equal(await a.evaluate(() => (document.getElementById('local-video') as HTMLVideoElement).muted), true);
    assert.equal(await a.evaluate(() => ((document.getElementById('local-video') as HTMLVideoElement).srcObject as MediaStream | null)?.getVideoTracks().length), 1);
    await a.locator('#call-status', { hasText: 'On a video call' }).waitFor();
    // The text side-channel in the same chat.
    await say(a, 'hello over video');
    await seesPartner(b, 'hello over video');
  });

  test('mute and camera toggles stop sending without ending the call', async () => {
    await a.click('#mute');
    assert.equal(await a.getAttribute('#mute', 'aria-pressed'), 'true');
    await a.click('#camera');
    assert.equal(await a.getAttribute('#camera', 'aria-pressed'), 'true');
    const enabled = () =>
      a.evaluate(() => {
        const stream = (document.getElementById('local-video') as HTMLVideoElement).srcObject as MediaStream;
        return stream.getTracks().map((track) => `${track.kind}:${track.enabled}`).sort();
      });
    assert.deepEqual(await enabled(), ['audio:false', 'video:false']);
    await a.click('#mute');
    await a.click('#camera');
    assert.deepEqual(await enabled(), ['audio:true', 'video:true']);
    assert.equal(await connectionState(a, aCall), 'connected');
  });

  test('Next ends the call on both sides and pairs anew, with a new call that connects', async () => {
    const c = await openCallPage(stack, 0);
    await startIn(c, 'video');
    // Next asks for a second press ("Really?").
    await a.click('#next');
    await a.click('#next');
    await b.locator('#messages .system', { hasText: 'Stranger moved on' }).waitFor();
    assert.equal(await connectionState(a, aCall), 'closed');
    assert.equal(await connectionState(b, bCall), 'closed');
    const aNext = await connectedCall(a, aCall);
    const cCall = await connectedCall(c);
    await Promise.all([videoFlows(a, aNext), videoFlows(c, cCall)]);
    await c.context().close();
    await a.locator('#messages .system', { hasText: /Stranger (left|lost)/ }).waitFor();
    assert.equal(await connectionState(a, aNext), 'closed');
  });

  test('Report asks for confirmation, then ends the call for both', async () => {
    const before = (await a.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length)) - 1;
    const d = await openCallPage(stack, 1);
    await startIn(d, 'video');
    const aCallNow = await connectedCall(a, before);
    const dCall = await connectedCall(d);
    await a.click('#report');
    await a.click('#report-confirm');
    await d.locator('#messages .system', { hasText: 'The chat was ended.' }).waitFor();
    assert.equal(await connectionState(a, aCallNow), 'closed');
    await d.waitForFunction((i) => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs[i]!.connectionState === 'closed', dCall);
    await d.context().close();
  });

  test('camera refused: a clear message, and the page chats by text instead', async () => {
    // A browser whose permission prompt is not auto-accepted: headless, it answers "deny",
    // as a user does who refuses the camera.
    const denying = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--use-fake-device-for-media-stream'],
    });
    const refusedContext = await denying.newContext();
    await refusedContext.addInitScript(trackPeerConnections);
    const refused = await refusedContext.newPage();
    await refused.goto(stack.url(0));
    await refused.locator('#start-button:enabled').waitFor();
    const texter = await stack.open(stack.url(1));
    await refused.check('#mode-video');
    await agreeToTerms(refused);
    await refused.click('#start-button');
    await refused.locator('#messages .system', { hasText: 'was refused, so this is a text chat' }).waitFor();
    await startIn(texter, 'text');
    await refused.locator('#status', { hasText: 'Chatting with a stranger' }).waitFor();
    assert.equal(await refused.locator('#call').isHidden(), true);
    await say(texter, 'text it is');
    await seesPartner(refused, 'text it is');
    assert.equal(await refused.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length), 0, 'no call was set up');
    await texter.context().close();
    await denying.close();
  });
});

describe('relay-only calls through coturn on loopback', { skip: chromiumMissing || (!turnserverInstalled() && 'turnserver (coturn) is not installed: apt-get install -y coturn'), timeout: 300_000 }, () => {
  let stack: WebStack;
  let turn: TurnServerHandle;

  before(async () => {
    turn = await startTurnServer({ allowLoopbackPeers: true });
    stack = await startWebStack(
      { TURN_SECRET: turn.secret, TURN_URLS: `turn:127.0.0.1:${turn.port}?transport=udp`, MEDIA_RELAY_ONLY: 'true' },
      { browserArgs: FAKE_MEDIA },
    );
  });
  after(async () => {
    await stack?.stop();
    await turn?.stop();
  });

  test('the selected candidate pair is relay on both sides, and the video decodes', async () => {
    const a = await openCallPage(stack, 0);
    const b = await openCallPage(stack, 1);
    await startIn(a, 'video');
    await startIn(b, 'video');
    const [aCall, bCall] = [await connectedCall(a), await connectedCall(b)];
    assert.deepEqual(await selectedPairTypes(a, aCall), ['relay', 'relay']);
    assert.deepEqual(await selectedPairTypes(b, bCall), ['relay', 'relay']);
    // The browsers were told relay-only, so neither ever had a host or srflx candidate.
    const policy = await a.evaluate((i) => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs[i]!.getConfiguration().iceTransportPolicy, aCall);
    assert.equal(policy, 'relay');
    await Promise.all([videoFlows(a, aCall), videoFlows(b, bCall)]);
  });
});
