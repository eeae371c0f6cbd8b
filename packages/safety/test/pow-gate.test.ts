import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { startTestRedis, type TestRedisHandle } from '@strangers/testkit';
import {
  createSafety,
  loadSafetyConfig,
  NextBurstDetector,
  PowGate,
  ProofOfWork,
  proofRequiredMessage,
  solveProofNode,
  type PowMode,
  type PowSettings,
} from '../src/index.js';

let server: TestRedisHandle;
before(async () => {
  server = await startTestRedis();
});
after(async () => {
  await server.stop();
});

const burst = { sessionCount: 5, addressCount: 8, windowMs: 10_000 };

function makeGate(mode: PowMode): PowGate {
  const settings: PowSettings = { mode, hmacKey: 'gate-test-key-0123456789', difficulty: 300, adaptiveDifficulty: 3000, expiresMs: 60_000, burst };
  const pow = new ProofOfWork({ hmacKey: settings.hmacKey!, expiresMs: settings.expiresMs, redis: server.client() });
  return new PowGate(settings, pow, new NextBurstDetector(burst));
}

describe('NextBurstDetector', () => {
  test('N nexts from one session within W is a burst; spread out they are not', () => {
    const detector = new NextBurstDetector(burst);
    for (let i = 0; i < 20; i++) assert.equal(detector.record('calm', `a${i}`, i * 3000), undefined, `next ${i}`);
    const seen = [0, 1, 2, 3, 4].map((i) => detector.record('skipper', 'addr', 100_000 + i * 100));
    assert.deepEqual(seen, [undefined, undefined, undefined, undefined, 'session']);
    // The history restarts after a burst: the next one is not a burst on its own.
    assert.equal(detector.record('skipper', 'addr', 100_600), undefined);
  });

  test('a window that slides past old nexts forgets them', () => {
    const detector = new NextBurstDetector(burst);
    for (const t of [0, 1000, 2000, 3000]) assert.equal(detector.record('s', 'a', t), undefined);
    // The 5th comes 10.5 s after the 1st: outside the window.
    assert.equal(detector.record('s', 'a', 10_500), undefined);
    // 1000…11000: five within 10 s.
    assert.equal(detector.record('s', 'a', 11_000), 'session');
  });

  test('many sessions of one address add up to an address burst', () => {
    const detector = new NextBurstDetector(burst);
    const seen = Array.from({ length: 8 }, (_, i) => detector.record(`tab${i % 4}`, 'nat', i * 200));
    assert.deepEqual(seen.slice(0, 7), Array(7).fill(undefined));
    assert.equal(seen[7], 'address');
  });

  test('forgetSession drops a session history', () => {
    const detector = new NextBurstDetector(burst);
    for (let i = 0; i < 3; i++) detector.record('s', `a${i}`, i);
    assert.equal(detector.trackedSessions, 1);
    detector.forgetSession('s');
    assert.equal(detector.trackedSessions, 0);
  });
});

