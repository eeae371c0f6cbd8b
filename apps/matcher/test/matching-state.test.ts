import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { MatcherEvent } from '@strangers/redis';
import type { CommitBatch } from '../src/matching/commit-batch.js';
import { decodeCommit, type Decoded } from './helpers/commit-decoder.js';
import { MatchingState, type MatchingSettings } from '../src/matching/matching-state.js';
import { pairKey, type WaitingSession } from '../src/matching/pairing.js';

/**
 * The matching state (queue, recent pairs, report counts, flags and their lifts) against a model of it:
 * every batch it returns is decoded from the commit script's arguments (what Redis would
 * store) and compared with what the model says the events mean. pairing.test.ts checks the
 * choice of partner; this checks everything around it.
 */

const SETTINGS: MatchingSettings = {
  interestFallbackMs: 1000,
  langFallbackMs: 1500,
  langMatch: 'prefer',
  nextCooldownMs: 500,
  reportBlockMs: 5000,
  recentPairTtlMs: 800,
  reports: { threshold: 2, windowMs: 3000, flagMs: 4000 },
};
const SIDS = ['s0', 's1', 's2', 's3', 's4', 's5'];
const IPS = ['ipA', 'ipB', 'ipC'];
const GWS = ['g1', 'g2'];
const TAGS = ['a', 'b'];
const ipOf = (sid: string) => IPS[Number(sid.slice(1)) % IPS.length]!;
const decode = (batch: CommitBatch): Decoded => decodeCommit(batch, GWS);

type Op =
  | { kind: 'join'; sid: string; gen: 'new' | 'same' | 'stale'; gw: string; interests: string[]; avoid: string | undefined; block: boolean; live: boolean }
  | { kind: 'cancel'; sid: string }
  | { kind: 'report'; sid: string }
  /** A `flag` event (a shadow ban, an automatic abuse action) and an `unflag` (a moderator lifted the shadow ban). */
  | { kind: 'flag'; ip: string; ms: number }
  | { kind: 'unflag'; ip: string }
  | { kind: 'tick'; ms: number }
  | { kind: 'ghosts'; dead: string[] };

const sid = fc.constantFrom(...SIDS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('join' as const),
      sid,
      gen: fc.constantFrom('new' as const, 'new' as const, 'same' as const, 'stale' as const),
      gw: fc.constantFrom(...GWS),
      interests: fc.subarray(TAGS),
      avoid: fc.option(sid, { nil: undefined }),
      block: fc.boolean(),
      live: fc.integer({ min: 0, max: 3 }).map((n) => n > 0), // a ghost one time in four
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), sid }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('report' as const), sid }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flag' as const), ip: fc.constantFrom(...IPS), ms: fc.integer({ min: 1, max: 5000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unflag' as const), ip: fc.constantFrom(...IPS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ghosts' as const), dead: fc.subarray(SIDS) }) },
);

interface ModelEntry {
  gen: number;
  gw: string;
  interests: string[];
  flagged: boolean;
  enqueuedAt: number;
}

/** What the model knows, beside the real state. */
class Model {
  readonly waiting = new Map<string, ModelEntry>();
  readonly gens = new Map<string, number>();
  readonly recent = new Map<string, { gen: number; chat: string; partner: string; pgw: string; at: number }>();
  readonly apart = new Map<string, number>();
  /** Per address, the reports counted: when, and the member stored for each. */
  readonly reports = new Map<string, { at: number; member: string }[]>();
  readonly flaggedUntil = new Map<string, number>();
  joins = 0;
  ghosts = 0;
  now = 0;

  isApart(x: string, y: string): boolean {
    return (this.apart.get(pairKey(x, y)) ?? 0) > this.now;
  }

  matchable(x: string, y: string): boolean {
    const [ex, ey] = [this.waiting.get(x)!, this.waiting.get(y)!];
    const open = (entry: ModelEntry) => entry.interests.length === 0 || this.now - entry.enqueuedAt >= SETTINGS.interestFallbackMs;
    const shares = ex.interests.some((tag) => ey.interests.includes(tag));
    return x !== y && ex.flagged === ey.flagged && !this.isApart(x, y) && (shares || (open(ex) && open(ey)));
  }

