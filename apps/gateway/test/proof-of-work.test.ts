// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '@strangers/protocol';
import type { Challenge } from '@strangers/safety';
import { solveProofNode } from '@strangers/safety/solver/node';
import { startGateway, startMatcher, startTestRedis, waitFor, type ServiceHandle, type TestClient, type TestRedisHandle } from '@strangers/testkit';
import { connectTo, metricValue } from './safety-stack.js';

/**
 * The proof-of-work gate on a real stack (PROTOCOL.md §3): `on` asks a proof before the
 * first join; `adaptive` asks nothing until a burst of `next`.
 */
const HMAC_KEY = 'test-pow-hmac-key-0123456789';
const BURST = 4;

let redis: TestRedisHandle;
let matcher: ServiceHandle;
/** PROOF_OF_WORK=on, easy challenges that expire after 2 s. */
let gateOn: ServiceHandle;
/** PROOF_OF_WORK=adaptive, a burst of BURST `next` within a minute asks a proof. */
let adaptive: ServiceHandle;
const clients: TestClient[] = [];

before(async () => {
  redis = await startTestRedis();
  matcher = await startMatcher(redis.url);
  const common = { POW_HMAC_KEY: HMAC_KEY, POW_DIFFICULTY: '3000', POW_ADAPTIVE_DIFFICULTY: '6000' };
  [gateOn, adaptive] = await Promise.all([
    startGateway(redis.url, { GATEWAY_ID: 'gw-pow-on', PROOF_OF_WORK: 'on', POW_EXPIRES_MS: '2000', ...common }),
    startGateway(redis.url, {
      GATEWAY_ID: 'gw-pow-adaptive',
      PROOF_OF_WORK: 'adaptive',
      NEXT_BURST_COUNT: String(BURST),
      NEXT_BURST_ADDRESS_COUNT: '1000',
      NEXT_BURST_WINDOW_MS: '60000',
      ...common,
    }),
  ]);
});

after(async () => {
  for (const client of clients) client.terminate();
  await Promise.all([gateOn, adaptive, matcher].map((service) => service?.stop('SIGKILL')));
  await redis?.stop();
});

const challengeOf = (frame: Record<string, unknown>) => frame.challenge as Challenge;

