// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, afterEach, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { CloseCode } from '@strangers/protocol';
import { TestClient } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

const FALLBACK_MS = 1200;
let stack: Stack;

before(async () => {
  // A short resume grace: closed clients leave the queue quickly between tests.
  stack = await startStack({
    matcherEnv: { INTEREST_FALLBACK_MS: String(FALLBACK_MS), NEXT_COOLDOWN_MS: '60000' },
    // Bursts of 200 messages test ordering, not the rate limit (limits.test.ts does that).
    gatewayEnv: { RESUME_GRACE_MS: '300', CHAT_RATE_PER_SECOND: '100000', CHAT_RATE_BURST: '100000' },
  });
});
afterEach(async () => stack.reset());
after(async () => stack.stop());

describe('welcome and pairing', () => {
  test('welcome carries a session id, a separate 128-bit resume token and the online count', async () => {
    const client = await TestClient.connect(`ws://127.0.0.1:${stack.gateways[0]!.port}/ws`);
    const welcome = await client.next('welcome');
    assert.match(String(welcome.session), /^[A-Za-z0-9_-]{22}$/);
    assert.match(String(welcome.resumeToken), /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(welcome.session, welcome.resumeToken);
    assert.ok(Number(welcome.online) >= 1);
    client.close();
  });

  test('two clients on different gateways are paired into one chat and talk both ways with a shared seq', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    a.send({ type: 'message', text: 'hello from a', id: 'a1' });
    assert.deepEqual(await a.next('ack'), { type: 'ack', id: 'a1', seq: 1 });
    const got = await b.next('message');
    assert.equal(got.text, 'hello from a');
    assert.equal(got.seq, 1);
    assert.equal(typeof got.ts, 'number');
    b.send({ type: 'message', text: 'hi a' });
    assert.deepEqual(await b.next('ack'), { type: 'ack', seq: 2 });
    assert.deepEqual(await a.next('message').then(({ text, seq }) => ({ text, seq })), { text: 'hi a', seq: 2 });
  });

  test('typing is forwarded to the partner', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    a.send({ type: 'typing', typing: true });
    assert.deepEqual(await b.next('typing'), { type: 'typing', typing: true });
    a.send({ type: 'typing', typing: false });
    assert.deepEqual(await b.next('typing'), { type: 'typing', typing: false });
  });

  test('interests are trimmed and lower-cased, and the shared ones are reported', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    a.send({ type: 'join', interests: ['  Music ', 'Go'] });
    await a.next('waiting');
    b.send({ type: 'join', interests: ['go', 'chess'] });
    assert.deepEqual((await b.next('paired')).interests, ['go']);
    assert.deepEqual((await a.next('paired')).interests, ['go']);
  });

  test('a joiner with interests takes the longest-waiting session sharing one over older ones', async () => {
    const chess = await stack.connect(0);
    chess.send({ type: 'join', interests: ['chess'] });
    await chess.next('waiting');
    const music = await stack.connect(1);
    music.send({ type: 'join', interests: ['music'] });
    await music.next('waiting');
    const art = await stack.connect(0);
    art.send({ type: 'join', interests: ['art'] });
    await art.next('waiting');
    const joiner = await stack.connect(1);
    joiner.send({ type: 'join', interests: ['art', 'music'] });
    const paired = await joiner.next('paired');
    assert.deepEqual(paired.interests, ['music']);
    assert.equal((await music.next('paired')).chat, paired.chat, 'the longest-waiting sharer is chosen');
    assert.equal(art.frames.some((frame) => frame.type === 'paired'), false);
    assert.equal(chess.frames.some((frame) => frame.type === 'paired'), false);
  });

  test('after the fallback wait a session with interests is paired with anyone', async () => {
    const fan = await stack.connect(0);
    fan.send({ type: 'join', interests: ['opera'] });
    await fan.next('waiting');
    const plain = await stack.connect(1);
    const joinedAt = Date.now();
    plain.send({ type: 'join' });
    await plain.next('waiting');
    const [fanPaired, plainPaired] = await Promise.all([fan.next('paired', FALLBACK_MS + 5000), plain.next('paired', FALLBACK_MS + 5000)]);
    assert.equal(fanPaired.chat, plainPaired.chat);
    assert.deepEqual(fanPaired.interests, []);
    // Not before the fallback: the fan named an interest the other does not share.
    assert.ok(Date.now() - joinedAt >= FALLBACK_MS - 100);
  });
});

