import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import {
  abuseScore,
  AbuseScorer,
  abuseSignals,
  addSignal,
  decayAbuseState,
  decideAbuseAction,
  loadSafetyConfig,
  registerSafetyMetrics,
  type AbuseSettings,
  type AbuseState,
} from '../src/index.js';

/** The shipped defaults, with scoring turned on at the suggested threshold. */
const defaults: AbuseSettings = loadSafetyConfig({ ABUSE_THRESHOLD: '10' }).abuse;
const minute = 60_000;

const signal = fc.constantFrom(...abuseSignals);
const count = fc.double({ min: 0, max: 10_000, noNaN: true });
const state: fc.Arbitrary<AbuseState> = fc.record({
  counts: fc.record({ skip: count, repeat: count, blocked: count, report: count, connection: count }),
  at: fc.integer({ min: 0, max: 1e12 }),
});
const settings: fc.Arbitrary<AbuseSettings> = fc.record({
  threshold: fc.integer({ min: 1, max: 1000 }),
  action: fc.constantFrom('shadow' as const, 'challenge' as const),
  actionMs: fc.integer({ min: 1, max: 1e8 }),
  halfLifeMs: fc.integer({ min: 1000, max: 1e8 }),
  weights: fc.record({ skip: count, repeat: count, blocked: count, report: count, connection: count }),
  free: fc.record({ skip: count, repeat: count, blocked: count, report: count, connection: count }),
  maxAddresses: fc.constant(100),
});
const later = fc.integer({ min: 0, max: 1e9 });
/** Tolerance for float rounding in the decay factor. */
const atMost = (a: number, b: number) => a <= b * (1 + 1e-9) + 1e-9;

describe('abuse score (properties)', () => {
  test('monotone in each signal: one more event never lowers the score', () => {
    fc.assert(
      fc.property(state, settings, signal, fc.double({ min: 0, max: 100, noNaN: true }), later, (s, config, kind, amount, dt) => {
        const now = s.at + dt;
        assert.ok(atMost(abuseScore(s, now, config), abuseScore(addSignal(s, kind, now, config.halfLifeMs, amount), now, config)));
      }),
    );
  });

  test('monotone in each count of the state itself', () => {
    fc.assert(
      fc.property(state, settings, signal, count, (s, config, kind, extra) => {
        const more = { ...s, counts: { ...s.counts, [kind]: s.counts[kind] + extra } };
        assert.ok(abuseScore(s, s.at, config) <= abuseScore(more, s.at, config));
      }),
    );
  });

  test('decays over time: never rises without new events, and fades to nothing', () => {
    fc.assert(
      fc.property(state, settings, later, later, (s, config, a, b) => {
        const [t1, t2] = [s.at + Math.min(a, b), s.at + Math.max(a, b)];
        assert.ok(atMost(abuseScore(s, t2, config), abuseScore(s, t1, config)));
        assert.ok(abuseScore(s, s.at + 200 * config.halfLifeMs, config) < 1e-6);
      }),
    );
  });

  test('decay halves every count per half-life', () => {
    const s: AbuseState = { counts: { skip: 8, repeat: 4, blocked: 2, report: 1, connection: 0 }, at: 0 };
    assert.deepEqual(decayAbuseState(s, 2 * defaults.halfLifeMs, defaults.halfLifeMs).counts, { skip: 2, repeat: 1, blocked: 0.5, report: 0.25, connection: 0 });
  });

  test('a decision names the signals that caused it, largest share first', () => {
    fc.assert(
      fc.property(state, settings, (s, config) => {
        const decision = decideAbuseAction('addr', s, s.at, config);
        const score = abuseScore(s, s.at, config);
        assert.equal(decision !== undefined, score >= config.threshold);
        if (decision === undefined) return;
        assert.equal(decision.action, config.action);
        assert.equal(decision.until, s.at + config.actionMs);
        assert.ok(decision.causes.length > 0);
        for (let i = 1; i < decision.causes.length; i++) assert.ok(decision.causes[i - 1]!.points >= decision.causes[i]!.points);
      }),
    );
  });
});

describe('AbuseScorer with the default weights', () => {
  test('a spammer sending one text to many partners is shadowed, with repeat as the cause', () => {
    const registry = new Registry();
    const scorer = new AbuseScorer(defaults, { metrics: registerSafetyMetrics(registry) });
    let decision;
    let sent = 0;
    // One chat every 10 s, the same text each time: a `repeat` from the second partner on.
    while (decision === undefined && sent < 50) {
      sent += 1;
      const now = sent * 10_000;
      scorer.record('spammer', 'skip', now);
      if (sent > 1) decision = scorer.record('spammer', 'repeat', now);
    }
    assert.ok(decision, 'shadowed');
    assert.equal(decision.action, 'shadow');
    assert.equal(decision.address, 'spammer');
    assert.equal(decision.causes[0]!.signal, 'repeat');
    assert.ok(decision.score >= 10);
    assert.ok(sent <= 8, `within a few chats (took ${sent})`);
    assert.equal(scorer.activeAction('spammer', decision.at + 1000), decision);
    // Once per action: more signals while it is in force decide nothing new.
    assert.equal(scorer.record('spammer', 'repeat', decision.at + 2000), undefined);
    // After it ends, the score has long faded: a single event decides nothing.
    const after = decision.until + 1;
    assert.equal(scorer.activeAction('spammer', after), undefined);
    assert.equal(scorer.record('spammer', 'repeat', after), undefined);
  });

  test('an ordinary heavy user (6 nexts and a reconnect a minute for an hour) is never flagged', () => {
    const scorer = new AbuseScorer(defaults);
    for (let t = 0; t < 60 * minute; t += 10_000) {
      assert.equal(scorer.record('user', 'skip', t), undefined);
      if (t % minute === 0) assert.equal(scorer.record('user', 'connection', t), undefined);
    }
    assert.ok(scorer.score('user', 60 * minute) < defaults.threshold);
  });

  test('a rapid skipper (a next every 2 s, nonstop) is flagged within 15 minutes; reports add up fast', () => {
    const scorer = new AbuseScorer(defaults);
    let flaggedAt: number | undefined;
    for (let t = 0; t < 30 * minute && flaggedAt === undefined; t += 2000) if (scorer.record('bot', 'skip', t)) flaggedAt = t;
    assert.ok(flaggedAt !== undefined && flaggedAt < 15 * minute, `flagged at ${flaggedAt}`);
    const reported = new AbuseScorer(defaults);
    const decisions = [0, 1, 2, 3].map((i) => reported.record('rude', 'report', i * 10_000));
    assert.ok(decisions.some((d) => d?.causes[0]?.signal === 'report'));
  });

  test('threshold 0 turns scoring off', () => {
    const scorer = new AbuseScorer({ ...defaults, threshold: 0 });
    for (let i = 0; i < 1000; i++) assert.equal(scorer.record('x', 'report', i), undefined);
  });

  test('clear forgets an address (a moderator undid the action)', () => {
    const scorer = new AbuseScorer(defaults);
    for (let i = 0; i < 10; i++) scorer.record('a', 'report', i);
    assert.ok(scorer.activeAction('a', 10));
    scorer.clear('a');
    assert.equal(scorer.activeAction('a', 10), undefined);
    assert.equal(scorer.score('a', 10), 0);
  });
});
