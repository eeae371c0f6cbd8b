import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { isStaleChat, StrangerClient, StrangerClientError } from '../src/index.ts';
import { nextEvent, record } from './events.ts';
import { ScriptedServer } from './scripted-server.ts';
import { pairedClient } from './scripted-session.ts';

// PROTOCOL.md v1.1 from the client's side, over a real WebSocket to a scripted server (the
// gateway does not implement all of v1.1 yet): chat-scoped frames, error ids, stale_chat,
// rotated resume tokens, close-code advice and the new server frames.

let server: ScriptedServer;
const clients: StrangerClient[] = [];

before(async () => {
  server = await ScriptedServer.start();
});

after(async () => {
  for (const client of clients) client.close({ leave: false });
  await server.stop();
});

function newClient(): StrangerClient {
  const client = new StrangerClient({ url: server.url, WebSocket, backoff: { initialMs: 10, maxMs: 100 } });
  clients.push(client);
  return client;
}

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => error instanceof StrangerClientError && error.code === code;
}

test('message, typing, report and next carry the chat they were written for', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client, 'chat-a');
  void client.send('hi');
  assert.equal((await conn.nextFrame('message')).chat, 'chat-a');
  await client.typing(true);
  assert.deepEqual(await conn.nextFrame('typing'), { type: 'typing', typing: true, chat: 'chat-a' });
  await client.next();
  assert.deepEqual(await conn.nextFrame('next'), { type: 'next', chat: 'chat-a' });
  // Searching (no chat): a next has no chat to name.
  await client.next();
  assert.deepEqual(await conn.nextFrame('next'), { type: 'next' });
  conn.send({ type: 'paired', chat: 'chat-b', interests: [] });
  await nextEvent(client, 'paired');
  await client.report({ category: 'spam', reason: 'ads' });
  assert.deepEqual(await conn.nextFrame('report'), { type: 'report', chat: 'chat-b', category: 'spam', reason: 'ads' });
});

test('an error echoing an id rejects that send, not the oldest one', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const first = client.send('one');
  const second = client.send('two');
  const firstFrame = await conn.nextFrame('message');
  const secondFrame = await conn.nextFrame('message');
  const errors = record(client, 'error');
  conn.send({ type: 'error', code: 'blocked', message: 'refused by the filter', id: secondFrame.id });
  conn.send({ type: 'ack', id: firstFrame.id, seq: 1 });
  await assert.rejects(second, rejectsWith('blocked'));
  assert.deepEqual(await first, { seq: 1 });
  assert.deepEqual(errors, []);
});

test('stale_chat rejects the send it answers and is announced as stale_chat, not as an error', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const errors = record(client, 'error');
  const stale = record(client, 'stale_chat');
  const sent = client.send('for the chat that just ended');
  const frame = await conn.nextFrame('message');
  conn.send({ type: 'error', code: 'stale_chat', message: 'that chat has ended', id: frame.id });
  await assert.rejects(sent, (error: unknown) => isStaleChat(error));
  assert.deepEqual(stale, [{ id: frame.id, message: 'that chat has ended' }]);

  // Without an id it answers a typing/next/report: a pending send is not blamed for it.
  const pending = client.send('still pending');
  const pendingFrame = await conn.nextFrame('message');
  const announced = nextEvent(client, 'stale_chat', (event) => event.id === undefined);
  conn.send({ type: 'error', code: 'stale_chat', message: 'that chat has ended' });
  await announced;
  conn.send({ type: 'ack', id: pendingFrame.id, seq: 2 });
  assert.deepEqual(await pending, { seq: 2 });
  assert.deepEqual(errors, []);
});

test('a resume token rotated by `resumed` is the one used next time (and announced)', async () => {
  const client = newClient();
  const { conn, token } = await pairedClient(server, client);
  const tokens = record(client, 'resume_token');
  let index = server.connections.length;
  conn.socket.terminate();
  const second = await server.connection(index);
  assert.equal(second.url.searchParams.get('resume'), token);
  const resumed = nextEvent(client, 'resumed');
  second.send({ type: 'resumed', state: 'paired', chat: 'chat-1', resumeToken: 'rotated-1', recovered: false });
  assert.deepEqual(await resumed, { state: 'paired', chat: 'chat-1', recovered: false });
  assert.equal(client.resumeToken, 'rotated-1');
  assert.deepEqual(tokens, [{ token: 'rotated-1' }]);

  index = server.connections.length;
  second.socket.terminate();
  const third = await server.connection(index);
  assert.equal(third.url.searchParams.get('resume'), 'rotated-1');
  third.send({ type: 'resumed', state: 'paired', chat: 'chat-1', resumeToken: 'rotated-2', recovered: true });
  await nextEvent(client, 'resumed');
  assert.equal(client.resumeToken, 'rotated-2');

  index = server.connections.length;
  third.socket.terminate();
  assert.equal((await server.connection(index)).url.searchParams.get('resume'), 'rotated-2');
});

test('connect({ resume }) picks up a saved session: same chat, no new "paired", replay after `last`', async () => {
  const client = newClient();
  const paired = record(client, 'paired');
  const index = server.connections.length;
  const connected = client.connect({ resume: { token: 'saved-token', last: 4, chat: 'chat-saved' } });
  const conn = await server.connection(index);
  assert.equal(conn.url.searchParams.get('resume'), 'saved-token');
  assert.equal(conn.url.searchParams.get('last'), '4');
  const replayed = nextEvent(client, 'message');
  conn.send({ type: 'resumed', state: 'paired', chat: 'chat-saved', resumeToken: 'saved-token-2', recovered: true });
  conn.send({ type: 'message', text: 'old', seq: 4, ts: 4 });
  conn.send({ type: 'message', text: 'new', seq: 5, ts: 5 });
  assert.deepEqual(await connected, { resumed: true, state: 'paired', chat: 'chat-saved' });
  assert.equal((await replayed).text, 'new');
  assert.equal(client.state, 'paired');
  assert.equal(client.chat, 'chat-saved');
  assert.deepEqual(paired, []);
  void client.send('back');
  assert.equal((await conn.nextFrame('message')).chat, 'chat-saved');
});

