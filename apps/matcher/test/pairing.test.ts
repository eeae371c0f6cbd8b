import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { AgeGroup, MediaKind } from '../src/matching/compatibility.js';
import { PairingQueue, pairKey, type Pair, type WaitingSession } from '../src/matching/pairing.js';

const OPTIONS = { interestFallbackMs: 1000, langFallbackMs: 1500 };
const SIDS = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'];
const TAGS = ['a', 'b', 'c'];
const LANGS = ['en', 'es', 'fr'];
const AGES: AgeGroup[] = ['adult', 'minor', 'unknown'];
const MEDIA: MediaKind[] = ['text', 'video'];
/** Client addresses: '' (unknown) is never flagged by address. */
const IPS = ['', 'ipA', 'ipB'];

function session(sid: string, overrides: Partial<WaitingSession> = {}): WaitingSession {
  return {
    sid,
    gw: 'gw',
    gen: 1,
    interests: [],
    ipHash: '',
    enqueuedAt: 0,
    flagged: false,
    lang: [],
    langStrict: false,
    age: 'unknown',
    media: 'text',
    parked: false,
    ...overrides,
  };
}

const newQueue = () => new PairingQueue(OPTIONS);

describe('PairingQueue examples', () => {
  test('the longest-waiting session is paired first', () => {
    const queue = newQueue();
    queue.join(session('old'), 0);
    assert.equal(queue.join(session('new'), 10).kind, 'paired');
    const third = newQueue();
    third.keepApart('x', 'y', 1000);
    third.join(session('x'), 0);
    third.join(session('y'), 1);
    const result = third.join(session('z'), 2);
    assert.equal(result.kind === 'paired' && result.pair.a.sid, 'x');
  });

  test('a redelivered join (same gen) is ignored; a newer one replaces the entry', () => {
    const queue = newQueue();
    queue.join(session('a', { interests: ['x'] }), 0);
    assert.equal(queue.join(session('a', { interests: ['x'] }), 1).kind, 'ignored');
    assert.equal(queue.join(session('a', { gen: 2, interests: ['y'] }), 2).kind, 'queued');
    assert.deepEqual(queue.entries().map((entry) => entry.interests), [['y']]);
  });

  test('interests wait for a shared one until the fallback, then take anyone', () => {
    const queue = newQueue();
    queue.join(session('fan', { interests: ['opera'], enqueuedAt: 0 }), 0);
    assert.equal(queue.join(session('plain', { enqueuedAt: 10 }), 10).kind, 'queued');
    assert.deepEqual(queue.sweep(999), []);
    assert.equal(queue.nextWakeAt(), 1000);
    const [pair] = queue.sweep(1000);
    assert.deepEqual([pair?.a.sid, pair?.b.sid, pair?.shared], ['fan', 'plain', []]);
  });

  test('adults, minors and unknown ages never meet across groups; media kinds never mix', () => {
    const queue = newQueue();
    queue.join(session('adult', { age: 'adult' }), 0);
    assert.equal(queue.join(session('minor', { age: 'minor' }), 1).kind, 'queued');
    assert.equal(queue.join(session('unknown'), 2).kind, 'queued');
    assert.equal(queue.join(session('video-adult', { age: 'adult', media: 'video' }), 3).kind, 'queued');
    const outcome = queue.join(session('minor2', { age: 'minor' }), 4);
    assert.equal(outcome.kind === 'paired' && outcome.pair.a.sid, 'minor');
    assert.equal(queue.sweep(100_000).length, 0, 'time never relaxes a hard constraint');
  });

  test('a shared language first; anyone after the language wait; strict never widens', () => {
    const queue = newQueue();
    queue.join(session('en', { lang: ['en'] }), 0);
    queue.join(session('fr-strict', { lang: ['fr'], langStrict: true }), 1);
    const outcome = queue.join(session('es-en', { lang: ['es', 'en'] }), 2);
    assert.deepEqual(outcome.kind === 'paired' && [outcome.pair.a.sid, outcome.pair.lang], ['en', ['en']]);
    assert.equal(queue.join(session('de', { lang: ['de'], enqueuedAt: 10 }), 10).kind, 'queued');
    assert.equal(queue.nextWakeAt(), 1510);
    assert.deepEqual(queue.sweep(1509), []);
    assert.deepEqual(queue.sweep(1510), [], 'the strict one never takes a German speaker');
    assert.equal(queue.join(session('nolang', { enqueuedAt: 2000 }), 2000).kind, 'paired', 'the widened one takes anyone');
    assert.deepEqual(queue.entries().map((entry) => entry.sid), ['fr-strict']);
  });

  test('a parked session keeps its place and is paired only once it comes back', () => {
    const queue = newQueue();
    queue.join(session('first'), 0);
    assert.ok(queue.park('first', 1));
    assert.equal(queue.join(session('second'), 1).kind, 'queued');
    const back = queue.join(session('first', { gw: 'gw2' }), 2);
    assert.deepEqual(back.kind === 'paired' && [back.pair.a.sid, back.pair.a.gw, back.pair.b.sid], ['first', 'gw2', 'second']);
  });

  test('a lifted flag moves the waiting session to the ordinary pool at its place in the queue', () => {
    const queue = newQueue();
    queue.keepApart('old', 'new', 10_000);
    queue.join(session('old', { ipHash: 'ipA', flagged: true }), 0);
    assert.equal(queue.join(session('new', { enqueuedAt: 10 }), 10).kind, 'queued', 'different pools');
    const lifted = queue.unflag('ipA', 20);
    assert.deepEqual(lifted.moved.map((entry) => [entry.sid, entry.flagged]), [['old', false]]);
    assert.deepEqual(lifted.pairs, [], 'kept apart from the only other one waiting');
    assert.equal(queue.isFlagged('ipA', 20), false);
    const outcome = queue.join(session('joiner', { enqueuedAt: 30 }), 30);
    assert.equal(outcome.kind === 'paired' && outcome.pair.a.sid, 'old', 'the session that waited longest, not the newer one');
    // And a flag moves a waiting session the other way, where it meets a flagged one at once.
    queue.join(session('spam1', { ipHash: 'ipB', flagged: true, media: 'video' }), 40);
    assert.equal(queue.join(session('spam2', { ipHash: 'ipC', media: 'video' }), 50).kind, 'queued');
    const flagged = queue.flag('ipC', 1000, 60);
    assert.deepEqual(flagged.pairs.map((pair) => [pair.a.sid, pair.b.sid]), [['spam1', 'spam2']]);
    assert.deepEqual(queue.entries().map((entry) => entry.sid), ['new']);
  });
});

