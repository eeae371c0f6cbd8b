// @topologies single cluster
/**
 * WebRTC signaling through real gateways and Redis (docs/video.md): a signal reaches the
 * current partner only, through the messages' path; everything else is refused per
 * PROTOCOL.md §4 (stale chat, ended chat, text chat, oversize, malformed, non-relay
 * candidates in relay-only mode, flooding); `paired` and `ice` carry TURN credentials; after
 * a resume both sides get `ice`.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { keys } from '@strangers/redis';
import { TestClient, waitFor, type Frame } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

const TURN_SECRET = 'test-turn-secret-0123456789';
const GRACE_MS = 3000;
const gatewayEnv = {
  TURN_SECRET,
  TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
  STUN_URLS: 'stun:127.0.0.1:3478',
  MEDIA_RELAY_ONLY: 'true',
  SIGNAL_MAX_BYTES: '1024',
  SIGNAL_RATE_BURST: '6',
  SIGNAL_RATE_PER_SECOND: '1',
  RATE_LIMIT_CLOSE_AFTER: '4',
  RESUME_GRACE_MS: String(GRACE_MS),
};

let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, gatewayEnv });
});
afterEach(async () => stack.reset());
after(async () => stack.stop());

const relayCandidate = (port: number) => ({
  candidate: `candidate:1 1 udp 41885439 127.0.0.1 ${port} typ relay raddr 0.0.0.0 rport 0 generation 0`,
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: 'abcd',
});
const hostCandidate = { candidate: 'candidate:2 1 udp 2122260223 192.168.1.20 54321 typ host generation 0', sdpMid: '0', sdpMLineIndex: 0 };
const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };

/** Two clients on different gateways, paired in a `media` chat. */
async function videoPair(media: 'video' | 'audio' = 'video', join: Record<string, unknown> = {}) {
  const a = await stack.connect(0);
  const b = await stack.connect(1);
  const chat = await pairUp(a, b, { media, ...join });
  const [pa, pb] = [a.frames.find((frame) => frame.type === 'paired')!, b.frames.find((frame) => frame.type === 'paired')!];
  return { a, b, chat, pa, pb };
}

/** Waits for a frame of `type` and checks nothing of `unwanted` came before it. */
async function nextWithout(client: TestClient, type: string, unwanted: string): Promise<Frame> {
  const start = client.frames.length;
  const frame = await client.seen((candidate) => candidate.type === type && client.frames.indexOf(candidate) >= start);
  const between = client.frames.slice(start, client.frames.indexOf(frame));
  assert.deepEqual(between.filter((candidate) => candidate.type === unwanted), [], `no ${unwanted} before ${type}`);
  return frame;
}

/** The `dropped` count of a gateway's signals counter on /metrics. */
async function droppedSignals(index: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.gateways[index]!.port}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith('strangers_gateway_signals_total{outcome="dropped"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** An error answer of `code`, the next error frame the client gets. */
async function refusal(client: TestClient, code: string): Promise<void> {
  const error = await client.next('error');
  assert.equal(error.code, code, JSON.stringify(error));
}

function checkIce(ice: unknown, session: string): void {
  const servers = ice as { urls: string[]; username?: string; credential?: string }[];
  // Relay-only: no STUN entry (it would only help reveal addresses).
  assert.deepEqual(servers.map((server) => server.urls), [['turn:127.0.0.1:3478?transport=udp']]);
  const [turn] = servers;
  const [expiry, owner] = turn!.username!.split(':');
  assert.equal(owner, session, 'the username names the session');
  assert.ok(Number(expiry) > Date.now() / 1000, 'expires in the future');
  assert.equal(turn!.credential, createHmac('sha1', TURN_SECRET).update(turn!.username!).digest('base64'), "coturn's use-auth-secret rule");
}

const sessionOf = (client: TestClient) => String(client.frames.find((frame) => frame.type === 'welcome')!.session);

describe('paired and ice in an audio/video chat', () => {
  test('paired carries media, two different roles, relay-only policy and a TURN credential per session', async () => {
    const { a, b, pa, pb } = await videoPair();
    assert.equal(pa.media, 'video');
    assert.equal(pb.media, 'video');
    assert.deepEqual([pa.role, pb.role].sort(), ['answer', 'offer']);
    assert.equal(pa.iceTransportPolicy, 'relay');
    checkIce(pa.ice, sessionOf(a));
    checkIce(pb.ice, sessionOf(b));
    // `ice` answers with a fresh credential for the same session.
    a.send({ type: 'ice' });
    const ice = await a.next('ice');
    assert.equal(ice.iceTransportPolicy, 'relay');
    checkIce(ice.ice, sessionOf(a));
  });

  test('a text chat has none of it: ice and signal are invalid_state there, and nothing reaches the partner', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const chat = await pairUp(a, b);
    const paired = a.frames.find((frame) => frame.type === 'paired')!;
    assert.equal(paired.ice, undefined);
    assert.equal(paired.role, undefined);
    a.send({ type: 'ice' });
    await refusal(a, 'invalid_state');
    a.send({ type: 'signal', chat, data: offer });
    await refusal(a, 'invalid_state');
    a.send({ type: 'message', text: 'after', chat });
    await nextWithout(b, 'message', 'signal');
  });
});