  /** A flag or its lift: the address's waiting sessions change pool at once (and may pair there). */
  regroup(ip: string, flagged: boolean): void {
    for (const [id, entry] of this.waiting) if (ipOf(id) === ip) entry.flagged = flagged;
  }

  flag(ip: string, until: number, expected: Decoded): void {
    this.flaggedUntil.set(ip, Math.max(until, this.flaggedUntil.get(ip) ?? 0));
    expected.flagged.push({ until, ipHash: ip });
    this.regroup(ip, true);
  }

  pruneRecent(): void {
    for (const [id, recent] of this.recent) if (this.now - recent.at > SETTINGS.recentPairTtlMs) this.recent.delete(id);
  }
}

/** The batch a join should produce, in the model, before any pairing; returns what to expect. */
function modelJoin(model: Model, op: Extract<Op, { kind: 'join' }>, expected: Decoded) {
  const latest = model.gens.get(op.sid) ?? 0;
  const gen = op.gen === 'new' || latest === 0 ? latest + 1 : op.gen === 'same' ? latest : latest - 1;
  model.gens.set(op.sid, Math.max(latest, gen));
  const event: MatcherEvent = {
    t: 'join',
    sid: op.sid,
    gw: op.gw,
    gen,
    interests: op.interests,
    ipHash: ipOf(op.sid),
    avoid: op.avoid,
    block: op.block,
    lang: [],
    strict: false,
    age: 'unknown',
    media: 'text',
  };
  model.joins += 1;
  if (op.avoid !== undefined) {
    const until = model.now + (op.block ? SETTINGS.reportBlockMs : SETTINGS.nextCooldownMs);
    const key = pairKey(op.sid, op.avoid);
    model.apart.set(key, Math.max(until, model.apart.get(key) ?? 0));
    expected.apart.push({ until, key });
  }
  const recent = model.recent.get(op.sid);
  if (recent && recent.gen === gen) {
    // Paired meanwhile: the assignment again, to where the session is now; nothing else.
    expected.assignments.push({ gw: op.gw, to: op.sid, gen, chat: recent.chat, partner: recent.partner, pgw: recent.pgw, interests: [] });
    return { event, resend: true };
  }
  if (!op.live) {
    model.ghosts += 1;
    return { event, resend: false };
  }
  const existing = model.waiting.get(op.sid);
  if (existing && existing.gen > gen) return { event, resend: false };
  if (existing && existing.gen === gen) {
    if (existing.gw !== op.gw) existing.gw = op.gw; // moved: keeps its place
    return { event, resend: false };
  }
  model.waiting.delete(op.sid); // a newer join replaces the entry at the back
  const flagged = (model.flaggedUntil.get(ipOf(op.sid)) ?? 0) > model.now;
  model.waiting.set(op.sid, { gen, gw: op.gw, interests: op.interests, flagged, enqueuedAt: model.now });
  return { event, resend: false };
}

function modelReport(model: Model, ipHash: string, id: string, expected: Decoded): void {
  const member = `${ipHash}|${id}`;
  expected.reports.push({ at: model.now, member });
  const counted = (model.reports.get(ipHash) ?? []).filter((report) => report.at > model.now - SETTINGS.reports.windowMs);
  counted.push({ at: model.now, member });
  model.reports.set(ipHash, counted);
  if (counted.length >= SETTINGS.reports.threshold) model.flag(ipHash, model.now + SETTINGS.reports.flagMs, expected);
}

/** A lift: the flag goes, whoever set it, and so do the reports counted against the address. */
function modelUnflag(model: Model, ip: string, expected: Decoded): void {
  model.flaggedUntil.delete(ip);
  expected.forgotten.push(...(model.reports.get(ip) ?? []).map((report) => report.member));
  expected.unflagged.push(ip);
  model.reports.delete(ip);
  model.regroup(ip, false);
}

