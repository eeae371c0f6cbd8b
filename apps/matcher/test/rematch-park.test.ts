import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { MatcherEvent } from '@strangers/redis';
import type { CommitBatch } from '../src/matching/commit-batch.js';
import { MatchingState, type DurableState, type MatchingSettings } from '../src/matching/matching-state.js';
import { pairKey, type WaitingSession } from '../src/matching/pairing.js';
import type { PendingRematch } from '../src/matching/rematch-requests.js';
import { decodeCommit, type Decoded } from './helpers/commit-decoder.js';

/**
 * Park and rematch through the matching state, against a model, with what the commits store
 * applied to a stand-in for Redis and the matcher restarted from it at random points: a
 * parked session keeps its place and is never paired until its join comes again; a rematch
 * offers once and pairs the two once both asked, within the window, never across a report.
 */

const SETTINGS: MatchingSettings = {
  interestFallbackMs: 1000,
  langFallbackMs: 1500,
  langMatch: 'prefer',
  nextCooldownMs: 500,
  reportBlockMs: 100_000,
  recentPairTtlMs: 800,
  reports: { threshold: 5, windowMs: 3000, flagMs: 4000 },
};
const SIDS = ['s0', 's1', 's2', 's3'];
const GWS = ['g1', 'g2'];
/** Ended chats (between fixed pairs of sessions) and the end of each one's rematch window. */
const CHATS = [
  { chat: 'c01', sides: ['s0', 's1'], until: 2000 },
  { chat: 'c23', sides: ['s2', 's3'], until: 3000 },
  { chat: 'c02', sides: ['s0', 's2'], until: 4000 },
] as const;

type Op =
  | { kind: 'join'; sid: string; gw: string }
  | { kind: 'cancel'; sid: string }
  | { kind: 'park'; sid: string }
  | { kind: 'resume'; sid: string; gw: string }
  | { kind: 'report'; chat: number; side: number }
  | { kind: 'ask'; chat: number; side: number; gw: string }
  | { kind: 'tick'; ms: number }
  | { kind: 'restart' };

const sid = fc.constantFrom(...SIDS);
const gw = fc.constantFrom(...GWS);
const chat = fc.integer({ min: 0, max: CHATS.length - 1 });
const side = fc.integer({ min: 0, max: 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('join' as const), sid, gw }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), sid }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('park' as const), sid }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('resume' as const), sid, gw }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('report' as const), chat, side }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('ask' as const), chat, side, gw }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

/** What the commits stored: the parts of Redis this test reads back on a restart. */
class Store {
  readonly queue = new Map<string, WaitingSession>();
  readonly apart = new Map<string, number>();
  readonly rematch = new Map<string, PendingRematch>();

  apply(batch: Decoded): void {
    for (const id of batch.removed) this.queue.delete(id);
    for (const [id, entry] of batch.queued) this.queue.set(id, entry);
    for (const { until, key } of batch.apart) this.apart.set(key, Math.max(until, this.apart.get(key) ?? 0));
    for (const id of batch.rematchRemoved) this.rematch.delete(id);
    for (const [id, pending] of batch.rematchStored) this.rematch.set(id, structuredClone(pending));
  }

  durable(now: number): DurableState {
    return {
      queue: [...this.queue.values()].sort((x, y) => x.enqueuedAt - y.enqueuedAt),
      apart: [...this.apart].filter(([, until]) => until > now).map(([pair, until]) => ({ pair, until })),
      reports: [],
      flagged: [],
      rematches: [...this.rematch.values()],
    };
  }
}

interface Waiting {
  gen: number;
  gw: string;
  parked: boolean;
  enqueuedAt: number;
}

class Model {
  now = 0;
  readonly waiting = new Map<string, Waiting>();
  readonly gens = new Map<string, number>();
  readonly gws = new Map<string, string>();
  readonly blocked = new Set<string>();
  /** chat → who asked (open requests), with the gateway and gen they asked with. */
  readonly asks = new Map<string, Map<string, string>>();
  readonly done = new Set<string>();
}

interface Expected {
  pairs: { x: string; y: string; rematch: boolean; ended?: string }[];
  offers: { to: string; gw: string; chat: string }[];
}

/** Who `chooser` is paired with, if anyone (the oldest unparked waiting session not blocked from it). */
function modelMatch(model: Model, chooser: string, expected: Expected): void {
  const self = model.waiting.get(chooser);
  if (!self || self.parked) return;
  const partner = [...model.waiting]
    .filter(([id, entry]) => id !== chooser && !entry.parked && !model.blocked.has(pairKey(id, chooser)))
    .sort(([, x], [, y]) => x.enqueuedAt - y.enqueuedAt)[0];
  if (!partner) return;
  modelPaired(model, chooser, partner[0]);
  expected.pairs.push({ x: chooser, y: partner[0], rematch: false });
}

function modelPaired(model: Model, x: string, y: string): void {
  model.waiting.delete(x);
  model.waiting.delete(y);
  for (const [id, asked] of model.asks) if (!model.done.has(id)) for (const sideId of [x, y]) asked.delete(sideId);
}

