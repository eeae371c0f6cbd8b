import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestRedis, type TestRedisHandle } from '@strangers/testkit';
import {
  decodeProofJson,
  encodeProof,
  ProofOfWork,
  solveProof,
  solveProofNode,
  type ProofPayload,
} from '../src/index.js';

let server: TestRedisHandle;
before(async () => {
  server = await startTestRedis();
});
after(async () => {
  await server.stop();
});

const hmacKey = 'test-hmac-key-0123456789';
const makePow = (options: { now?: () => number; hmacKey?: string } = {}) =>
  new ProofOfWork({ hmacKey: options.hmacKey ?? hmacKey, expiresMs: 60_000, redis: server.client(), ...(options.now ? { now: options.now } : {}) });

/** Re-encodes a proof after `change` edits its decoded payload. */
function tamper(proof: string, change: (payload: ProofPayload) => void): string {
  const payload = decodeProofJson(proof) as ProofPayload;
  change(payload);
  return encodeProof(payload.challenge, payload.solution);
}

describe('ProofOfWork', () => {
  test('a solved challenge is accepted once, then refused as reused', async () => {
    const pow = makePow();
    const challenge = await pow.createChallenge(2000);
    assert.equal(challenge.parameters.algorithm, 'SHA-256');
    assert.equal(challenge.parameters.data?.d, 2000);
    const proof = await solveProofNode(challenge);
    assert.deepEqual(await pow.verify(proof), { ok: true, difficulty: 2000 });
    assert.deepEqual(await pow.verify(proof), { ok: false, reason: 'reused' });
  });

  test('single use holds across gateways racing with the same proof', async () => {
    const [gatewayA, gatewayB] = [makePow(), makePow()];
    const proof = await solveProofNode(await gatewayA.createChallenge(1000));
    const results = await Promise.all([gatewayA.verify(proof), gatewayB.verify(proof), gatewayA.verify(proof), gatewayB.verify(proof)]);
    assert.equal(results.filter((result) => result.ok).length, 1);
    assert.equal(results.filter((result) => !result.ok && result.reason === 'reused').length, 3);
  });

  test('the browser solver (WebCrypto) makes proofs the server accepts', async () => {
    const pow = makePow();
    const proof = await solveProof(await pow.createChallenge(500));
    assert.equal((await pow.verify(proof)).ok, true);
  });

  test('an expired proof is refused', async () => {
    let clock = Date.now();
    const pow = makePow({ now: () => clock });
    const challenge = await pow.createChallenge(500);
    const proof = await solveProofNode(challenge);
    clock += 61_000;
    assert.deepEqual(await pow.verify(proof), { ok: false, reason: 'expired' });
    // The challenge's own expiresAt says so too (whole seconds on the wire).
    assert.ok(challenge.parameters.expiresAt! * 1000 <= clock);
  });

  test('a challenge made in the past is expired for a gateway on the real clock', async () => {
    const past = makePow({ now: () => Date.now() - 120_000 });
    const proof = await solveProofNode(await past.createChallenge(500));
    assert.deepEqual(await makePow().verify(proof), { ok: false, reason: 'expired' });
  });

  test('missing, malformed, forged and tampered proofs are refused', async () => {
    const pow = makePow();
    const proof = await solveProofNode(await pow.createChallenge(1000));
    assert.deepEqual(await pow.verify(undefined), { ok: false, reason: 'missing' });
    assert.deepEqual(await pow.verify(''), { ok: false, reason: 'missing' });
    assert.deepEqual(await pow.verify('not base64 !!'), { ok: false, reason: 'malformed' });
    assert.deepEqual(await pow.verify(btoa('{"challenge":1}')), { ok: false, reason: 'malformed' });
    assert.deepEqual(await pow.verify(btoa('not json')), { ok: false, reason: 'malformed' });
    assert.deepEqual(await pow.verify('A'.repeat(5000)), { ok: false, reason: 'malformed' });
    // Made easier after signing: the signature no longer matches.
    assert.deepEqual(await pow.verify(tamper(proof, (p) => void (p.challenge.parameters.data = { d: 1_000_000 }))), { ok: false, reason: 'invalid' });
    // A wrong key for the right challenge.
    const wrongKey = tamper(proof, (p) => void (p.solution.derivedKey = p.solution.derivedKey.replace(/^./, (c) => (c === '0' ? '1' : '0'))));
    assert.deepEqual(await pow.verify(wrongKey), { ok: false, reason: 'invalid' });
    // Signed by someone else's key.
    const foreign = await solveProofNode(await makePow({ hmacKey: 'another-key-0123456789' }).createChallenge(500));
    assert.deepEqual(await pow.verify(foreign), { ok: false, reason: 'invalid' });
    // None of that used the genuine proof up.
    assert.equal((await pow.verify(proof)).ok, true);
  });

  test('a proof easier than required is refused as too_easy and stays usable', async () => {
    const pow = makePow();
    const proof = await solveProofNode(await pow.createChallenge(500));
    assert.deepEqual(await pow.verify(proof, { minDifficulty: 5000 }), { ok: false, reason: 'too_easy' });
    assert.equal((await pow.verify(proof, { minDifficulty: 500 })).ok, true);
  });

  test('the proof string is base64 of {"challenge","solution"} exactly as PROTOCOL §3 says', async () => {
    const pow = makePow();
    const challenge = await pow.createChallenge(300);
    const proof = await solveProofNode(challenge);
    const decoded = JSON.parse(Buffer.from(proof, 'base64').toString('utf8'));
    assert.deepEqual(Object.keys(decoded).sort(), ['challenge', 'solution']);
    assert.deepEqual(decoded.challenge, JSON.parse(JSON.stringify(challenge)));
    assert.equal(typeof decoded.solution.counter, 'number');
    assert.match(decoded.solution.derivedKey, /^[0-9a-f]{64}$/);
  });

  test('a solve is aborted by its signal', async () => {
    const pow = makePow();
    const controller = new AbortController();
    const solving = solveProof(await pow.createChallenge(100_000_000), { signal: controller.signal });
    controller.abort();
    await assert.rejects(solving, /aborted/);
  });
});