/** Checks the pairs of a batch against the model and applies them to it; returns how many there were. */
function checkPairs(model: Model, batch: Decoded, resend: boolean): number {
  const byChat = new Map<string, Decoded['assignments']>();
  for (const assignment of batch.assignments) byChat.set(assignment.chat, [...(byChat.get(assignment.chat) ?? []), assignment]);
  for (const [chat, sides] of byChat) {
    if (resend && sides.length === 1) continue; // compared with the expected resend by the caller
    assert.equal(sides.length, 2, `chat ${chat}: one assignment per side`);
    const [x, y] = sides as [Decoded['assignments'][0], Decoded['assignments'][0]];
    for (const [self, other] of [
      [x, y],
      [y, x],
    ] as const) {
      const entry = model.waiting.get(self.to);
      assert.ok(entry && entry.gen === self.gen, `${self.to} (gen ${self.gen}) was waiting`);
      assert.equal(self.gw, entry.gw, 'sent to the gateway the session is on');
      assert.equal(self.partner, other.to);
      assert.equal(self.pgw, model.waiting.get(other.to)!.gw);
    }
    assert.ok(model.matchable(x.to, y.to), `${x.to} and ${y.to} may be paired`);
  }
  for (const [chat, sides] of byChat) {
    if (sides.length !== 2) continue;
    for (const [self, other] of [
      [sides[0]!, sides[1]!],
      [sides[1]!, sides[0]!],
    ]) {
      model.recent.delete(self.to);
      model.recent.set(self.to, { gen: self.gen, chat, partner: other.to, pgw: other.gw, at: model.now });
    }
    for (const side of sides) model.waiting.delete(side.to);
  }
  return [...byChat.values()].filter((sides) => sides.length === 2).length;
}

function checkState(model: Model, state: MatchingState, batch: Decoded): void {
  const waiting = state.waiting();
  assert.deepEqual(
    waiting.map((entry) => [entry.sid, entry.gen, entry.gw]).sort(),
    [...model.waiting].map(([id, entry]) => [id, entry.gen, entry.gw]).sort(),
    'the queue matches the model',
  );
  for (const entry of waiting) assert.equal(entry.flagged, model.waiting.get(entry.sid)!.flagged, `${entry.sid} flagged as its address was`);
  // What the batch stores leaves Redis's queue as the state's: written entries are waiting, removed ones are not.
  for (const [id, stored] of batch.queued) assert.deepEqual(stored, waiting.find((entry) => entry.sid === id), `${id} stored as queued`);
  for (const id of batch.removed) assert.ok(!batch.queued.has(id) && !model.waiting.has(id), `${id} removed`);
  const ids = [...model.waiting.keys()];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) assert.ok(!model.matchable(ids[i]!, ids[j]!), `${ids[i]} and ${ids[j]} could be paired but both wait`);
  }
  assert.deepEqual(state.counters, { joins: model.joins, ghosts: model.ghosts });
}

function emptyDecoded(): Decoded {
  return { acks: [], removed: [], queued: new Map(), apart: [], reports: [], forgotten: [], unflagged: [], flagged: [], assignments: [], extras: [], offers: [], rematchRemoved: [], rematchStored: new Map() };
}

