import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { StrangerClient, StrangerClientError, type BackoffOptions } from '../src/index.ts';
import { nextEvent, record } from './events.ts';
import { ScriptedServer } from './scripted-server.ts';
import { pairedClient } from './scripted-session.ts';

// The server side of the resume handshake is scripted by hand over a real WebSocket, so
// each step of PROTOCOL.md "Resume" can be checked exactly.

let server: ScriptedServer;
const clients: StrangerClient[] = [];

before(async () => {
  server = await ScriptedServer.start();
});

after(async () => {
  for (const client of clients) client.close({ leave: false });
  await server.stop();
});

function newClient(backoff: BackoffOptions = { initialMs: 10, maxMs: 100 }): StrangerClient {
  const client = new StrangerClient({ url: server.url, WebSocket, backoff });
  clients.push(client);
  return client;
}

test('resumes with the token and the highest partner seq, and never emits a seq twice', async () => {
  const client = newClient();
  const { conn, token } = await pairedClient(server, client);
  const messages = record(client, 'message');
  const third = nextEvent(client, 'message', (m) => m.seq === 3);
  conn.send({ type: 'message', text: 'one', seq: 1, ts: 1 });
  conn.send({ type: 'message', text: 'three', seq: 3, ts: 3 });
  await third;

  const reconnecting = nextEvent(client, 'reconnecting');
  const index = server.connections.length;
  conn.socket.terminate();
  const { attempt } = await reconnecting;
  assert.equal(attempt, 1);
  assert.equal(client.status, 'reconnecting');

  const resumedConn = await server.connection(index);
  assert.equal(resumedConn.url.pathname, '/ws');
  assert.equal(resumedConn.url.searchParams.get('resume'), token);
  assert.equal(resumedConn.url.searchParams.get('last'), '3');

  const resumed = nextEvent(client, 'resumed');
  const fourth = nextEvent(client, 'message', (m) => m.seq === 4);
  resumedConn.send({ type: 'resumed', state: 'paired', chat: 'chat-1', resumeToken: 'next-token', recovered: true });
  // An overlapping replay: 2 and 3 are at or below what was seen and must be dropped.
  resumedConn.send({ type: 'message', text: 'two', seq: 2, ts: 2 });
  resumedConn.send({ type: 'message', text: 'three', seq: 3, ts: 3 });
  resumedConn.send({ type: 'message', text: 'four', seq: 4, ts: 4 });
  assert.deepEqual(await resumed, { state: 'paired', chat: 'chat-1', recovered: true });
  await fourth;
  assert.deepEqual(
    messages.map((m) => [m.seq, m.text]),
    [
      [1, 'one'],
      [3, 'three'],
      [4, 'four'],
    ],
  );
  assert.equal(client.status, 'open');
  assert.equal(client.state, 'paired');
  assert.equal(client.chat, 'chat-1');
});

test('rejects sends that were not acknowledged when the socket dropped, then sends again after resume', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const acked = client.send('stored');
  const ackedFrame = await conn.nextFrame('message');
  conn.send({ type: 'ack', id: ackedFrame.id, seq: 1 });
  assert.deepEqual(await acked, { seq: 1 });

  const lost = client.send('in flight');
  await conn.nextFrame('message');
  const index = server.connections.length;
  conn.socket.terminate();
  await assert.rejects(lost, (error: unknown) => error instanceof StrangerClientError && error.code === 'connection_lost');
  await assert.rejects(client.send('while away'), (error: unknown) => error instanceof StrangerClientError && error.code === 'not_connected');

  const resumedConn = await server.connection(index);
  const resumed = nextEvent(client, 'resumed');
  resumedConn.send({ type: 'resumed', state: 'paired', chat: 'chat-1', resumeToken: 'next-token', recovered: true });
  await resumed;
  const retried = client.send('in flight');
  const frame = await resumedConn.nextFrame('message');
  assert.equal(frame.text, 'in flight');
  resumedConn.send({ type: 'ack', id: frame.id, seq: 3 });
  assert.deepEqual(await retried, { seq: 3 });
});

test('an id-less send error is attributed to the oldest pending send', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const first = client.send('a');
  const second = client.send('b');
  await conn.nextFrame('message');
  const secondFrame = await conn.nextFrame('message');
  const errors = record(client, 'error');
  conn.send({ type: 'error', code: 'rate_limited', message: 'slow down' });
  conn.send({ type: 'ack', id: secondFrame.id, seq: 1 });
  await assert.rejects(first, (error: unknown) => error instanceof StrangerClientError && error.code === 'rate_limited');
  assert.deepEqual(await second, { seq: 1 });
  assert.deepEqual(errors, [], 'a correlated error is not also emitted as an event');
});

