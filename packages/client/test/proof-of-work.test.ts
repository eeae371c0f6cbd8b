// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { startGateway, startMatcher, startTestRedis, type ServiceHandle, type TestRedisHandle } from '@strangers/testkit';
import { solveProof, StrangerClient, type ChallengeSolver } from '../src/index.ts';
import { solveProofNode } from '../src/node.ts';
import { nextEvent, record } from './events.ts';

// The SDK's proof-of-work support against a real gateway with PROOF_OF_WORK=on (a challenge
// at welcome, a harder one after a burst of `next`): with `solveProof` the app never
// sees the gate.

let redis: TestRedisHandle;
let services: ServiceHandle[] = [];
let gateway: ServiceHandle;
const clients: StrangerClient[] = [];

before(async () => {
  redis = await startTestRedis();
  const matcher = await startMatcher(redis.url);
  gateway = await startGateway(redis.url, {
    GATEWAY_ID: 'sdk-pow',
    PROOF_OF_WORK: 'on',
    POW_HMAC_KEY: 'sdk-test-hmac-key-0123456789',
    POW_DIFFICULTY: '2000',
    POW_ADAPTIVE_DIFFICULTY: '4000',
    NEXT_BURST_COUNT: '3',
    NEXT_BURST_ADDRESS_COUNT: '1000',
  });
  services = [matcher, gateway];
});

after(async () => {
  for (const client of clients) client.close({ leave: false });
  await Promise.all(services.map((service) => service.stop('SIGKILL')));
  await redis.stop();
});

async function connected(solveChallenge?: ChallengeSolver): Promise<StrangerClient> {
  const client = new StrangerClient({ url: `ws://127.0.0.1:${gateway.port}/ws`, WebSocket, ...(solveChallenge && { solveProof: solveChallenge }) });
  clients.push(client);
  await client.connect();
  return client;
}

test('with solveProof (Node and WebCrypto solvers) join and next carry proofs: the two chat, and a burst of next is answered', async () => {
  const a = await connected(solveProofNode);
  const b = await connected(solveProof);
  const errors = [...record(a, 'error'), ...record(b, 'error')];
  const aWaiting = nextEvent(a, 'waiting');
  await a.join({ interests: ['sdk-pow'] });
  await aWaiting;
  const [pairedA, pairedB] = [nextEvent(a, 'paired'), nextEvent(b, 'paired')];
  await b.join({ interests: ['sdk-pow'] });
  const [pa, pb] = await Promise.all([pairedA, pairedB]);
  assert.equal(pa.chat, pb.chat);
  const got = nextEvent(b, 'message');
  await a.send('proved by the SDK');
  assert.equal((await got).text, 'proved by the SDK');
  // A burst of `next` (3): the gateway sends a harder challenge; the SDK solves it and the following `next` carries its proof.
  const challenged = nextEvent(a, 'challenge');
  for (let i = 0; i < 3; i++) {
    const waiting = nextEvent(a, 'waiting');
    await a.next();
    await waiting;
  }
  await challenged;
  const waiting = nextEvent(a, 'waiting');
  await a.next();
  await waiting;
  assert.deepEqual(errors, [], 'no proof_required or other error');
});

test('without solveProof the app sees the challenge and the refusal (it can plug in its own solver, e.g. a Web Worker)', async () => {
  const client = await connected();
  const error = nextEvent(client, 'error');
  const challenge = nextEvent(client, 'challenge');
  await client.join();
  assert.equal((await error).code, 'proof_required');
  assert.equal(typeof (await challenge).challenge.signature, 'string');
  assert.equal(client.state, 'idle');
});
