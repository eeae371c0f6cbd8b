import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { startGateway, startMatcher, startTestRedis, type TestRedisHandle, type ServiceHandle } from '@strangers/testkit';
import { StrangerClient, StrangerClientError } from '../src/index.ts';
import { nextEvent, record } from './events.ts';

// The SDK against the real stack: a private redis-server, the matcher and two gateway
// processes. Each client pair sits on different gateways.

let redis: TestRedisHandle;
let services: ServiceHandle[] = [];
let gateways: ServiceHandle[] = [];
const clients: StrangerClient[] = [];

before(async () => {
  redis = await startTestRedis();
  const matcher = await startMatcher(redis.url);
  gateways = await Promise.all([0, 1].map((i) => startGateway(redis.url, { GATEWAY_ID: `sdk-gw-${i}` })));
  services = [matcher, ...gateways];
});

after(async () => {
  for (const client of clients) client.close({ leave: false });
  await Promise.all(services.map((service) => service.stop('SIGKILL')));
  await redis.stop();
});

async function connected(gateway: number): Promise<StrangerClient> {
  const client = new StrangerClient({ url: `ws://127.0.0.1:${gateways[gateway]!.port}/ws`, WebSocket });
  clients.push(client);
  const welcome = await client.connect();
  assert.equal(welcome.resumed, false);
  assert.match(client.session ?? '', /.+/);
  return client;
}

async function pair(interests: string[] = []): Promise<[StrangerClient, StrangerClient]> {
  const a = await connected(0);
  const b = await connected(1);
  const aWaiting = nextEvent(a, 'waiting');
  await a.join({ interests });
  await aWaiting;
  const pairedA = nextEvent(a, 'paired');
  const pairedB = nextEvent(b, 'paired');
  b.join({ interests });
  const [pa, pb] = await Promise.all([pairedA, pairedB]);
  assert.equal(pa.chat, pb.chat);
  return [a, b];
}