function modelJoin(model: Model, id: string, gwId: string, expected: Expected): MatcherEvent {
  const gen = (model.gens.get(id) ?? 0) + 1;
  model.gens.set(id, gen);
  model.gws.set(id, gwId);
  model.waiting.delete(id);
  model.waiting.set(id, { gen, gw: gwId, parked: false, enqueuedAt: model.now });
  modelMatch(model, id, expected);
  return { t: 'join', sid: id, gw: gwId, gen, interests: [], ipHash: '', block: false, lang: [], strict: false, age: 'unknown', media: 'text' };
}

function modelAsk(model: Model, op: Extract<Op, { kind: 'ask' }>, expected: Expected): MatcherEvent {
  const { chat: chatId, sides, until } = CHATS[op.chat]!;
  const self = sides[op.side]!;
  const partner = sides[1 - op.side]!;
  const gen = model.gens.get(self) ?? 0;
  model.gws.set(self, model.waiting.has(self) ? model.waiting.get(self)!.gw : op.gw);
  const selfGw = model.gws.get(self)!;
  const event: MatcherEvent = { t: 'rematch', sid: self, gw: selfGw, gen, chat: chatId, partner, pgw: model.gws.get(partner) ?? 'g1', until, age: 'unknown', media: 'text' };
  if (model.now >= until || model.done.has(chatId)) return event;
  const asked = model.asks.get(chatId) ?? new Map<string, string>();
  model.asks.set(chatId, asked);
  if (asked.has(self)) return event;
  const blocked = model.blocked.has(pairKey(self, partner));
  if (blocked) {
    model.done.add(chatId);
    asked.set(self, selfGw);
    return event;
  }
  if (!asked.has(partner)) {
    asked.set(self, selfGw);
    expected.offers.push({ to: partner, gw: event.pgw, chat: chatId });
    return event;
  }
  model.done.add(chatId);
  asked.set(self, selfGw);
  modelPaired(model, self, partner);
  expected.pairs.push({ x: partner, y: self, rematch: true, ended: chatId });
  return event;
}

function checkBatch(model: Model, batch: Decoded, expected: Expected, before: Map<string, Waiting>, asksBefore: Map<string, Map<string, string>>): void {
  assert.deepEqual(batch.offers, expected.offers, 'one offer, to the partner, for the first ask of an ended chat');
  const byChat = new Map<string, Decoded['assignments']>();
  batch.assignments.forEach((assignment) => byChat.set(assignment.chat, [...(byChat.get(assignment.chat) ?? []), assignment]));
  assert.equal(byChat.size, expected.pairs.length, 'the pairs the model expects');
  const pairs = [...byChat.values()];
  expected.pairs.forEach(({ x, y, rematch, ended }, i) => {
    const sides = pairs[i]!;
    assert.deepEqual(sides.map((a) => a.to).sort(), [x, y].sort(), `pair ${i}: ${x} with ${y}`);
    for (const assignment of sides) {
      const index = batch.assignments.indexOf(assignment);
      assert.equal(batch.extras[index]!.rematch, rematch, 'rematch pairs say so, others do not');
      assert.equal(assignment.gen, model.gens.get(assignment.to) ?? 0, 'the session\'s current gen');
      const queued = before.get(assignment.to);
      if (rematch && !queued) assert.equal(assignment.gw, asksBefore.get(ended!)?.get(assignment.to) ?? model.gws.get(assignment.to), 'sent to where it asked');
      else assert.equal(assignment.gw, model.gws.get(assignment.to), 'sent to where it waits');
    }
  });
}

function checkState(model: Model, state: MatchingState, store: Store): void {
  const summary = (entries: [string, { gen: number; gw: string; parked: boolean }][]) => entries.map(([id, e]) => `${id}:${e.gen}:${e.gw}:${e.parked}`).sort();
  const waiting = state.waiting();
  assert.deepEqual(summary(waiting.map((e) => [e.sid, e])), summary([...model.waiting]), 'the queue matches the model');
  assert.deepEqual(summary([...store.queue]), summary([...model.waiting]), 'the stored queue matches it too (parked flag included)');
  for (const [id, pending] of store.rematch) {
    assert.ok(pending.until > model.now, `${id}: forgotten once its window is over`);
    assert.equal(pending.done, model.done.has(id), `${id}: done as the model says`);
    if (!pending.done) assert.deepEqual(pending.requests.map((r) => r.sid).sort(), [...(model.asks.get(id)?.keys() ?? [])].sort(), `${id}: open requests`);
  }
  const unparked = [...model.waiting].filter(([, e]) => !e.parked).map(([id]) => id);
  for (const x of unparked) for (const y of unparked) if (x < y) assert.ok(model.blocked.has(pairKey(x, y)), `${x} and ${y} could be paired but both wait`);
}

