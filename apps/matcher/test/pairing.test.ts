import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PairingQueue, pairKey, type Pair, type WaitingSession } from '../src/matching/pairing.js';

const FALLBACK_MS = 1000;
const SIDS = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'];
const TAGS = ['a', 'b', 'c'];

function session(sid: string, overrides: Partial<WaitingSession> = {}): WaitingSession {
  return { sid, gw: 'gw', gen: 1, interests: [], ipHash: '', enqueuedAt: 0, flagged: false, ...overrides };
}

describe('PairingQueue examples', () => {
  test('the longest-waiting session is paired first', () => {
    const queue = new PairingQueue({ fallbackMs: FALLBACK_MS });
    queue.join(session('old'), 0);
    const outcome = queue.join(session('new'), 10);
    assert.equal(outcome.kind, 'paired');
    const third = new PairingQueue({ fallbackMs: FALLBACK_MS });
    third.keepApart('x', 'y', 1000);
    third.join(session('x'), 0);
    third.join(session('y'), 1);
    const result = third.join(session('z'), 2);
    assert.equal(result.kind === 'paired' && result.pair.a.sid, 'x');
  });

  test('a redelivered join (same gen) is ignored; a newer one replaces the entry', () => {
    const queue = new PairingQueue({ fallbackMs: FALLBACK_MS });
    queue.join(session('a', { interests: ['x'] }), 0);
    assert.equal(queue.join(session('a', { interests: ['x'] }), 1).kind, 'ignored');
    assert.equal(queue.join(session('a', { gen: 2, interests: ['y'] }), 2).kind, 'queued');
    assert.deepEqual(queue.entries().map((entry) => entry.interests), [['y']]);
  });

  test('interests wait for a shared one until the fallback, then take anyone', () => {
    const queue = new PairingQueue({ fallbackMs: FALLBACK_MS });
    queue.join(session('fan', { interests: ['opera'], enqueuedAt: 0 }), 0);
    assert.equal(queue.join(session('plain', { enqueuedAt: 10 }), 10).kind, 'queued');
    assert.deepEqual(queue.sweep(FALLBACK_MS - 1), []);
    assert.equal(queue.nextWakeAt(), FALLBACK_MS);
    const [pair] = queue.sweep(FALLBACK_MS);
    assert.deepEqual([pair?.a.sid, pair?.b.sid, pair?.shared], ['fan', 'plain', []]);
  });

  test('flagged sessions only meet flagged sessions', () => {
    const queue = new PairingQueue({ fallbackMs: FALLBACK_MS });
    queue.flag('bad-ip', 5000);
    assert.ok(queue.isFlagged('bad-ip', 10));
    queue.join(session('f1', { flagged: true }), 0);
    assert.equal(queue.join(session('n1'), 1).kind, 'queued');
    const outcome = queue.join(session('f2', { flagged: true }), 2);
    assert.equal(outcome.kind === 'paired' && outcome.pair.a.sid, 'f1');
  });

  test('sessions kept apart meet again once the cool-down ends', () => {
    const queue = new PairingQueue({ fallbackMs: FALLBACK_MS });
    queue.keepApart('a', 'b', 500);
    queue.join(session('a'), 0);
    assert.equal(queue.join(session('b'), 1).kind, 'queued');
    assert.equal(queue.nextWakeAt(), 500);
    assert.equal(queue.sweep(500).length, 1);
  });
});

type Op =
  | { kind: 'join'; sid: string; interests: string[]; flagged: boolean }
  | { kind: 'cancel'; sid: string }
  | { kind: 'apart'; x: string; y: string; ms: number }
  | { kind: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('join' as const), sid: fc.constantFrom(...SIDS), interests: fc.subarray(TAGS), flagged: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), sid: fc.constantFrom(...SIDS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('apart' as const), x: fc.constantFrom(...SIDS), y: fc.constantFrom(...SIDS), ms: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1500 }) }) },
);

/** A straightforward model of who is waiting, kept beside the real queue. */
interface ModelEntry extends WaitingSession {
  order: number;
}