describe('a signal reaches the current partner only', () => {
  test('across gateways, both ways, in order with messages, with only the known fields', async () => {
    const { a, b, chat } = await videoPair();
    a.send({ type: 'signal', chat, data: { ...offer, extra: 'dropped' } });
    a.send({ type: 'message', text: 'between', chat });
    a.send({ type: 'signal', chat, data: relayCandidate(40000) });
    assert.deepEqual(
      [await b.next(), await b.next(), await b.next()].map((frame) => (frame.type === 'message' ? frame.text : frame)),
      [{ type: 'signal', data: offer }, 'between', { type: 'signal', data: relayCandidate(40000) }],
    );
    b.send({ type: 'signal', chat, data: { type: 'answer', sdp: 'v=0\r\n' } });
    assert.deepEqual(await a.next('signal'), { type: 'signal', data: { type: 'answer', sdp: 'v=0\r\n' } });
  });

  test('never to another chat: other sessions get nothing, even a pair on the same gateways', async () => {
    const { a, b, chat } = await videoPair();
    const { a: c, b: d, chat: other } = await videoPair();
    a.send({ type: 'signal', chat, data: relayCandidate(40001) });
    assert.deepEqual(await b.next('signal'), { type: 'signal', data: relayCandidate(40001) });
    // The other pair's own traffic arrives, with no foreign signal before it.
    d.send({ type: 'message', text: 'mine', chat: other });
    await nextWithout(c, 'message', 'signal');
    c.send({ type: 'message', text: 'mine too', chat: other });
    await nextWithout(d, 'message', 'signal');
    // Naming the other pair's chat is refused as stale: routing comes from the sender's own chat.
    a.send({ type: 'signal', chat: other, data: relayCandidate(40002) });
    await refusal(a, 'stale_chat');
    a.send({ type: 'message', text: 'still here', chat });
    await nextWithout(b, 'message', 'signal');
  });

  test('a stale chat (after Next) is stale_chat and reaches neither the old partner nor the new one', async () => {
    // b stays out of the queue after a leaves it, so the next pairing is a with a newcomer.
    const { a, b, chat } = await videoPair('video', { requeue: false });
    a.send({ type: 'next', chat });
    await b.next('partner_left');
    // A candidate trickling in after Next, while searching.
    a.send({ type: 'signal', chat, data: relayCandidate(40003) });
    await refusal(a, 'stale_chat');
    const c = await stack.connect(1);
    c.send({ type: 'join', media: 'video' });
    const [pa, pc] = [await a.next('paired'), await c.next('paired')];
    assert.equal(pa.chat, pc.chat);
    a.send({ type: 'signal', chat, data: relayCandidate(40004) });
    await refusal(a, 'stale_chat');
    a.send({ type: 'message', text: 'new chat', chat: pa.chat });
    await nextWithout(c, 'message', 'signal');
  });

  test('an ended chat: after partner_left, a signal is stale_chat (with its chat) or invalid_state (without)', async () => {
    const { a, b, chat } = await videoPair();
    b.send({ type: 'leave' });
    await a.next('partner_left');
    a.send({ type: 'leave' }); // out of the queue it went back into
    a.send({ type: 'signal', chat, data: relayCandidate(40005) });
    await refusal(a, 'stale_chat');
    a.send({ type: 'signal', data: relayCandidate(40006) });
    await refusal(a, 'invalid_state');
    a.send({ type: 'ice' });
    await refusal(a, 'invalid_state');
    assert.ok(!b.frames.some((frame) => frame.type === 'signal'), 'b got no signal');
  });
});