describe('PROOF_OF_WORK=on', () => {
  test('welcome carries a challenge; a join without a proof is refused with a message for wscat users and a fresh challenge', async () => {
    const { client, welcome } = await connectTo(gateOn, clients);
    assert.equal(typeof challengeOf(welcome).signature, 'string');
    client.send({ type: 'join' });
    const error = await client.next('error');
    assert.equal(error.code, ErrorCode.proofRequired);
    assert.match(String(error.message), /requires a proof of work/);
    const challenge = await client.next('challenge');
    assert.notEqual(challengeOf(challenge).signature, challengeOf(welcome).signature);
    // Still idle: a message is not valid yet.
    client.send({ type: 'message', text: 'hi' });
    assert.equal((await client.next('error')).code, ErrorCode.invalidState);
  });

  test('a join with a valid proof is accepted, and the two chat', async () => {
    const { client: a, welcome: wa } = await connectTo(gateOn, clients);
    const { client: b, welcome: wb } = await connectTo(gateOn, clients);
    const [pa, pb] = await Promise.all([solveProofNode(challengeOf(wa)), solveProofNode(challengeOf(wb))]);
    a.send({ type: 'join', proof: pa, interests: ['pow-chat'] });
    await a.next('waiting');
    b.send({ type: 'join', proof: pb, interests: ['pow-chat'] });
    await b.next('waiting');
    const [paired] = await Promise.all([a.next('paired'), b.next('paired')]);
    assert.equal(typeof paired.chat, 'string');
    a.send({ type: 'message', text: 'proved and paired', id: 'm1' });
    assert.equal((await a.next('ack')).id, 'm1');
    assert.equal((await b.next('message')).text, 'proved and paired');
  });

  test('a proof is good once: reused on another session it is refused', async () => {
    const { client: first, welcome } = await connectTo(gateOn, clients);
    const proof = await solveProofNode(challengeOf(welcome));
    first.send({ type: 'join', proof, interests: ['pow-reuse-1'] });
    await first.next('waiting');
    const before = await metricValue(gateOn, 'strangers_safety_pow_verifications_total', { result: 'reused' });
    const { client: second } = await connectTo(gateOn, clients);
    second.send({ type: 'join', proof, interests: ['pow-reuse-2'] });
    const error = await second.next('error');
    assert.equal(error.code, ErrorCode.proofRequired);
    assert.match(String(error.message), /already used/);
    await second.next('challenge');
    assert.equal(await metricValue(gateOn, 'strangers_safety_pow_verifications_total', { result: 'reused' }), before + 1);
    first.send({ type: 'leave' });
  });

  test('an expired proof is refused', async () => {
    const { client, welcome } = await connectTo(gateOn, clients);
    const challenge = challengeOf(welcome);
    const proof = await solveProofNode(challenge);
    const expiresAtMs = Number(challenge.parameters.expiresAt) * 1000;
    // Waiting for the clock is the point of this test: the proof is sent only once it lapsed.
    await waitFor(() => Date.now() > expiresAtMs + 50, { timeoutMs: 5000, intervalMs: 50, what: 'the challenge to expire' });
    client.send({ type: 'join', proof });
    const error = await client.next('error');
    assert.equal(error.code, ErrorCode.proofRequired);
    assert.match(String(error.message), /expired/);
    // The fresh challenge works.
    const fresh = challengeOf(await client.next('challenge'));
    client.send({ type: 'join', proof: await solveProofNode(fresh), interests: ['pow-expired'] });
    await client.next('waiting');
    client.send({ type: 'leave' });
  });
});

describe('PROOF_OF_WORK=adaptive', () => {
  test('a normal user never solves anything: join, chat, next and join again without a proof', async () => {
    const { client: user, welcome } = await connectTo(adaptive, clients);
    assert.equal(welcome.challenge, undefined);
    const { client: other } = await connectTo(adaptive, clients);
    user.send({ type: 'join', interests: ['adaptive-normal'] });
    await user.next('waiting');
    other.send({ type: 'join', interests: ['adaptive-normal'], requeue: false });
    await other.next('waiting');
    await Promise.all([user.next('paired'), other.next('paired')]);
    for (let i = 1; i < BURST; i++) {
      user.send({ type: 'next' });
      await user.next('waiting');
    }
    // Fewer than a burst: the next `next` and a join need no proof either.
    user.send({ type: 'leave' });
    user.send({ type: 'join', interests: ['adaptive-normal'] });
    await user.next('waiting');
    assert.equal(user.frames.filter((frame) => frame.type === 'challenge' || frame.code === ErrorCode.proofRequired).length, 0);
    user.send({ type: 'leave' });
  });

  test('a rapid skipper gets a challenge after a burst of next, and must solve it to skip again', async () => {
    const { client: skipper } = await connectTo(adaptive, clients);
    skipper.send({ type: 'join', interests: ['adaptive-skipper'] });
    await skipper.next('waiting');
    for (let i = 0; i < BURST; i++) {
      skipper.send({ type: 'next' });
      await skipper.next('waiting');
    }
    const challenge = challengeOf(await skipper.next('challenge'));
    assert.equal(challenge.parameters.data?.d, 6000, 'the harder, adaptive difficulty');
    skipper.send({ type: 'next' });
    const error = await skipper.next('error');
    assert.equal(error.code, ErrorCode.proofRequired);
    await skipper.next('challenge');
    // A proof of the burst's challenge is accepted (a fresh one was sent, either is good once).
    skipper.send({ type: 'next', proof: await solveProofNode(challenge) });
    await skipper.next('waiting');
    assert.ok((await metricValue(adaptive, 'strangers_safety_pow_challenges_total', { reason: 'burst' })) >= 1);
    skipper.send({ type: 'leave' });
  });
});
