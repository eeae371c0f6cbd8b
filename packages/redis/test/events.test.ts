import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  controlEntrySchema,
  decodeControlEntry,
  decodeEntry,
  decodeInboxEntry,
  decodeMatcherEvent,
  encodeControlEntry,
  encodeMatcherEvent,
  fieldsToRecord,
  inboxEntrySchema,
  matcherEventSchema,
  type ControlEntry,
  type MatcherEvent,
} from '../src/index.js';

/** What the schema alone makes of a field list: the fast path must never differ from it. */
function bySchema(flat: string[]): MatcherEvent | undefined {
  return decodeEntry(matcherEventSchema, fieldsToRecord(flat));
}

test('a join as a gateway writes it decodes to the event it came from', () => {
  const events: MatcherEvent[] = [
    { t: 'join', sid: 's1', gw: 'gw-a', gen: 3, interests: [], ipHash: '', block: false, lang: [], strict: false, age: 'unknown', media: 'text' },
    { t: 'join', sid: 's2', gw: 'gw-b', gen: 1, interests: ['music', 'go'], ipHash: 'h', avoid: 's9', block: true, lang: ['en', 'es'], strict: true, age: 'adult', media: 'video' },
    { t: 'join', sid: 's3', gw: 'gw-b', gen: 7, interests: ['x'], ipHash: 'h', avoid: 's8', block: false, lang: ['fr'], strict: false, age: 'minor', media: 'audio' },
    { t: 'cancel', sid: 's1', gen: 3 },
    { t: 'park', sid: 's1', gen: 3 },
    { t: 'rematch', sid: 's1', gw: 'gw-a', gen: 3, chat: '0.c', partner: 's2', pgw: 'gw-b', until: 1700000060000, age: 'adult', media: 'text' },
    { t: 'reported', sid: 's1', ipHash: 'h' },
  ];
  for (const event of events) assert.deepEqual(decodeMatcherEvent(encodeMatcherEvent(event)), event);
});

test('malformed joins are rejected as the schema rejects them', () => {
  const base = ['t', 'join', 'sid', 's1', 'gw', 'gw-a', 'gen', '1', 'interests', '[]'];
  const malformed = [
    ['t', 'join', 'gw', 'gw-a', 'gen', '1', 'interests', '[]'],
    ['t', 'join', 'sid', '', 'gw', 'gw-a', 'gen', '1', 'interests', '[]'],
    [...base.slice(0, 6), 'gen', '1.5', 'interests', '[]'],
    [...base.slice(0, 6), 'gen', 'x', 'interests', '[]'],
    [...base.slice(0, 8), 'interests', '[1]'],
    [...base.slice(0, 8), 'interests', 'music'],
    [...base, 'block', 'yes'],
    [...base, 'lang', 'en'],
    [...base, 'strict', 'yes'],
    [...base, 'age', 'old'],
    [...base, 'media', 'fax'],
  ];
  for (const flat of malformed) {
    assert.equal(bySchema(flat), undefined, `the schema accepts ${flat.join(' ')}`);
    assert.equal(decodeMatcherEvent(flat), undefined, `decoded ${flat.join(' ')}`);
  }
});

test('for any field list, the hand-written join decoder agrees with the schema', () => {
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { freq: 8, nil: undefined });
  /** Usually a good value, sometimes an odd one. */
  const mostly = <T>(good: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: odd });
  const anyString = fc.string({ maxLength: 5 });
  const stringList = fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }).map((list) => JSON.stringify(list));
  // Mostly well-formed joins, each field possibly missing, odd or duplicated, in any order.
  const join = fc.record({
    sid: maybe(mostly(fc.constantFrom('s1', 's2'), fc.oneof(fc.constant(''), anyString))),
    gw: maybe(mostly(fc.constantFrom('gw-a', 'gw-b'), fc.oneof(fc.constant(''), anyString))),
    gen: maybe(mostly(fc.constantFrom('0', '1', '42'), fc.oneof(fc.constantFrom('-2', '1.5', ' 3 ', '1e3', '0x10', '9007199254740993', 'x', ''), anyString))),
    interests: maybe(mostly(stringList, fc.constantFrom('["a",1]', '{}', 'null', '"a"', 'x', ''))),
    ipHash: maybe(anyString),
    avoid: maybe(anyString),
    block: maybe(mostly(fc.constantFrom('0', '1'), fc.oneof(fc.constantFrom('yes', ''), anyString))),
    lang: maybe(mostly(stringList, fc.constantFrom('["a",1]', 'en', ''))),
    strict: maybe(mostly(fc.constantFrom('0', '1'), fc.constantFrom('yes', ''))),
    age: maybe(mostly(fc.constantFrom('adult', 'minor', 'unknown'), fc.constantFrom('', 'old', 'Adult'))),
    media: maybe(mostly(fc.constantFrom('text', 'audio', 'video'), fc.constantFrom('', 'fax'))),
  });
  const extra = fc.array(fc.tuple(fc.constantFrom('t', 'sid', 'gen', 'interests', 'block', 'extra'), fc.oneof(fc.constantFrom('join', 'cancel', '1', '[]'), anyString)), { maxLength: 1 });
  const fields = fc.tuple(join, extra, fc.integer()).map(([record, more, seed]) => {
    const pairs = Object.entries(record).filter((pair): pair is [string, string] => pair[1] !== undefined);
    pairs.push(...more);
    // A stable shuffle from the seed, so a failure replays.
    pairs.sort((x, y) => ((x[0].length * 31 + seed) % 7) - ((y[0].length * 31 + seed) % 7));
    return ['t', 'join', ...pairs.flat()];
  });
  let decoded = 0;
  fc.assert(
    fc.property(fields, (flat) => {
      const expected = bySchema(flat);
      assert.deepEqual(decodeMatcherEvent(flat), expected);
      if (expected) decoded += 1;
    }),
    { numRuns: 3000 },
  );
  // The accepting path must be exercised, not only the rejections.
  assert.ok(decoded > 300, `only ${decoded} generated joins were well-formed`);
});