describe('refused per contract', () => {
  test('oversize data is invalid_message; a frame over MAX_FRAME_BYTES is closed with 1009', async () => {
    const { a, b, chat } = await videoPair();
    a.send({ type: 'signal', chat, data: { type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(300)}` } });
    await refusal(a, 'invalid_message');
    a.send({ type: 'signal', chat, data: { candidate: 'not a candidate' } });
    await refusal(a, 'invalid_message');
    a.send({ type: 'message', text: 'nothing before me', chat });
    await nextWithout(b, 'message', 'signal');
    a.send({ type: 'signal', chat, data: { type: 'offer', sdp: `v=0\r\n${'x'.repeat(20_000)}` } });
    assert.equal((await a.waitClosed()).code, 1009);
  });

  test('relay-only: a host candidate is not_allowed; SDP candidates and addresses are stripped to relay ones', async () => {
    const { a, b, chat } = await videoPair('audio');
    a.send({ type: 'signal', chat, data: hostCandidate });
    await refusal(a, 'not_allowed');
    const sdp = ['v=0', 'c=IN IP4 192.168.1.20', `a=${hostCandidate.candidate}`, `a=${relayCandidate(40007).candidate}`, ''].join('\r\n');
    a.send({ type: 'signal', chat, data: { type: 'offer', sdp } });
    const relayed = await b.next('signal');
    const text = String((relayed.data as { sdp: string }).sdp);
    assert.ok(!text.includes('192.168.1.20'), text);
    assert.ok(text.includes('typ relay'));
    assert.ok(!b.frames.some((frame) => frame.type === 'signal' && JSON.stringify(frame).includes('typ host')));
  });

  test('flooding: past the signal burst, rate_limited; kept up, closed with 1008; messages keep their own allowance', async () => {
    const { a, b, chat } = await videoPair();
    for (let i = 0; i < 6; i++) a.send({ type: 'signal', chat, data: relayCandidate(41000 + i) });
    a.send({ type: 'signal', chat, data: relayCandidate(41006) });
    await refusal(a, 'rate_limited');
    // A message is not a signal: its bucket is untouched.
    a.send({ type: 'message', text: 'text still flows', chat });
    assert.equal((await a.next('ack')).type, 'ack');
    for (let i = 0; i < 6; i++) assert.equal((await b.next('signal')).type, 'signal');
    for (let i = 0; i < 20; i++) a.send({ type: 'signal', chat, data: relayCandidate(42000 + i) });
    const closed = await a.waitClosed();
    assert.equal(closed.code, 1008);
  });
});

describe('resume: signals to a detached partner are dropped, then both sides get ice', () => {
  test('on the same gateway', async () => {
    const { a, b, chat } = await videoPair();
    const token = String(b.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    b.terminate();
    // b's gateway has seen the drop (the record says detached) before a signals.
    const admin = stack.redis.client();
    await waitFor(async () => (await admin.hget(keys.session(sessionOf(b)), 'detached')) === '1', { timeoutMs: 5000, what: 'b detached' });
    a.send({ type: 'message', text: 'while away', chat });
    await a.next('ack');
    const dropped = await droppedSignals(1);
    a.send({ type: 'signal', chat, data: relayCandidate(43000) });
    a.send({ type: 'message', text: 'after the signal', chat });
    await a.next('ack');
    // b's gateway has read the signal and dropped it (b is detached) before b is back.
    await waitFor(async () => (await droppedSignals(1)) > dropped, { timeoutMs: 5000, what: 'the signal dropped at b\'s gateway' });
    const resumed = await TestClient.connect(`ws://127.0.0.1:${stack.gateways[1]!.port}/ws?resume=${token}&last=0`);
    assert.equal((await resumed.next()).type, 'resumed');
    // Replay, then the unsolicited ice; the signal sent while away is not among them.
    const messages = [await resumed.next('message'), await resumed.next('message')];
    assert.deepEqual(messages.map((frame) => frame.text), ['while away', 'after the signal']);
    const ice = await resumed.next('ice');
    checkIce(ice.ice, sessionOf(b));
    assert.ok(!resumed.frames.some((frame) => frame.type === 'signal'), 'the dropped signal is not replayed');
    checkIce((await a.next('ice')).ice, sessionOf(a));
    // And signaling carries on, now to the resumed socket.
    a.send({ type: 'signal', chat, data: relayCandidate(43001) });
    assert.deepEqual(await resumed.next('signal'), { type: 'signal', data: relayCandidate(43001) });
    resumed.close();
  });

  test('on another gateway: the chat is still a call there (the join\'s media is in the session record)', async () => {
    const { a, b, chat } = await videoPair();
    const token = String(b.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    b.terminate();
    // b was on gateway 1; it comes back on gateway 0, a's own.
    const resumed = await TestClient.connect(`ws://127.0.0.1:${stack.gateways[0]!.port}/ws?resume=${token}&last=0`);
    const back = await resumed.next();
    assert.deepEqual([back.type, back.state, back.chat], ['resumed', 'paired', chat]);
    checkIce((await resumed.next('ice')).ice, sessionOf(b));
    checkIce((await a.next('ice')).ice, sessionOf(a));
    // Signals follow b to its new gateway (chat_signal reads where it is now), both ways.
    a.send({ type: 'signal', chat, data: relayCandidate(44000) });
    assert.deepEqual(await resumed.next('signal'), { type: 'signal', data: relayCandidate(44000) });
    resumed.send({ type: 'signal', chat, data: relayCandidate(44001) });
    assert.deepEqual(await a.next('signal'), { type: 'signal', data: relayCandidate(44001) });
    resumed.close();
  });
});
