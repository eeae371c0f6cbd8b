import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTurnServer, turnserverInstalled, waitFor, type TurnServerHandle } from '@strangers/testkit';
import { checkSignal, iceConfigurationFor, SignalRateLimiter, type SignalSender, type TurnConfig } from '../src/index.js';

// A real Chromium call through a real coturn in relay-only mode: the ICE servers from
// iceConfigurationFor, every signal through checkSignal as the gateway applies it. Shows the
// pieces fit before they are wired into the gateway: Chromium's own descriptions and
// candidates pass the schema, relay-only filtering leaves a working call, and the selected
// candidate pair is relay on both sides.
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM_PATH)
  ? `no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`
  : turnserverInstalled()
    ? false
    : 'turnserver (coturn) is not installed: apt-get install -y coturn';
// An arrow-function expression: the file ends in `};`, so drop the statement's semicolon.
const pageScript = readFileSync(new URL('./support/relayed-call.page.js', import.meta.url), 'utf8').trim().replace(/;$/, '');

interface CallState {
  connected: boolean;
  framesDecoded: number;
  pairs: Array<{ local: string; remote: string }>;
}

/** Both connections' state, each one's selected candidate pair types, and the video frames decoded. */
async function callState(page: Page): Promise<CallState> {
  return page.evaluate(async () => {
    const { a, b } = (window as unknown as { peers: Record<'a' | 'b', RTCPeerConnection> }).peers;
    const pairs: Array<{ local: string; remote: string }> = [];
    let framesDecoded = 0;
    for (const pc of [a, b]) {
      const stats = await pc.getStats();
      stats.forEach((report) => {
        if (report.type === 'transport' && report.selectedCandidatePairId) {
          const pair = stats.get(report.selectedCandidatePairId);
          pairs.push({
            local: stats.get(pair.localCandidateId)?.candidateType,
            remote: stats.get(pair.remoteCandidateId)?.candidateType,
          });
        }
        if (report.type === 'inbound-rtp' && report.kind === 'video') framesDecoded += report.framesDecoded ?? 0;
      });
    }
    return { connected: a.connectionState === 'connected' && b.connectionState === 'connected', framesDecoded, pairs };
  });
}

describe('a Chromium call through coturn, relay-only', { skip, timeout: 90_000 }, () => {
  let server: TurnServerHandle;
  let browser: Browser;
  before(async () => {
    // Both relay candidates are 127.0.0.1: only a loopback test config allows such peers.
    server = await startTurnServer({ allowLoopbackPeers: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Sets up the call in a fresh page and resolves once it is connected and decoding video. */
  async function call(policy: 'relay' | 'all') {
    const turn: TurnConfig = {
      secret: server.secret,
      turnUrls: [`turn:127.0.0.1:${server.port}?transport=udp`],
      stunUrls: ['stun:127.0.0.1:1'],
      ttlSeconds: 600,
      relayOnly: true,
    };
    const sides = { a: iceConfigurationFor(turn, 'session-a'), b: iceConfigurationFor(turn, 'session-b') };
    assert.equal(sides.a.iceTransportPolicy, 'relay');
    const sender: SignalSender = { state: 'paired', chat: 'chat-1', media: 'video' };
    const limiters = { a: new SignalRateLimiter({ perSecond: 10, burst: 40 }), b: new SignalRateLimiter({ perSecond: 10, burst: 40 }) };
    const refused: string[] = [];
    const relayedData: string[] = [];

    const page = await browser.newPage();
    await page.exposeFunction('relaySignal', (from: 'a' | 'b', json: string) => {
      const verdict = checkSignal({ chat: 'chat-1', data: JSON.parse(json) }, sender, {
        limits: { maxBytes: 16 * 1024 },
        limiter: limiters[from],
        relayOnly: true,
      });
      if (!verdict.ok) {
        refused.push(`${verdict.code}: ${json.slice(0, 160)}`);
        return null;
      }
      relayedData.push(JSON.stringify(verdict.data));
      return JSON.stringify(verdict.data);
    });
    // The hint is the gateway's; `all` plays a client that ignores it.
    await page.evaluate(`(${pageScript})(${JSON.stringify({ iceA: sides.a.iceServers, iceB: sides.b.iceServers, policy })})`);
    const connected = await waitFor(async () => {
      const state = await callState(page);
      return state.connected && state.pairs.length === 2 && state.framesDecoded > 0 ? state : undefined;
    }, { timeoutMs: 45_000, intervalMs: 250, what: 'a connected call decoding video' });
    // Frames keep coming: the relay carries the stream, not one lucky packet.
    await waitFor(async () => (await callState(page)).framesDecoded > connected.framesDecoded + 10, {
      timeoutMs: 15_000,
      intervalMs: 250,
      what: 'more decoded frames',
    });
    await page.close();
    return { connected, refused, relayedData };
  }

  test('a client that follows the hint connects over relay candidates only and decodes the remote video', async () => {
    const { connected, refused, relayedData } = await call('relay');
    assert.deepEqual(connected.pairs, [
      { local: 'relay', remote: 'relay' },
      { local: 'relay', remote: 'relay' },
    ]);
    assert.deepEqual(refused, [], 'Chromium sent a signal the rules refused');
    assert.ok(relayedData.length >= 3, `only ${relayedData.length} signals relayed`);
  });

  test('a client that ignores the hint: its own candidates never reach the partner, and the call still works', async () => {
    const { connected, refused, relayedData } = await call('all');
    assert.equal(connected.pairs.length, 2);
    // Not asserted here: the selected pair's remote type. On loopback it can be prflx, as
    // every address is 127.0.0.1 and TURN permissions are per IP; on a real network the
    // partner's relay only admits the relay addresses it was given (docs/video.md).
    for (const data of relayedData) {
      assert.doesNotMatch(data, /typ (host|srflx|prflx)/, `a non-relay candidate was relayed: ${data.slice(0, 160)}`);
    }
    assert.ok(refused.length > 0, 'Chromium gathered no non-relay candidate to refuse');
    for (const line of refused) assert.match(line, /^not_allowed: /);
  });
});