test('connect({ resume }) with a session that is gone ends the saved chat and starts afresh', async () => {
  const client = newClient();
  const index = server.connections.length;
  const ended = nextEvent(client, 'chat_ended');
  const connected = client.connect({ resume: { token: 'expired', chat: 'chat-gone' } });
  const conn = await server.connection(index);
  conn.send({ type: 'error', code: 'resume_failed', message: 'unknown or expired resume token' });
  conn.send({ type: 'welcome', session: 'fresh', resumeToken: 'fresh-token', online: 3 });
  assert.deepEqual(await connected, { resumed: false, session: 'fresh', online: 3 });
  assert.deepEqual(await ended, { reason: 'resume_failed' });
  assert.equal(client.chat, undefined);
  assert.equal(client.resumeToken, 'fresh-token');
});

test('4001 (taken over) stops the session: stopped, closed, and no reconnect', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const attempts = record(client, 'reconnecting');
  const stopped = nextEvent(client, 'stopped');
  const closed = nextEvent(client, 'closed');
  const connectionsBefore = server.connections.length;
  conn.socket.close(4001, 'session resumed on another connection');
  assert.deepEqual(await stopped, { cause: 'taken_over', code: 4001, reason: 'session resumed on another connection', ban: undefined });
  assert.deepEqual(await closed, { code: 4001, reason: 'session resumed on another connection' });
  assert.equal(client.status, 'closed');
  assert.equal(client.state, 'idle');
  assert.equal(client.resumeToken, undefined);
  await assert.rejects(client.send('anyone?'), rejectsWith('not_connected'));
  assert.deepEqual(attempts, []);
  assert.equal(server.connections.length, connectionsBefore);
});

test('a banned frame then 4003: the statement is surfaced, and the session stops with it', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const attempts = record(client, 'reconnecting');
  const statement = { ban: 'b-1', reason: 'spam', until: 1_900_000_000_000, appeal: 'https://example.test/appeal/b-1' };
  const banned = nextEvent(client, 'banned');
  const stopped = nextEvent(client, 'stopped');
  conn.send({ type: 'banned', ...statement });
  assert.deepEqual(await banned, statement);
  conn.socket.close(4003, 'banned');
  assert.deepEqual(await stopped, { cause: 'banned', code: 4003, reason: 'banned', ban: statement });
  assert.equal(client.status, 'closed');
  assert.deepEqual(attempts, []);
});

test('the v1.1 server frames arrive as typed events', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const offer = nextEvent(client, 'rematch_offer');
  const challenge = nextEvent(client, 'challenge');
  const signal = nextEvent(client, 'signal');
  const ice = nextEvent(client, 'ice');
  conn.send({ type: 'rematch_offer', chat: 'chat-0' });
  conn.send({ type: 'challenge', challenge: { algorithm: 'SHA-256', salt: 's' } });
  conn.send({ type: 'signal', data: { sdp: 'v=0' } });
  conn.send({ type: 'ice', ice: [{ urls: ['turn:turn.example.test'], username: 'u', credential: 'c' }] });
  assert.deepEqual(await offer, { chat: 'chat-0' });
  assert.deepEqual(await challenge, { challenge: { algorithm: 'SHA-256', salt: 's' } });
  assert.deepEqual(await signal, { data: { sdp: 'v=0' } });
  assert.deepEqual(await ice, { ice: [{ urls: ['turn:turn.example.test'], username: 'u', credential: 'c' }], iceTransportPolicy: undefined });
  const paired = nextEvent(client, 'paired');
  await client.next();
  conn.send({ type: 'paired', chat: 'chat-v', interests: [], media: 'video', role: 'offer', ice: [{ urls: ['stun:s.example.test'] }] });
  assert.deepEqual(await paired, { chat: 'chat-v', interests: [], media: 'video', role: 'offer', ice: [{ urls: ['stun:s.example.test'] }] });
});

test('every refusal is a rejected promise, never a synchronous throw', async () => {
  const client = newClient();
  const calls: [string, () => Promise<unknown>, string][] = [
    ['join while disconnected', () => client.join(), 'not_connected'],
    ['send while disconnected', () => client.send('x'), 'not_connected'],
    ['leave while disconnected', () => client.leave(), 'not_connected'],
    ['next while idle', () => client.next(), 'invalid_state'],
    ['report while idle', () => client.report(), 'not_paired'],
    ['join with bad interests', () => client.join({ interests: 'music' as unknown as string[] }), 'invalid_argument'],
    ['typing with a non-boolean', () => client.typing('yes' as unknown as boolean), 'invalid_argument'],
    ['send with no text', () => client.send(''), 'invalid_text'],
    ['report with a long reason', () => client.report({ reason: 'x'.repeat(201) }), 'invalid_argument'],
    ['connect with an empty saved token', () => client.connect({ resume: { token: '' } }), 'invalid_argument'],
  ];
  for (const [what, call, code] of calls) {
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = call();
    }, what);
    await assert.rejects(promise!, rejectsWith(code), what);
  }
  const noSocket = new StrangerClient({ url: server.url, WebSocket: undefined });
  if (!('WebSocket' in globalThis)) await assert.rejects(noSocket.connect(), rejectsWith('not_connected'));
  const { conn } = await pairedClient(server, client);
  await assert.rejects(client.join(), rejectsWith('invalid_state'));
  void conn;
});