test('resume_failed and a fresh welcome end the chat and start a new session', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const index = server.connections.length;
  conn.socket.terminate();
  const retry = await server.connection(index);

  const ended = nextEvent(client, 'chat_ended');
  const welcome = nextEvent(client, 'welcome');
  const error = nextEvent(client, 'error');
  retry.send({ type: 'error', code: 'resume_failed', message: 'unknown or expired resume token' });
  retry.send({ type: 'welcome', session: 'fresh', resumeToken: 'fresh-token', online: 1 });
  assert.deepEqual(await ended, { reason: 'resume_failed' });
  assert.equal((await error).code, 'resume_failed');
  assert.deepEqual(await welcome, { session: 'fresh', online: 1 });
  assert.equal(client.state, 'idle');
  assert.equal(client.chat, undefined);
  assert.equal(client.session, 'fresh');

  // The next drop resumes the new session, from nothing seen.
  retry.socket.terminate();
  const third = await server.connection(index + 1);
  assert.equal(third.url.searchParams.get('resume'), 'fresh-token');
  assert.equal(third.url.searchParams.get('last'), '0');
});

test('a plain welcome answering a resume (a gateway without resume) also ends the chat', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const index = server.connections.length;
  conn.socket.terminate();
  const retry = await server.connection(index);
  const ended = nextEvent(client, 'chat_ended');
  retry.send({ type: 'welcome', session: 'other', resumeToken: 'other-token', online: 1 });
  assert.deepEqual(await ended, { reason: 'resume_failed' });
  assert.equal(client.state, 'idle');
  assert.equal(client.status, 'open');
});

test('a chat that ended while away is reported, with the state the server resumed into', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const index = server.connections.length;
  conn.socket.terminate();
  const retry = await server.connection(index);
  const ended = nextEvent(client, 'chat_ended');
  const waiting = nextEvent(client, 'waiting');
  retry.send({ type: 'resumed', state: 'waiting', resumeToken: 'next-token', recovered: true });
  assert.deepEqual(await ended, { reason: 'ended_while_away' });
  await waiting;
  assert.equal(client.state, 'waiting');
  assert.equal(client.chat, undefined);
});

test('backs off with growing, jittered delays while the server refuses', async () => {
  const backoff = { initialMs: 20, maxMs: 1000, factor: 2 };
  const client = newClient(backoff);
  const { conn } = await pairedClient(server, client);
  const attempts = record(client, 'reconnecting');
  const index = server.connections.length;
  server.refuseNext = 3;
  conn.socket.terminate();
  const retry = await server.connection(index);
  retry.send({ type: 'resumed', state: 'paired', chat: 'chat-1', resumeToken: 'next-token', recovered: true });
  await nextEvent(client, 'resumed');
  assert.deepEqual(
    attempts.map((a) => a.attempt),
    [1, 2, 3, 4],
  );
  for (const [i, { delayMs }] of attempts.entries()) {
    const full = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** i);
    assert.ok(delayMs >= full / 2 && delayMs <= full, `attempt ${i + 1}: ${delayMs} ms not in [${full / 2}, ${full}]`);
  }
  assert.equal(new Set(attempts.map((a) => a.since)).size, 1, 'since is the time of the first drop');
});

test('a draining gateway (1012) is left for another at once', async () => {
  const client = newClient({ initialMs: 5000, maxMs: 5000 });
  const { conn } = await pairedClient(server, client);
  const reconnecting = nextEvent(client, 'reconnecting');
  conn.socket.close(1012, 'gateway restarting');
  const event = await reconnecting;
  assert.equal(event.code, 1012);
  assert.equal(event.delayMs, 0);
});

test('gives up after maxAttempts and reports closed', async () => {
  const client = newClient({ initialMs: 5, maxMs: 10, maxAttempts: 2 });
  const { conn } = await pairedClient(server, client);
  server.refuseNext = 2;
  const closed = nextEvent(client, 'closed');
  conn.socket.terminate();
  await closed;
  assert.equal(client.status, 'closed');
  assert.equal(client.state, 'idle');
  server.refuseNext = 0;
});

test('close() sends leave, closes, and does not reconnect', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client);
  const attempts = record(client, 'reconnecting');
  const closed = nextEvent(client, 'closed');
  const socketClosed = new Promise<number>((resolve) => conn.socket.once('close', (code: number) => resolve(code)));
  client.close();
  await conn.nextFrame('leave');
  assert.equal(await socketClosed, 1000);
  assert.deepEqual(await closed, { code: 1000, reason: 'client closed' });
  assert.deepEqual(attempts, []);
});

test('the first connection failing rejects connect()', async () => {
  const client = newClient();
  server.refuseNext = 1;
  await assert.rejects(client.connect(), (error: unknown) => error instanceof StrangerClientError && error.code === 'not_connected');
  assert.equal(client.status, 'disconnected');
});