/** One step: the op as the consumer would feed it, its batch checked against the model. */
function step(model: Model, state: MatchingState, op: Op, id: string): void {
  const expected = emptyDecoded();
  let resend = false;
  let batch: CommitBatch;
  if (op.kind === 'tick') {
    model.now += op.ms;
    batch = state.applyEvents([], undefined, model.now);
  } else if (op.kind === 'ghosts') {
    const sessions = state.waiting();
    batch = state.dropGhosts(sessions, sessions.map((entry) => !op.dead.includes(entry.sid)));
    for (const entry of sessions) {
      if (!op.dead.includes(entry.sid)) continue;
      model.waiting.delete(entry.sid);
      model.ghosts += 1;
    }
  } else {
    let event: MatcherEvent;
    let live: boolean[] | undefined;
    if (op.kind === 'join') {
      const joined = modelJoin(model, op, expected);
      ({ event, resend } = joined);
      live = [op.live];
    } else if (op.kind === 'cancel') {
      const gen = model.gens.get(op.sid) ?? 0;
      event = { t: 'cancel', sid: op.sid, gen };
      const entry = model.waiting.get(op.sid);
      if (entry && entry.gen <= gen) model.waiting.delete(op.sid);
    } else if (op.kind === 'flag') {
      event = { t: 'flag', ipHash: op.ip, until: model.now + op.ms };
      model.flag(op.ip, event.until, expected);
    } else if (op.kind === 'unflag') {
      event = { t: 'unflag', ipHash: op.ip };
      modelUnflag(model, op.ip, expected);
    } else {
      event = { t: 'reported', sid: op.sid, ipHash: ipOf(op.sid) };
      modelReport(model, ipOf(op.sid), id, expected);
    }
    batch = state.applyEvents([{ id, event }], live, model.now);
    expected.acks.push(id);
  }
  const decoded = decode(batch);
  if (op.kind !== 'tick' && op.kind !== 'ghosts') assert.deepEqual(decoded.acks, expected.acks, 'the event is acknowledged');
  assert.deepEqual(decoded.apart, expected.apart, 'kept-apart pairs stored');
  assert.deepEqual(decoded.reports, expected.reports, 'reports stored');
  assert.deepEqual(decoded.flagged, expected.flagged, 'the address is flagged exactly by a flag event or when its reports reach the threshold');
  assert.deepEqual(decoded.unflagged, expected.unflagged, 'a lift removes the stored flag');
  assert.deepEqual(decoded.forgotten, expected.forgotten, 'a lift removes the stored reports counted against the address');
  if (resend) {
    const resent = decoded.assignments.filter((assignment) => assignment.to === expected.assignments[0]!.to && assignment.chat === expected.assignments[0]!.chat);
    assert.equal(resent.length, 1, 'the earlier assignment is sent again');
    assert.deepEqual({ ...resent[0]!, interests: [] }, expected.assignments[0]);
  }
  const newPairs = checkPairs(model, decoded, resend);
  assert.equal(batch.pairCount, newPairs, 'new pairs counted, resent assignments not');
  model.pruneRecent();
  checkState(model, state, decoded);
}

describe('MatchingState (fast-check model)', () => {
  test('for any sequence of joins, re-sent joins, ghosts, cancels, reports, flags, lifts and time, the batches say what the events mean', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        let chats = 0;
        const state = new MatchingState(SETTINGS, () => `0.chat${chats++}`);
        const model = new Model();
        ops.forEach((op, i) => step(model, state, op, `${i + 1}-0`));
      }),
      { numRuns: 1000 },
    );
  });

  test('restore: the queue and pairing memory come back from the durable state, ghosts dropped', () => {
    const flaggedAddresses: string[] = [];
    const state = new MatchingState(SETTINGS, () => '0.restored', { flagged: (ipHash) => flaggedAddresses.push(ipHash) });
    const entry = (id: string, at: number, flagged = false): WaitingSession => ({
      sid: id,
      gw: 'g1',
      gen: 1,
      interests: [],
      ipHash: ipOf(id),
      enqueuedAt: at,
      flagged,
      lang: [],
      langStrict: false,
      age: 'unknown',
      media: 'text',
      parked: false,
    });
    const batch = decode(
      state.restore(
        {
          queue: [entry('s0', 0), entry('s1', 1), entry('s2', 2, true), entry('s3', 3)],
          apart: [{ pair: pairKey('s0', 's1'), until: 100 }],
          reports: [{ ipHash: 'ipX', at: 5, member: 'ipX|1-0' }],
          flagged: [{ ipHash: 'ipC', until: 100 }],
          rematches: [],
        },
        [true, true, true, false],
        10,
      ),
    );
    // s3 is a ghost; s0 and s1 are kept apart; s2 is flagged: nobody pairs yet.
    assert.deepEqual(batch.removed, ['s3']);
    assert.deepEqual(batch.assignments, []);
    assert.deepEqual(state.waiting().map((session) => session.sid), ['s0', 's1', 's2']);
    // One more report against ipX (restored: one within the window) reaches the threshold.
    const reported = decode(state.applyEvents([{ id: '9-0', event: { t: 'reported', sid: 's9', ipHash: 'ipX' } }], undefined, 20));
    assert.deepEqual(reported.flagged, [{ until: 20 + SETTINGS.reports.flagMs, ipHash: 'ipX' }]);
    assert.deepEqual(flaggedAddresses, ['ipX']);
    // Once the cool-down ends, s0 and s1 meet.
    const swept = decode(state.applyEvents([], undefined, 100));
    assert.deepEqual(swept.assignments.map((a) => [a.to, a.partner]).sort(), [['s0', 's1'], ['s1', 's0']]);
  });
});