describe('ending chats', () => {
  test('next: the partner gets partner_left "next", both re-queue, and they are not paired straight back', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const first = await pairUp(a, b);
    a.send({ type: 'next' });
    await a.next('waiting');
    assert.deepEqual(await b.next('partner_left'), { type: 'partner_left', reason: 'next' });
    await b.next('waiting');
    const c = await stack.connect(0);
    c.send({ type: 'join' });
    const cPaired = await c.next('paired');
    assert.notEqual(cPaired.chat, first);
    // Exactly one of a and b got c; the other keeps waiting (a and b are in cool-down).
    const winner = await Promise.race([a.next('paired').then(() => a), b.next('paired').then(() => b)]);
    assert.ok(winner === a || winner === b);
    const loser = winner === a ? b : a;
    assert.equal(loser.frames.filter((frame) => frame.type === 'paired').length, 1);
  });

  test('leave: the partner gets partner_left "left" and, with requeue, waits again', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    a.send({ type: 'leave' });
    assert.deepEqual(await b.next('partner_left'), { type: 'partner_left', reason: 'left' });
    await b.next('waiting');
    a.send({ type: 'message', text: 'anyone?' });
    assert.equal((await a.next('error')).code, 'invalid_state');
  });

  test('requeue:false: after the partner leaves the session stays idle', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    a.send({ type: 'join' });
    await a.next('waiting');
    b.send({ type: 'join', requeue: false });
    await Promise.all([a.next('paired'), b.next('paired')]);
    a.send({ type: 'leave' });
    assert.equal((await b.next('partner_left')).reason, 'left');
    // Idle now: `next` is only valid while waiting or paired, `join` is valid again.
    b.send({ type: 'next' });
    assert.equal((await b.next('error')).code, 'invalid_state');
    assert.equal(b.frames.filter((frame) => frame.type === 'waiting').length, 1);
    b.send({ type: 'join' });
    await b.next('waiting');
  });

  test('a closed connection ends the chat with "disconnected"', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    a.terminate();
    assert.deepEqual(await b.next('partner_left'), { type: 'partner_left', reason: 'disconnected' });
  });

  test('leave while waiting takes the session out of the queue', async () => {
    const a = await stack.connect(0);
    a.send({ type: 'join' });
    await a.next('waiting');
    a.send({ type: 'leave' });
    const admin = stack.redis.client();
    const { waitFor } = await import('@strangers/testkit');
    const { keys } = await import('@strangers/redis');
    await waitFor(async () => (await admin.hlen(keys.matcherQueue)) === 0, { what: 'the queue to empty' });
    const b = await stack.connect(1);
    b.send({ type: 'join' });
    await b.next('waiting');
    const c = await stack.connect(0);
    c.send({ type: 'join' });
    assert.equal((await b.next('paired')).chat, (await c.next('paired')).chat);
    assert.equal(a.frames.some((frame) => frame.type === 'paired'), false);
  });

  test('report: the reported side gets "reported", and the two are never paired again', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    a.send({ type: 'report', reason: 'spam' });
    await a.next('waiting');
    assert.deepEqual(await b.next('partner_left'), { type: 'partner_left', reason: 'reported' });
    await b.next('waiting');
    const c = await stack.connect(0);
    c.send({ type: 'join' });
    await c.next('paired');
    const loser = (await Promise.race([a.next('paired').then(() => b), b.next('paired').then(() => a)])) as TestClient;
    assert.equal(loser.frames.filter((frame) => frame.type === 'paired').length, 1);
  });
});

describe('messages', () => {
  test('200 rapid messages arrive in order, exactly once', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    for (let i = 0; i < 200; i++) a.send({ type: 'message', text: `m${i}`, id: `i${i}` });
    const acks = [];
    for (let i = 0; i < 200; i++) acks.push(await a.next('ack'));
    assert.deepEqual(acks.map((ack) => ack.id), Array.from({ length: 200 }, (_, i) => `i${i}`));
    const seqs = acks.map((ack) => Number(ack.seq));
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    const received = [];
    for (let i = 0; i < 200; i++) received.push(await b.next('message'));
    assert.deepEqual(received.map((frame) => frame.text), Array.from({ length: 200 }, (_, i) => `m${i}`));
    assert.deepEqual(received.map((frame) => frame.seq), seqs);
    // Nothing more arrives: a trailing typing frame is the next thing b sees.
    a.send({ type: 'typing', typing: true });
    await b.next('typing');
    assert.equal(b.frames.filter((frame) => frame.type === 'message').length, 200);
  });

  test('a message sent after the partner left is refused, not acked', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b, { requeue: false });
    b.send({ type: 'leave' });
    await a.next('partner_left');
    a.send({ type: 'message', text: 'late' });
    assert.equal((await a.next('error')).code, 'invalid_state');
    assert.equal(a.frames.some((frame) => frame.type === 'ack'), false);
  });
});