test('pairs across gateways with shared interests; messages flow both ways with acks in seq order', async () => {
  const [a, b] = await pair(['sdk-music', 'Go ']);
  assert.deepEqual([...a.interests].sort(), ['go', 'sdk-music']);
  assert.equal(a.state, 'paired');

  const received = record(b, 'message');
  const lastAtB = nextEvent(b, 'message', (m) => m.text === 'a3');
  const acks = await Promise.all(['a1', 'a2', 'a3'].map((text) => a.send(text)));
  const seqs = acks.map((ack) => ack.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
  await lastAtB;
  assert.deepEqual(
    received.map((m) => [m.text, m.seq]),
    [
      ['a1', seqs[0]],
      ['a2', seqs[1]],
      ['a3', seqs[2]],
    ],
  );

  const atA = nextEvent(a, 'message');
  const reply = await b.send('hi from b');
  const message = await atA;
  assert.equal(message.text, 'hi from b');
  assert.equal(message.seq, reply.seq);
  assert.ok(reply.seq > seqs[2]!);
  assert.equal(a.lastSeq, reply.seq);
});

test('typing is forwarded to the partner', async () => {
  const [a, b] = await pair();
  const typing = nextEvent(b, 'typing');
  a.typing(true);
  assert.deepEqual(await typing, { typing: true });
  const stopped = nextEvent(b, 'typing');
  a.typing(false);
  assert.deepEqual(await stopped, { typing: false });
});

test('a server refusal of a message rejects that send, and the next send still works', async () => {
  const [a] = await pair();
  await assert.rejects(a.send('x'.repeat(2001)), (error: unknown) => error instanceof StrangerClientError && error.code === 'text_too_long');
  assert.ok((await a.send('short')).seq > 0);
  await assert.rejects(a.send(''), (error: unknown) => error instanceof StrangerClientError && error.code === 'invalid_text');
});

test('next ends the chat for the partner and puts both back in the queue', async () => {
  const [a, b] = await pair();
  const left = nextEvent(b, 'partner_left');
  const bWaiting = nextEvent(b, 'waiting');
  const aWaiting = nextEvent(a, 'waiting');
  a.next();
  assert.equal(a.state, 'waiting');
  assert.deepEqual(await left, { reason: 'next' });
  await Promise.all([aWaiting, bWaiting]);
  await assert.rejects(a.send('nobody'), (error: unknown) => error instanceof StrangerClientError && error.code === 'not_paired');
  a.leave();
  b.leave();
});

test('leave tells the partner "left"; report tells them "reported"', async () => {
  const [a, b] = await pair();
  const left = nextEvent(b, 'partner_left');
  a.leave();
  assert.equal(a.state, 'idle');
  assert.deepEqual(await left, { reason: 'left' });
  b.leave();

  const [c, d] = await pair();
  const reported = nextEvent(d, 'partner_left');
  await c.report({ category: 'spam', reason: 'spam' });
  assert.deepEqual(await reported, { reason: 'reported' });
  c.leave();
  d.leave();
});

test('join without interests and with requeue off: a partner leaving leaves us idle', async () => {
  const a = await connected(0);
  const b = await connected(1);
  const waiting = nextEvent(a, 'waiting');
  a.join({ requeue: false });
  await waiting;
  const paired = nextEvent(a, 'paired');
  b.join({ requeue: false });
  await paired;
  const states = record(a, 'state');
  const left = nextEvent(a, 'partner_left');
  b.leave();
  await left;
  assert.equal(a.state, 'idle');
  assert.deepEqual(states, [{ state: 'idle', previous: 'paired' }]);
});

test('two holders of one token: the newer one takes the chat over, the older one stops and says so', async () => {
  const [a, b] = await pair(['sdk-takeover']);
  const seen = nextEvent(b, 'message', (m) => m.text === 'from a');
  await a.send('from a');
  await seen;
  const aAttempts = record(a, 'reconnecting');
  const stopped = nextEvent(a, 'stopped');
  const aClosed = nextEvent(a, 'closed');

  // Another tab with A's saved session, on the other gateway.
  const other = new StrangerClient({ url: `ws://127.0.0.1:${gateways[1]!.port}/ws`, WebSocket });
  clients.push(other);
  const chat = a.chat;
  const result = await other.connect({ resume: { token: a.resumeToken!, last: a.lastSeq, chat } });
  assert.deepEqual(result, { resumed: true, state: 'paired', chat });
  const { cause, code } = await stopped;
  assert.deepEqual({ cause, code }, { cause: 'taken_over', code: 4001 });
  await aClosed;
  assert.equal(a.status, 'closed');

  // The chat goes on with the new holder, both ways; the old one never came back.
  const atOther = nextEvent(other, 'message', (m) => m.text === 'to the new tab');
  await b.send('to the new tab');
  await atOther;
  const atB = nextEvent(b, 'message', (m) => m.text === 'from the new tab');
  await other.send('from the new tab');
  await atB;
  assert.equal(other.status, 'open');
  assert.deepEqual(aAttempts, [], 'the old holder did not reconnect');
  other.leave();
  b.leave();
});

test('resumes on another gateway after its own is killed; nothing acked is lost or repeated', async (t) => {
  const doomed = await startGateway(redis.url, { GATEWAY_ID: 'sdk-gw-doomed' });
  services.push(doomed);
  const a = await connected(0);
  let target = doomed.port;
  const b = new StrangerClient({ url: () => `ws://127.0.0.1:${target}/ws`, WebSocket, backoff: { initialMs: 50, maxMs: 500 } });
  clients.push(b);
  await b.connect();
  const waiting = nextEvent(a, 'waiting');
  a.join({ interests: ['sdk-resume'] });
  await waiting;
  const pairedA = nextEvent(a, 'paired');
  const pairedB = nextEvent(b, 'paired');
  b.join({ interests: ['sdk-resume'] });
  await Promise.all([pairedA, pairedB]);

  const atB = record(b, 'message');
  const departures = record(a, 'partner_left');
  const first = nextEvent(b, 'message', (m) => m.text === 'before');
  await a.send('before');
  await first;

  const resumed = nextEvent(b, 'resumed', () => true, 30_000).catch(() => undefined);
  const reconnecting = nextEvent(b, 'reconnecting');
  target = gateways[0]!.port;
  await doomed.stop('SIGKILL');
  await reconnecting;
  const during = await a.send('during');
  const state = await resumed;
  if (!state) {
    t.skip('the gateways do not implement server-side resume');
    return;
  }
  assert.equal(state.state, 'paired');
  const after = nextEvent(b, 'message', (m) => m.text === 'after');
  await a.send('after');
  await after;
  assert.deepEqual(
    atB.map((m) => m.text),
    ['before', 'during', 'after'],
  );
  assert.ok(atB.some((m) => m.seq === during.seq));
  assert.deepEqual(departures, [], 'the partner never saw the drop');
  const back = nextEvent(a, 'message');
  await b.send('b is back');
  assert.equal((await back).text, 'b is back');
});
