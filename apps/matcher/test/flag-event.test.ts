import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMatcherEvent, encodeMatcherEvent, type MatcherEvent } from '@strangers/redis';
import { MatchingState, type MatchingSettings } from '../src/matching/matching-state.js';

/**
 * The `flag {ipHash, until}` event (a gateway's automatic abuse action, packages/safety): the
 * address's joins from then on go to the flagged pool, until `until`.
 */
const SETTINGS: MatchingSettings = {
  interestFallbackMs: 1000,
  langFallbackMs: 1500,
  langMatch: 'prefer',
  nextCooldownMs: 1000,
  reportBlockMs: 5000,
  recentPairTtlMs: 30_000,
  reports: { threshold: 3, windowMs: 3000, flagMs: 4000 },
};

const join = (sid: string, ipHash: string): MatcherEvent => ({ t: 'join', sid, gw: 'g1', gen: 1, interests: [], ipHash, block: false, lang: [], strict: false, age: 'unknown', media: 'text' });

test('a flag event round-trips through the stream codec', () => {
  const event: MatcherEvent = { t: 'flag', ipHash: 'spammer', until: 123_456 };
  assert.deepEqual(decodeMatcherEvent(encodeMatcherEvent(event)), event);
  assert.equal(decodeMatcherEvent(['t', 'flag', 'ipHash', 'x', 'until', 'soon']), undefined);
});

test('after a flag event the address meets only flagged sessions, until the flag lapses', () => {
  let chats = 0;
  const state = new MatchingState(SETTINGS, () => `0.chat${chats++}`);
  state.applyEvents([{ id: '1-0', event: { t: 'flag', ipHash: 'spammer', until: 500 } }], undefined, 10);
  state.applyEvents(
    [
      { id: '2-0', event: join('ordinary', 'someone') },
      { id: '3-0', event: join('spam1', 'spammer') },
    ],
    undefined,
    20,
  );
  assert.deepEqual(
    state.waiting().map((session) => [session.sid, session.flagged]),
    [
      ['ordinary', false],
      ['spam1', true],
    ],
    'not paired: different pools',
  );
  state.applyEvents([{ id: '4-0', event: join('spam2', 'spammer') }], undefined, 30);
  assert.deepEqual(state.waiting().map((session) => session.sid), ['ordinary'], 'the two flagged sessions met');
  // Once the flag lapses, a join from the address is ordinary again.
  state.applyEvents([{ id: '5-0', event: join('spam3', 'spammer') }], undefined, 600);
  assert.deepEqual(state.waiting().map((session) => session.sid), [], 'paired with the ordinary session');
});
