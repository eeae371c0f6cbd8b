import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { ErrorCode } from '@strangers/protocol';
import {
  checkSignal,
  mediaRoleFor,
  needsIceResync,
  shouldDeliverSignal,
  SignalRateLimiter,
  type SignalSender,
} from '../src/index.js';

const paired: SignalSender = { state: 'paired', chat: 'chat-1', media: 'video' };
const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
const hostCandidate = {
  candidate: 'candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0',
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: 'abcd',
};
const relayCandidate = {
  candidate: 'candidate:3 1 udp 41885439 198.51.100.7 49170 typ relay raddr 0.0.0.0 rport 0 generation 0',
  sdpMid: '0',
  sdpMLineIndex: 0,
};

function options(overrides: { relayOnly?: boolean; limiter?: SignalRateLimiter; now?: number } = {}) {
  return {
    limits: { maxBytes: 16 * 1024 },
    limiter: overrides.limiter ?? new SignalRateLimiter({ perSecond: 10, burst: 40 }, 0),
    relayOnly: overrides.relayOnly ?? false,
    now: overrides.now ?? 0,
  };
}

describe('checkSignal', () => {
  test('relays a description or a candidate in the sender’s own chat, stripped of unknown fields', () => {
    const verdict = checkSignal({ chat: 'chat-1', data: { ...offer, to: 'someone-else' } }, paired, options());
    assert.deepEqual(verdict, { ok: true, chat: 'chat-1', data: offer });
    const candidate = checkSignal({ data: hostCandidate }, paired, options());
    assert.deepEqual(candidate, { ok: true, chat: 'chat-1', data: hostCandidate });
    // end-of-candidates, rollback, a null sdpMid as older browsers send it
    assert.equal(checkSignal({ data: { candidate: '', sdpMid: null } }, paired, options()).ok, true);
    assert.equal(checkSignal({ data: { type: 'rollback' } }, paired, options()).ok, true);
  });

  test('a chat that is not the current one is stale_chat, in any state', () => {
    const code = (sender: SignalSender) => {
      const verdict = checkSignal({ chat: 'chat-0', data: offer }, sender, options());
      return verdict.ok ? 'relayed' : verdict.code;
    };
    assert.equal(code(paired), ErrorCode.staleChat);
    assert.equal(code({ state: 'waiting', chat: undefined, media: undefined }), ErrorCode.staleChat);
  });

  test('not paired, or in a text chat: invalid_state', () => {
    for (const sender of [
      { state: 'idle', chat: undefined, media: undefined },
      { state: 'waiting', chat: undefined, media: undefined },
      { state: 'paired', chat: 'chat-1', media: 'text' },
      { state: 'paired', chat: 'chat-1', media: undefined },
    ] satisfies SignalSender[]) {
      const verdict = checkSignal({ data: offer }, sender, options());
      assert.equal(verdict.ok ? 'relayed' : verdict.code, ErrorCode.invalidState, JSON.stringify(sender));
    }
    assert.equal(checkSignal({ data: offer }, { ...paired, media: 'audio' }, options()).ok, true);
  });

  test('over 16 KiB of data: invalid_message', () => {
    const big = { type: 'offer', sdp: `v=0\r\na=${'x'.repeat(16_400)}` };
    assert.ok(Buffer.byteLength(JSON.stringify(big)) > 16 * 1024);
    const verdict = checkSignal({ data: big }, paired, options());
    assert.equal(verdict.ok ? 'relayed' : verdict.code, ErrorCode.invalidMessage);
    const fits = { type: 'offer', sdp: `v=0\r\na=${'x'.repeat(16_000)}` };
    assert.ok(Buffer.byteLength(JSON.stringify(fits)) <= 16 * 1024);
    assert.equal(checkSignal({ data: fits }, paired, options()).ok, true);
  });

  test('anything but a description or a candidate: invalid_message', () => {
    for (const data of [
      null,
      'v=0',
      [],
      {},
      { type: 'offer' },
      { type: 'offer', sdp: 'hello' },
      { type: 'bye', sdp: 'v=0' },
      { type: 'answer', sdp: 'v=0\r\n\u0000' },
      { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=inject' },
      { candidate: 'not a candidate' },
      { candidate: 'candidate:1', sdpMLineIndex: -1 },
      { candidate: `candidate:${'x'.repeat(1100)}` },
    ]) {
      const verdict = checkSignal({ data }, paired, options());
      assert.equal(verdict.ok ? 'relayed' : verdict.code, ErrorCode.invalidMessage, JSON.stringify(data)?.slice(0, 80));
    }
  });

  test('rate limit: the burst passes, then rate_limited until tokens refill', () => {
    const limiter = new SignalRateLimiter({ perSecond: 10, burst: 5 }, 0);
    const at = (now: number) => checkSignal({ data: hostCandidate }, paired, options({ limiter, now }));
    for (let i = 0; i < 5; i += 1) assert.equal(at(0).ok, true, `signal ${i} of the burst`);
    const limited = at(0);
    assert.equal(limited.ok ? 'relayed' : limited.code, ErrorCode.rateLimited);
    assert.equal(at(50).ok, false, 'half a token after 50 ms');
    assert.equal(at(100).ok, true, 'one token after 100 ms at 10/s');
    // Refused frames cost a token too: a flood of garbage is limited like a flood of signals.
    const garbage = new SignalRateLimiter({ perSecond: 1, burst: 2 }, 0);
    checkSignal({ data: 'junk' }, paired, options({ limiter: garbage }));
    checkSignal({ data: 'junk' }, paired, options({ limiter: garbage }));
    const after = checkSignal({ data: offer }, paired, options({ limiter: garbage }));
    assert.equal(after.ok ? 'relayed' : after.code, ErrorCode.rateLimited);
  });

  test('relay-only: host and srflx candidates are not_allowed, relay ones pass, SDPs lose their own addresses', () => {
    const refused = checkSignal({ data: hostCandidate }, paired, options({ relayOnly: true }));
    assert.equal(refused.ok ? 'relayed' : refused.code, ErrorCode.notAllowed);
    const srflx = { candidate: 'candidate:2 1 udp 1686052607 203.0.113.9 40000 typ srflx raddr 192.168.1.20 rport 54321' };
    assert.equal(checkSignal({ data: srflx }, paired, options({ relayOnly: true })).ok, false);
    assert.equal(checkSignal({ data: relayCandidate }, paired, options({ relayOnly: true })).ok, true);
    const sdp = [
      'v=0',
      'm=video 54321 UDP/TLS/RTP/SAVPF 96',
      'c=IN IP4 203.0.113.9',
      'a=rtcp:9 IN IP4 203.0.113.9',
      `a=${hostCandidate.candidate}`,
      `a=${relayCandidate.candidate}`,
      '',
    ].join('\r\n');
    const verdict = checkSignal({ data: { type: 'answer', sdp } }, paired, options({ relayOnly: true }));
    assert.ok(verdict.ok && 'sdp' in verdict.data);
    const relayed = verdict.data.sdp!;
    assert.doesNotMatch(relayed, /192\.168\.1\.20|203\.0\.113\.9/);
    assert.match(relayed, /typ relay/);
    assert.match(relayed, /^c=IN IP4 0\.0\.0\.0$/m);
  });
});

describe('mediaRoleFor', () => {
  test('the two sides always get different roles, and both gateways compute the same', () => {
    for (let i = 0; i < 500; i += 1) {
      const [chat, a, b] = [randomUUID(), randomUUID(), randomUUID()];
      const roleA = mediaRoleFor(chat, a, b);
      const roleB = mediaRoleFor(chat, b, a);
      assert.notEqual(roleA, roleB);
      assert.equal(mediaRoleFor(chat, a, b), roleA, 'deterministic');
    }
  });

  test('neither session id order always offers', () => {
    let lowerOffers = 0;
    const runs = 1000;
    for (let i = 0; i < runs; i += 1) {
      const [a, b] = [randomUUID(), randomUUID()].sort();
      if (mediaRoleFor(randomUUID(), a!, b!) === 'offer') lowerOffers += 1;
    }
    // Fair coin: 1000 flips land within 400..600 except with probability ~1e-10.
    assert.ok(lowerOffers > 400 && lowerOffers < 600, `lower id offered ${lowerOffers} of ${runs}`);
  });

  test('refuses a session paired with itself', () => {
    assert.throws(() => mediaRoleFor('c', 's', 's'));
  });
});

describe('the delivery and resume rules', () => {
  test('a signal reaches only an attached partner still in that chat; otherwise it is dropped', () => {
    assert.equal(shouldDeliverSignal({ attached: true, chat: 'chat-1' }, 'chat-1'), true);
    assert.equal(shouldDeliverSignal({ attached: false, chat: 'chat-1' }, 'chat-1'), false, 'resuming: dropped');
    assert.equal(shouldDeliverSignal({ attached: true, chat: 'chat-2' }, 'chat-1'), false, 'moved on');
    assert.equal(shouldDeliverSignal({ attached: true, chat: undefined }, 'chat-1'), false, 'chat ended');
  });

  test('a resume into an audio or video chat is followed by an ICE resync; text chats need none', () => {
    assert.equal(needsIceResync('video'), true);
    assert.equal(needsIceResync('audio'), true);
    assert.equal(needsIceResync('text'), false);
    assert.equal(needsIceResync(undefined), false);
  });
});