describe('bad input', () => {
  const invalid: [string, unknown][] = [
    ['malformed JSON', '{"type":'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"join"'],
    ['no type', { text: 'hi' }],
    ['a non-string type', { type: 7 }],
    ['an unknown type', { type: 'dance' }],
    ['too many interests', { type: 'join', interests: Array.from({ length: 11 }, (_, i) => `t${i}`) }],
    ['an interest too long', { type: 'join', interests: ['x'.repeat(33)] }],
    ['an empty interest', { type: 'join', interests: ['   '] }],
    ['interests not a list', { type: 'join', interests: 'music' }],
    ['requeue not a boolean', { type: 'join', requeue: 'yes' }],
    ['__proto__ keys', '{"type":"join","__proto__":{"polluted":true},"interests":{"__proto__":[]}}'],
  ];
  for (const [name, frame] of invalid) {
    test(`${name} gets invalid_message and the connection stays usable`, async () => {
      const client = await stack.connect(0);
      client.send(frame);
      const error = await client.next('error');
      assert.equal(error.code, 'invalid_message');
      assert.equal(typeof error.message, 'string');
      client.send({ type: 'join' });
      await client.next('waiting');
    });
  }

  test('message frames with bad fields get invalid_message while paired', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    for (const frame of [
      { type: 'message', text: '' },
      { type: 'message' },
      { type: 'message', text: 42 },
      { type: 'message', text: 'ok', id: 'x'.repeat(65) },
      { type: 'typing', typing: 'yes' },
      { type: 'report', reason: 'x'.repeat(201) },
    ]) {
      a.send(frame);
      assert.equal((await a.next('error')).code, 'invalid_message', JSON.stringify(frame).slice(0, 60));
    }
    a.send({ type: 'message', text: 'still here', extra: 'ignored' });
    assert.equal((await b.next('message')).text, 'still here');
  });

  test('text over the limit gets text_too_long; exactly the limit (in characters) is accepted', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    a.send({ type: 'message', text: 'x'.repeat(2001) });
    assert.equal((await a.next('error')).code, 'text_too_long');
    const emoji = '😀'.repeat(2000); // 4000 UTF-16 units, 2000 characters
    a.send({ type: 'message', text: emoji, id: 'e' });
    assert.equal((await a.next('ack')).id, 'e');
    assert.equal((await b.next('message')).text, emoji);
  });

  test('frames not valid in the current state get invalid_state', async () => {
    const client = await stack.connect(0);
    for (const frame of [{ type: 'message', text: 'hi' }, { type: 'typing', typing: true }, { type: 'next' }, { type: 'report' }]) {
      client.send(frame);
      assert.equal((await client.next('error')).code, 'invalid_state');
    }
    client.send({ type: 'join' });
    await client.next('waiting');
    client.send({ type: 'join' });
    assert.equal((await client.next('error')).code, 'invalid_state');
    client.send({ type: 'message', text: 'hi' });
    assert.equal((await client.next('error')).code, 'invalid_state');
  });

  test('a binary frame closes the connection with 1003', async () => {
    const client = await stack.connect(0);
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await client.waitClosed()).code, CloseCode.unsupportedData);
  });

  test('a frame over the size limit closes the connection with 1009', async () => {
    const client = await stack.connect(0);
    client.send({ type: 'message', text: 'x'.repeat(17 * 1024) });
    assert.equal((await client.waitClosed()).code, CloseCode.messageTooBig);
  });

  test('upgrades on unknown paths are refused with 404', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${stack.gateways[0]!.port}/nope`);
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('error', () => {});
    });
    assert.equal(status, 404);
  });
});

describe('http', () => {
  test('/healthz and /readyz answer 200 while running and connected', async () => {
    const base = `http://127.0.0.1:${stack.gateways[0]!.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });
});