export function run(ops: Op[]): void {
  let chats = 0;
  const newState = () => new MatchingState(SETTINGS, () => `0.new${chats++}`);
  let state = newState();
  const store = new Store();
  const model = new Model();
  const decode = (batch: CommitBatch) => decodeCommit(batch, GWS);
  ops.forEach((op, i) => {
    model.now += 1; // every step at its own time: queue order is never a tie
    const expected: Expected = { pairs: [], offers: [] };
    const before = new Map([...model.waiting].map(([id, e]) => [id, { ...e }]));
    const asksBefore = new Map([...model.asks].map(([id, asked]) => [id, new Map(asked)]));
    let event: MatcherEvent | undefined;
    if (op.kind === 'join') event = modelJoin(model, op.sid, op.gw, expected);
    else if (op.kind === 'cancel') {
      event = { t: 'cancel', sid: op.sid, gen: model.gens.get(op.sid) ?? 0 };
      model.waiting.delete(op.sid);
    } else if (op.kind === 'park') {
      event = { t: 'park', sid: op.sid, gen: model.gens.get(op.sid) ?? 0 };
      const entry = model.waiting.get(op.sid);
      if (entry) entry.parked = true;
    } else if (op.kind === 'resume') {
      const entry = model.waiting.get(op.sid);
      if (!entry) return;
      event = { t: 'join', sid: op.sid, gw: op.gw, gen: entry.gen, interests: [], ipHash: '', block: false, lang: [], strict: false, age: 'unknown', media: 'text' };
      const wasParked = entry.parked;
      entry.parked = false;
      entry.gw = op.gw;
      model.gws.set(op.sid, op.gw);
      if (wasParked) modelMatch(model, op.sid, expected);
    } else if (op.kind === 'report') {
      const { sides } = CHATS[op.chat]!;
      const self = sides[op.side]!;
      const other = sides[1 - op.side]!;
      model.blocked.add(pairKey(self, other));
      event = { ...modelJoin(model, self, model.gws.get(self) ?? 'g1', expected), avoid: other, block: true } as MatcherEvent;
      // modelJoin matched before the block was known: redo the match with it.
      if (expected.pairs.length > 0 && [expected.pairs[0]!.x, expected.pairs[0]!.y].includes(other)) {
        const undone = expected.pairs.pop()!;
        model.waiting.set(undone.y, before.get(undone.y)!);
        model.waiting.set(self, { gen: model.gens.get(self)!, gw: model.gws.get(self)!, parked: false, enqueuedAt: model.now });
        modelMatch(model, self, expected);
      }
    } else if (op.kind === 'ask') event = modelAsk(model, op, expected);
    else if (op.kind === 'tick') model.now += op.ms;
    else {
      state = newState();
      const restored = decode(state.restore(store.durable(model.now), undefined, model.now));
      store.apply(restored);
      assert.equal(restored.assignments.length, 0, 'a restart pairs nobody the model would not');
    }
    if (op.kind !== 'restart') {
      const batch = decode(state.applyEvents(event ? [{ id: `${i + 1}-0`, event }] : [], undefined, model.now));
      store.apply(batch);
      checkBatch(model, batch, expected, before, asksBefore);
    }
    for (const [id] of model.asks) if (CHATS.find((c) => c.chat === id)!.until <= model.now) model.asks.delete(id);
    checkState(model, state, store);
  });
}

describe('park and rematch (fast-check model, with restarts)', () => {
  test('for any sequence of joins, parks, resumes, asks, reports, time and restarts, the rules hold', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), run), { numRuns: 1500, errorWithCause: true } as fc.Parameters<[Op[]]>);
  });

  test('example: one offer, then a pairing with rematch, then nothing more for that chat', () => {
    run([
      { kind: 'ask', chat: 0, side: 0, gw: 'g1' },
      { kind: 'ask', chat: 0, side: 0, gw: 'g1' },
      { kind: 'ask', chat: 0, side: 1, gw: 'g2' },
      { kind: 'ask', chat: 0, side: 1, gw: 'g2' },
    ]);
    let chats = 0;
    const state = new MatchingState(SETTINGS, () => `0.n${chats++}`);
    const ask = (self: string, partner: string, at: number) =>
      decodeCommit(
        state.applyEvents([{ id: `${at}-0`, event: { t: 'rematch', sid: self, gw: 'g1', gen: 1, chat: 'c', partner, pgw: 'g2', until: 1000, age: 'unknown', media: 'video' } }], undefined, at),
        GWS,
      );
    assert.deepEqual(ask('a', 'b', 1).offers, [{ gw: 'g2', to: 'b', chat: 'c' }]);
    const paired = ask('b', 'a', 2);
    assert.deepEqual(paired.extras.map((extra) => [extra.rematch, extra.media]), [[true, 'video'], [true, 'video']]);
    assert.deepEqual(paired.extras.map((extra) => extra.role).sort(), ['answer', 'offer'], 'the two roles differ');
    assert.equal(ask('a', 'b', 3).assignments.length, 0, 'one rematch per ended chat');
  });
});