test('control entries as they are written decode to the entry they came from', () => {
  const entries: ControlEntry[] = [
    { t: 'paired', to: 's1', gen: 2, chat: 'c1', partner: 's2', pgw: 'gw-b', interests: [], lang: [], media: 'text', rematch: false },
    { t: 'paired', to: 's2', gen: 5, chat: 'c1', partner: 's1', pgw: 'gw-a', interests: ['music', 'go'], lang: ['en'], media: 'video', role: 'offer', rematch: true },
    { t: 'rematch_offer', to: 's1', chat: '0.c' },
    { t: 'handoff', to: 's1', owner: 'gw-b|boot', gw: 'gw-b' },
    { t: 'handed', to: 's1', ok: true },
    { t: 'handed', to: 's1', ok: false },
  ];
  for (const entry of entries) assert.deepEqual(decodeControlEntry(fieldsToRecord(encodeControlEntry(entry))), entry);
});

test('for any field list, the hand-written paired decoder agrees with the schema', () => {
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { freq: 8, nil: undefined });
  const mostly = <T>(good: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: odd });
  const anyString = fc.string({ maxLength: 5 });
  const stringList = fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }).map((list) => JSON.stringify(list));
  // Mostly well-formed assignments, each field possibly missing or odd, plus a stray field.
  const paired = fc.record({
    t: mostly(fc.constant('paired'), fc.constantFrom('handed', 'handoff', 'x', '')),
    to: maybe(anyString),
    gen: maybe(mostly(fc.constantFrom('0', '1', '42'), fc.oneof(fc.constantFrom('-2', '1.5', ' 3 ', '1e3', '0x10', '9007199254740993', 'x', ''), anyString))),
    chat: maybe(anyString),
    partner: maybe(anyString),
    pgw: maybe(anyString),
    interests: maybe(mostly(stringList, fc.constantFrom('["a",1]', '{}', 'null', '"a"', 'x', ''))),
    lang: maybe(mostly(stringList, fc.constantFrom('["a",1]', 'en', ''))),
    media: maybe(mostly(fc.constantFrom('text', 'audio', 'video'), fc.constantFrom('', 'fax'))),
    role: maybe(mostly(fc.constantFrom('', 'offer', 'answer'), fc.constantFrom('x', 'Offer'))),
    rematch: maybe(mostly(fc.constantFrom('0', '1'), fc.constantFrom('yes', ''))),
    extra: maybe(anyString),
  });
  let decoded = 0;
  fc.assert(
    fc.property(paired, (record) => {
      const flat = Object.entries(record).flatMap(([field, value]) => (value === undefined ? [] : [field, value]));
      const fields = fieldsToRecord(flat);
      const expected = decodeEntry(controlEntrySchema, fields);
      assert.deepEqual(decodeControlEntry(fields), expected);
      if (expected) decoded += 1;
    }),
    { numRuns: 3000 },
  );
  assert.ok(decoded > 300, `only ${decoded} generated assignments were well-formed`);
});

test('for any field list, the hand-written inbox decoder agrees with the schema', () => {
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { freq: 8, nil: undefined });
  const mostly = <T>(good: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: odd });
  const anyString = fc.string({ maxLength: 5 });
  const integer = mostly(fc.constantFrom('0', '1', '1700000000000'), fc.oneof(fc.constantFrom('-2', '1.5', ' 3 ', '1e3', '0x10', '9007199254740993', 'x', ''), anyString));
  // Every inbox kind, each field possibly missing or odd (fields of the other kinds included).
  const entry = fc.record({
    t: mostly(fc.constantFrom('msg', 'typing', 'left'), fc.constantFrom('paired', 'x', '')),
    to: maybe(anyString),
    chat: maybe(anyString),
    seq: maybe(integer),
    ts: maybe(integer),
    text: maybe(anyString),
    typing: maybe(mostly(fc.constantFrom('0', '1'), anyString)),
    reason: maybe(mostly(fc.constantFrom('left', 'next', 'disconnected', 'reported'), anyString)),
    by: maybe(anyString),
  });
  let decoded = 0;
  fc.assert(
    fc.property(entry, (record) => {
      const flat = Object.entries(record).flatMap(([field, value]) => (value === undefined ? [] : [field, value]));
      const fields = fieldsToRecord(flat);
      const expected = decodeEntry(inboxEntrySchema, fields);
      assert.deepEqual(decodeInboxEntry(fields), expected);
      if (expected) decoded += 1;
    }),
    { numRuns: 3000 },
  );
  assert.ok(decoded > 300, `only ${decoded} generated entries were well-formed`);
});