describe('PairingQueue invariants (fast-check)', () => {
  test('for any sequence of joins, leaves, nexts, reports and time, every rule holds', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
        const queue = new PairingQueue({ fallbackMs: FALLBACK_MS });
        const waiting = new Map<string, ModelEntry>();
        const apart = new Map<string, number>();
        const gens = new Map<string, number>();
        let now = 0;
        let order = 0;

        const isApart = (x: string, y: string) => (apart.get(pairKey(x, y)) ?? 0) > now;
        const open = (entry: WaitingSession) => entry.interests.length === 0 || now - entry.enqueuedAt >= FALLBACK_MS;
        const shares = (x: WaitingSession, y: WaitingSession) => x.interests.some((tag) => y.interests.includes(tag));
        const compatible = (x: WaitingSession, y: WaitingSession) => x.sid !== y.sid && x.flagged === y.flagged && !isApart(x.sid, y.sid);
        const matchable = (x: WaitingSession, y: WaitingSession) => compatible(x, y) && (shares(x, y) || (open(x) && open(y)));

        const checkPair = (pair: Pair, chooser: WaitingSession) => {
          const { a, b } = pair;
          assert.notEqual(a.sid, b.sid, 'no self pair');
          const other = a.sid === chooser.sid ? b : a;
          // Both were waiting with these very joins: nobody gone, nobody already paired.
          for (const side of [a, b]) {
            if (side.sid === chooser.sid && !waiting.has(side.sid)) continue; // the joiner itself
            assert.equal(waiting.get(side.sid)?.gen, side.gen, `${side.sid} was not waiting`);
          }
          assert.ok(matchable(chooser, other), 'the pair obeys interests, flags and cool-downs');
          // The longest-waiting eligible partner was chosen, sharing an interest first.
          const candidates = [...waiting.values()].filter((entry) => entry.sid !== chooser.sid && matchable(chooser, entry));
          const sharing = candidates.filter((entry) => shares(chooser, entry));
          const pool = sharing.length > 0 ? sharing : candidates;
          const oldest = pool.sort((x, y) => x.order - y.order)[0];
          assert.equal(other.sid, oldest?.sid, 'longest-waiting compatible first');
          waiting.delete(a.sid);
          waiting.delete(b.sid);
        };

        for (const op of ops) {
          if (op.kind === 'join') {
            const gen = (gens.get(op.sid) ?? 0) + 1;
            gens.set(op.sid, gen);
            const entry: WaitingSession = { sid: op.sid, gw: 'gw', gen, interests: op.interests, ipHash: '', enqueuedAt: now, flagged: op.flagged };
            waiting.delete(op.sid);
            const outcome = queue.join(entry, now);
            if (outcome.kind === 'paired') checkPair(outcome.pair, entry);
            else {
              assert.equal(outcome.kind, 'queued');
              waiting.set(op.sid, { ...entry, order: order++ });
            }
          } else if (op.kind === 'cancel') {
            const gen = gens.get(op.sid) ?? 0;
            queue.cancel(op.sid, gen);
            waiting.delete(op.sid);
          } else if (op.kind === 'apart') {
            queue.keepApart(op.x, op.y, now + op.ms);
            const key = pairKey(op.x, op.y);
            apart.set(key, Math.max(apart.get(key) ?? 0, now + op.ms));
          } else {
            now += op.ms;
          }
          // Sweep after every step, as the matcher does; pairs come oldest chooser first.
          for (const pair of queue.sweep(now)) checkPair(pair, waiting.get(pair.a.sid)!);

          assert.deepEqual(queue.entries().map((entry) => entry.sid).sort(), [...waiting.keys()].sort(), 'queue matches the model');
          const list = [...waiting.values()];
          for (let i = 0; i < list.length; i++) {
            for (let j = i + 1; j < list.length; j++) {
              assert.ok(!matchable(list[i]!, list[j]!), `${list[i]!.sid} and ${list[j]!.sid} could be paired but both wait`);
            }
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