type Op =
  | {
      kind: 'join';
      sid: string;
      ipHash: string;
      interests: string[];
      flagged: boolean;
      lang: string[];
      langStrict: boolean;
      age: AgeGroup;
      media: MediaKind;
    }
  | { kind: 'cancel'; sid: string }
  | { kind: 'park'; sid: string }
  | { kind: 'resume'; sid: string }
  | { kind: 'apart'; x: string; y: string; ms: number }
  /** The address is flagged for `ms` (a shadow ban, an abuse action, reports), or its flag lifted (a moderator). */
  | { kind: 'flag'; ipHash: string; ms: number }
  | { kind: 'unflag'; ipHash: string }
  | { kind: 'tick'; ms: number };

const sidArb = fc.constantFrom(...SIDS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('join' as const),
      sid: sidArb,
      ipHash: fc.constantFrom(...IPS),
      interests: fc.subarray(TAGS),
      flagged: fc.boolean(),
      lang: fc.subarray(LANGS, { maxLength: 2 }),
      langStrict: fc.boolean(),
      age: fc.constantFrom(...AGES),
      media: fc.constantFrom(...MEDIA),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), sid: sidArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('park' as const), sid: sidArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), sid: sidArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('apart' as const), x: sidArb, y: sidArb, ms: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flag' as const), ipHash: fc.constantFrom('ipA', 'ipB'), ms: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unflag' as const), ipHash: fc.constantFrom('ipA', 'ipB') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1500 }) }) },
);

