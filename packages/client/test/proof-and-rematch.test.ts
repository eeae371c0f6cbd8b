import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ProofOfWork } from '@strangers/safety';
import { solveProofNode } from '@strangers/safety/solver/node';
import { startTestRedis, type TestRedisHandle } from '@strangers/testkit';
import { WebSocket } from 'ws';
import { StrangerClient, StrangerClientError, type StrangerClientOptions } from '../src/index.ts';
import { nextEvent, record } from './events.ts';
import { ScriptedServer } from './scripted-server.ts';
import { pairedClient } from './scripted-session.ts';

// Proof of work (PROTOCOL.md §3) and rematch (§1) from the client's side, over a real
// WebSocket to a scripted server; the proofs are made and checked by the real ProofOfWork
// of @strangers/safety on a real Redis, and solved by its real Node solver.

let server: ScriptedServer;
let redis: TestRedisHandle;
let pow: ProofOfWork;
const clients: StrangerClient[] = [];

before(async () => {
  server = await ScriptedServer.start();
  redis = await startTestRedis();
  pow = new ProofOfWork({ hmacKey: 'client-test-hmac-key-0123', expiresMs: 60_000, redis: redis.client() });
});

after(async () => {
  for (const client of clients) client.close({ leave: false });
  await server.stop();
  await redis.stop();
});

function newClient(options: Partial<StrangerClientOptions> = {}): StrangerClient {
  const client = new StrangerClient({ url: server.url, WebSocket, backoff: { initialMs: 10, maxMs: 100 }, ...options });
  clients.push(client);
  return client;
}

async function welcomed(client: StrangerClient, extra: Record<string, unknown> = {}) {
  const index = server.connections.length;
  const connected = client.connect();
  const conn = await server.connection(index);
  conn.send({ type: 'welcome', session: `s-${index}`, resumeToken: `t-${index}`, online: 1, ...extra });
  await connected;
  return conn;
}

test('with solveProof, the welcome challenge is solved and join carries a proof the real verifier accepts', async () => {
  const client = newClient({ solveProof: solveProofNode });
  const challenge = await pow.createChallenge(2000);
  const conn = await welcomed(client, { challenge });
  await client.join({ interests: ['pow'], lang: ['EN'], adult: true, media: 'text' });
  const join = await conn.nextFrame('join');
  assert.equal(typeof join.proof, 'string');
  assert.deepEqual({ ...join, proof: undefined }, { type: 'join', interests: ['pow'], lang: ['en'], adult: true, media: 'text', proof: undefined });
  assert.deepEqual(await pow.verify(join.proof as string), { ok: true, difficulty: 2000 });
  // Single-use: the next join after a leave goes without one.
  conn.send({ type: 'waiting', online: 1 });
  await nextEvent(client, 'waiting');
  await client.leave();
  await client.join();
  assert.deepEqual(await conn.nextFrame('join'), { type: 'join' });
});

test('proof_required then a fresh challenge: the refused next is sent again with a proof, and no error reaches the app', async () => {
  const client = newClient({ solveProof: solveProofNode });
  const conn = await welcomed(client);
  const errors = record(client, 'error');
  await client.join();
  await conn.nextFrame('join');
  conn.send({ type: 'paired', chat: 'c-1', interests: [] });
  await nextEvent(client, 'paired');
  await client.next();
  assert.deepEqual(await conn.nextFrame('next'), { type: 'next', chat: 'c-1' });
  conn.send({ type: 'error', code: 'proof_required', message: 'solve the challenge first' });
  conn.send({ type: 'challenge', challenge: await pow.createChallenge(3000) });
  const again = await conn.nextFrame('next', 10_000);
  assert.equal(again.chat, 'c-1');
  assert.deepEqual(await pow.verify(again.proof as string), { ok: true, difficulty: 3000 });
  assert.deepEqual(errors, []);
});

test('a challenge frame arriving first makes the next next wait for its proof', async () => {
  const client = newClient({ solveProof: solveProofNode });
  const conn = await welcomed(client);
  await client.join();
  await conn.nextFrame('join');
  conn.send({ type: 'waiting', online: 1 });
  await nextEvent(client, 'waiting');
  const challenged = nextEvent(client, 'challenge');
  conn.send({ type: 'challenge', challenge: await pow.createChallenge(2000) });
  await challenged;
  await client.next();
  const next = await conn.nextFrame('next');
  assert.deepEqual(await pow.verify(next.proof as string), { ok: true, difficulty: 2000 });
});

test('without a solver, the challenge is an event and the proof goes in by hand; a failing solver is announced', async () => {
  const manual = newClient();
  const challenge = await pow.createChallenge(1000);
  const seen = nextEvent(manual, 'challenge');
  const conn = await welcomed(manual, { challenge });
  assert.deepEqual((await seen).challenge, challenge);
  await manual.join({ proof: await solveProofNode((await seen).challenge as never) });
  assert.equal((await pow.verify((await conn.nextFrame('join')).proof as string)).ok, true);
  await assert.rejects(manual.next({ proof: '' }), (error: unknown) => error instanceof StrangerClientError && error.code === 'invalid_argument');

  const failing = newClient({ solveProof: () => Promise.reject(new Error('no time to solve')) });
  const failed = nextEvent(failing, 'proof_failed');
  const conn2 = await welcomed(failing, { challenge: await pow.createChallenge(1000) });
  assert.deepEqual(await failed, { message: 'no time to solve' });
  await failing.join();
  assert.deepEqual(await conn2.nextFrame('join'), { type: 'join' });
});

test('join refuses bad matching fields locally', async () => {
  const client = newClient();
  await welcomed(client);
  for (const bad of [{ lang: ['eng'] }, { lang: ['en', 'es', 'fr', 'de'] }, { adult: 'yes' }, { media: 'hologram' }]) {
    await assert.rejects(client.join(bad as never), (error: unknown) => error instanceof StrangerClientError && error.code === 'invalid_argument');
  }
});

test('rematch asks for the chat that just ended; the offer and the rematched pairing arrive as typed events', async () => {
  const client = newClient();
  const { conn } = await pairedClient(server, client, 'chat-r');
  await assert.rejects(client.rematch(), (error: unknown) => error instanceof StrangerClientError && error.code === 'invalid_state');
  const left = nextEvent(client, 'partner_left');
  conn.send({ type: 'partner_left', reason: 'next' });
  await left;
  assert.equal(client.previousChat, 'chat-r');
  const offer = nextEvent(client, 'rematch_offer');
  conn.send({ type: 'rematch_offer', chat: 'chat-r' });
  assert.deepEqual(await offer, { chat: 'chat-r' });
  await client.rematch();
  assert.deepEqual(await conn.nextFrame('rematch'), { type: 'rematch', chat: 'chat-r' });
  const paired = nextEvent(client, 'paired');
  conn.send({ type: 'paired', chat: 'chat-r2', interests: [], rematch: true });
  assert.deepEqual(await paired, { chat: 'chat-r2', interests: [], rematch: true });
  // After our own next, the chat we left is the one to ask back.
  await client.next();
  await client.rematch();
  assert.deepEqual(await conn.nextFrame('rematch'), { type: 'rematch', chat: 'chat-r2' });
  await assert.rejects(client.rematch(''), (error: unknown) => error instanceof StrangerClientError && error.code === 'invalid_argument');
});