describe('PowGate', () => {
  test('off: no challenge at welcome, join admitted without a proof, bursts ignored', async () => {
    const gate = makeGate('off');
    const { state, challenge } = await gate.welcome();
    assert.equal(challenge, undefined);
    assert.deepEqual(await gate.admit(state, undefined), { ok: true });
    for (let i = 0; i < 10; i++) assert.equal(await gate.onNext(state, 's', 'a', i), undefined);
  });

  test('on: join without a proof is refused with a fresh challenge; with one it is admitted; later nexts need none', async () => {
    const gate = makeGate('on');
    const { state, challenge } = await gate.welcome();
    assert.ok(challenge);
    const refused = await gate.admit(state, undefined);
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.reason === 'missing' && refused.challenge.signature !== challenge.signature);
    assert.deepEqual(await gate.admit(state, await solveProofNode(challenge)), { ok: true });
    assert.deepEqual(await gate.admit(state, undefined), { ok: true });
  });

  test('adaptive: a normal user never solves anything; a rapid skipper must prove the harder challenge', async () => {
    const gate = makeGate('adaptive');
    const normal = await gate.welcome();
    assert.equal(normal.challenge, undefined);
    assert.deepEqual(await gate.admit(normal.state, undefined), { ok: true });
    for (let i = 0; i < 12; i++) {
      assert.equal(await gate.onNext(normal.state, 'normal', 'normal-addr', i * 5000), undefined);
      assert.deepEqual(await gate.admit(normal.state, undefined), { ok: true });
    }

    const skipper = await gate.welcome();
    let asked;
    for (let i = 0; i < 5 && !asked; i++) {
      assert.deepEqual(await gate.admit(skipper.state, undefined), { ok: true });
      asked = await gate.onNext(skipper.state, 'skipper', 'skipper-addr', 50_000 + i * 300);
    }
    assert.ok(asked, 'the 5th quick next asks for a challenge');
    assert.equal(asked.source, 'session');
    assert.equal(asked.challenge.parameters.data?.d, 3000);
    const refused = await gate.admit(skipper.state, undefined);
    assert.ok(!refused.ok && refused.reason === 'missing');
    // An easy proof (from a welcome of an `on` gateway with the same key) is not enough.
    const easy = await makeGate('on').welcome();
    const tooEasy = await gate.admit(skipper.state, await solveProofNode(easy.challenge!));
    assert.ok(!tooEasy.ok && tooEasy.reason === 'too_easy');
    assert.deepEqual(await gate.admit(skipper.state, await solveProofNode(asked.challenge)), { ok: true });
    assert.equal(skipper.state.required, 0);
  });

  test('requireHarder (an abuse `challenge` action) asks the adaptive difficulty', async () => {
    const gate = makeGate('adaptive');
    const { state } = await gate.welcome();
    const challenge = await gate.requireHarder(state);
    assert.equal(state.required, 3000);
    assert.equal(challenge.parameters.data?.d, 3000);
    assert.deepEqual(await gate.admit(state, await solveProofNode(challenge)), { ok: true });
  });

  test('every refusal has a message that tells a wscat user what to do', () => {
    for (const reason of ['missing', 'malformed', 'invalid', 'expired', 'too_easy', 'reused'] as const) {
      assert.match(proofRequiredMessage(reason), /proof/);
    }
    assert.match(proofRequiredMessage('missing'), /requires a proof of work.*PROTOCOL\.md/);
  });
});

describe('createSafety', () => {
  test('builds the blocks from env; proofs and challenges are counted on the registry', async () => {
    const registry = new Registry();
    const config = loadSafetyConfig({ PROOF_OF_WORK: 'on', POW_HMAC_KEY: 'x'.repeat(24), POW_DIFFICULTY: '200', MODERATION_HOOK_URL: 'http://127.0.0.1:9/hook' });
    const safety = createSafety(config, { redis: server.client(), registry });
    assert.ok(safety.hook);
    const { state, challenge } = await safety.gate.welcome();
    assert.ok(challenge);
    const refused = await safety.gate.admit(state, 'garbage');
    assert.ok(!refused.ok && refused.reason === 'malformed');
    assert.deepEqual(await safety.gate.admit(state, await solveProofNode(refused.challenge)), { ok: true });
    const text = await registry.metrics();
    assert.match(text, /strangers_safety_pow_verifications_total\{result="malformed"\} 1/);
    assert.match(text, /strangers_safety_pow_verifications_total\{result="ok"\} 1/);
    assert.match(text, /strangers_safety_pow_challenges_total\{reason="welcome"\} 1/);
    assert.match(text, /strangers_safety_pow_challenges_total\{reason="refused"\} 1/);
    // Off: no hook, and the gate admits without proofs.
    const off = createSafety(loadSafetyConfig({}), { redis: server.client(), registry: new Registry() });
    assert.equal(off.hook, undefined);
    assert.deepEqual(await off.gate.admit((await off.gate.welcome()).state, undefined), { ok: true });
  });
});