/** A straightforward model of who is waiting, kept beside the real queue. */
interface ModelEntry extends WaitingSession {
  order: number;
}

describe('PairingQueue invariants (fast-check)', () => {
  test('for any sequence of joins, cancels, parks, resumes, cool-downs, flags, lifts and time, every rule holds', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
        const queue = newQueue();
        const waiting = new Map<string, ModelEntry>();
        const apart = new Map<string, number>();
        /** Address → the latest flag end (a lift forgets it). */
        const flaggedUntil = new Map<string, number>();
        const gens = new Map<string, number>();
        let now = 0;
        let order = 0;

        // The rules of compatibility.ts, stated again from the issue, without the queue's indexes.
        const isApart = (x: string, y: string) => (apart.get(pairKey(x, y)) ?? 0) > now;
        const share = (x: string[], y: string[]) => x.some((item) => y.includes(item));
        const interestsOpen = (entry: WaitingSession) => entry.interests.length === 0 || now - entry.enqueuedAt >= OPTIONS.interestFallbackMs;
        const languageOpen = (entry: WaitingSession) => !entry.langStrict && (entry.lang.length === 0 || now - entry.enqueuedAt >= OPTIONS.langFallbackMs);
        const hard = (x: WaitingSession, y: WaitingSession) =>
          x.sid !== y.sid &&
          x.flagged === y.flagged &&
          x.age === y.age &&
          x.media === y.media &&
          (!(x.langStrict || y.langStrict) || share(x.lang, y.lang)) &&
          !isApart(x.sid, y.sid);
        const matchable = (x: WaitingSession, y: WaitingSession) =>
          !x.parked &&
          !y.parked &&
          hard(x, y) &&
          (share(x.lang, y.lang) || (languageOpen(x) && languageOpen(y))) &&
          (share(x.interests, y.interests) || (interestsOpen(x) && interestsOpen(y)));

        const checkPair = (pair: Pair, chooser: WaitingSession) => {
          const { a, b } = pair;
          const other = a.sid === chooser.sid ? b : a;
          for (const side of [a, b]) {
            if (side.sid === chooser.sid && !waiting.has(side.sid)) continue; // the joiner itself
            assert.equal(waiting.get(side.sid)?.gen, side.gen, `${side.sid} was not waiting`);
          }
          assert.ok(hard(a, b), 'no pair breaks a hard constraint');
          assert.ok(matchable(chooser, other), 'the pair obeys the preferences too');
          // Sharing a language first, then an interest, then the longest-waiting.
          let pool = [...waiting.values()].filter((entry) => entry.sid !== chooser.sid && matchable(chooser, entry));
          for (const prefer of [(entry: WaitingSession) => share(chooser.lang, entry.lang), (entry: WaitingSession) => share(chooser.interests, entry.interests)]) {
            if (pool.some(prefer)) pool = pool.filter(prefer);
          }
          const oldest = pool.sort((x, y) => x.order - y.order)[0];
          assert.equal(other.sid, oldest?.sid, 'language, then interests, then longest-waiting');
          assert.deepEqual(pair.lang, a.lang.filter((code) => b.lang.includes(code)));
          waiting.delete(a.sid);
          waiting.delete(b.sid);
        };

        for (const op of ops) {
          if (op.kind === 'join') {
            const gen = (gens.get(op.sid) ?? 0) + 1;
            gens.set(op.sid, gen);
            const { kind: _kind, ...fields } = op;
            const entry = session(op.sid, { ...fields, gen, enqueuedAt: now });
            waiting.delete(op.sid);
            const outcome = queue.join(entry, now);
            if (outcome.kind === 'paired') checkPair(outcome.pair, entry);
            else {
              assert.equal(outcome.kind, 'queued');
              waiting.set(op.sid, { ...entry, order: order++ });
            }
          } else if (op.kind === 'cancel') {
            queue.cancel(op.sid, gens.get(op.sid) ?? 0);
            waiting.delete(op.sid);
          } else if (op.kind === 'park') {
            const entry = waiting.get(op.sid);
            const parked = queue.park(op.sid, gens.get(op.sid) ?? 0);
            assert.equal(parked !== undefined, entry !== undefined && !entry.parked);
            if (entry) entry.parked = true;
          } else if (op.kind === 'resume') {
            const entry = waiting.get(op.sid);
            if (entry) {
              const unchanged = entry.gw === 'gw2' && !entry.parked;
              const outcome = queue.join({ ...entry, gw: 'gw2' }, now);
              entry.gw = 'gw2';
              entry.parked = false;
              if (outcome.kind === 'paired') checkPair(outcome.pair, entry);
              else assert.equal(outcome.kind, unchanged ? 'ignored' : 'moved', 'a resumed join keeps its place');
            }
          } else if (op.kind === 'flag' || op.kind === 'unflag') {
            // The address's waiting sessions change pool at once, keeping their places, and are
            // matched there, oldest first (a flag moves nobody once the address's latest end has passed).
            const flagged = op.kind === 'flag';
            const outcome = flagged ? queue.flag(op.ipHash, now + op.ms, now) : queue.unflag(op.ipHash, now);
            if (flagged) flaggedUntil.set(op.ipHash, Math.max(now + op.ms, flaggedUntil.get(op.ipHash) ?? 0));
            else flaggedUntil.delete(op.ipHash);
            const moves = !flagged || (flaggedUntil.get(op.ipHash) ?? 0) > now;
            const moving = moves ? [...waiting.values()].filter((entry) => entry.ipHash === op.ipHash && entry.flagged !== flagged) : [];
            for (const entry of moving) entry.flagged = flagged;
            assert.deepEqual(
              outcome.moved.map((entry) => `${entry.sid}:${entry.flagged}`),
              moving.map((entry) => `${entry.sid}:${entry.flagged}`),
              'exactly the sessions of the address change pool, in queue order',
            );
            const moved = new Set(moving.map((entry) => entry.sid));
            for (const pair of outcome.pairs) checkPair(pair, waiting.get(moved.has(pair.a.sid) ? pair.a.sid : pair.b.sid)!);
          } else if (op.kind === 'apart') {
            queue.keepApart(op.x, op.y, now + op.ms);
            const key = pairKey(op.x, op.y);
            apart.set(key, Math.max(apart.get(key) ?? 0, now + op.ms));
          } else {
            now += op.ms;
          }
          // Sweep after every step, as the matcher does; pairs come oldest chooser first.
          for (const pair of queue.sweep(now)) checkPair(pair, waiting.get(pair.a.sid)!);

          assert.deepEqual(
            queue.entries().map((entry) => `${entry.sid}:${entry.gen}:${entry.parked}:${entry.gw}`),
            [...waiting.values()].map((entry) => `${entry.sid}:${entry.gen}:${entry.parked}:${entry.gw}`),
            'queue matches the model, in order',
          );
          const list = [...waiting.values()];
          for (let i = 0; i < list.length; i++) {
            for (let j = i + 1; j < list.length; j++) {
              assert.ok(!matchable(list[i]!, list[j]!), `${list[i]!.sid} and ${list[j]!.sid} could be paired but both wait`);
            }
          }
          // The wake-up time is never late: nothing changes before it without an event.
          const wake = queue.nextWakeAt();
          if (wake !== undefined) assert.ok(wake > now || queue.sweep(now).length === 0);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
