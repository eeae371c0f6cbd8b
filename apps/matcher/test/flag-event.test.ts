import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeMatcherEvent, encodeMatcherEvent, keys, type MatcherEvent } from '@strangers/redis';
import { startRedisServer, type RedisServerHandle } from '@strangers/testkit';
import { Lease } from '../src/leadership/lease.js';
import { MatchingState, type MatchingSettings, type ReadEvent } from '../src/matching/matching-state.js';
import { loadDurableState } from '../src/store/durable-state.js';
import { registerMatcherScripts } from '../src/store/scripts.js';
import { decodeCommit } from './helpers/commit-decoder.js';

/**
 * The `flag {ipHash, until}` event (a shadow ban, a gateway's automatic abuse action): the
 * address's joins from then on go to the flagged pool, until `until`; and `unflag {ipHash}`
 * (a moderator lifted the shadow ban): the flag goes at once.
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

test('an unflag event round-trips through the stream codec', () => {
  const event: MatcherEvent = { t: 'unflag', ipHash: 'lifted' };
  assert.deepEqual(decodeMatcherEvent(encodeMatcherEvent(event)), event);
  assert.equal(decodeMatcherEvent(['t', 'unflag', 'ipHash', '']), undefined);
});

test('a lift (unflag): the waiting session of the address meets ordinary ones at once, and its counted reports are gone', () => {
  let chats = 0;
  const flagged: string[] = [];
  const state = new MatchingState(SETTINGS, () => `0.chat${chats++}`, { flagged: (ipHash) => flagged.push(ipHash) });
  // Two reports counted against the address (threshold 3), then the shadow ban's flag.
  state.applyEvents(
    [
      { id: '1-0', event: { t: 'reported', sid: 'x', ipHash: 'shadowed' } },
      { id: '2-0', event: { t: 'reported', sid: 'x', ipHash: 'shadowed' } },
      { id: '3-0', event: { t: 'flag', ipHash: 'shadowed', until: 100_000 } },
      { id: '4-0', event: join('shadow1', 'shadowed') },
      { id: '5-0', event: join('ordinary', 'someone') },
    ],
    undefined,
    10,
  );
  assert.deepEqual(state.waiting().map((session) => [session.sid, session.flagged]), [['shadow1', true], ['ordinary', false]]);
  const lifted = decodeCommit(state.applyEvents([{ id: '6-0', event: { t: 'unflag', ipHash: 'shadowed' } }], undefined, 20), ['g1']);
  assert.deepEqual(lifted.unflagged, ['shadowed']);
  assert.deepEqual(lifted.forgotten, ['shadowed|1-0', 'shadowed|2-0']);
  assert.deepEqual(lifted.assignments.map((a) => [a.to, a.partner]).sort(), [['ordinary', 'shadow1'], ['shadow1', 'ordinary']]);
  assert.deepEqual(state.waiting(), []);
  // The reports were forgotten: one more does not reach the threshold.
  const reported = decodeCommit(state.applyEvents([{ id: '7-0', event: { t: 'reported', sid: 'x', ipHash: 'shadowed' } }], undefined, 30), ['g1']);
  assert.deepEqual(reported.flagged, []);
  assert.deepEqual(flagged, []);
});

test('within one batch, a flag after a lift stands and a flag before it is dropped', () => {
  const state = new MatchingState(SETTINGS, () => '0.chat');
  const relifted = decodeCommit(
    state.applyEvents(
      [
        { id: '1-0', event: { t: 'flag', ipHash: 'a', until: 900 } },
        { id: '2-0', event: { t: 'unflag', ipHash: 'a' } },
        { id: '3-0', event: { t: 'unflag', ipHash: 'b' } },
        { id: '4-0', event: { t: 'flag', ipHash: 'b', until: 800 } },
      ],
      undefined,
      10,
    ),
    [],
  );
  // The script removes `unflagged` before it adds `flagged`.
  assert.deepEqual(relifted.unflagged, ['a', 'b']);
  assert.deepEqual(relifted.flagged, [{ until: 800, ipHash: 'b' }]);
});

describe('a lift as stored (the fenced commit on a real Redis)', { timeout: 30_000 }, () => {
  let server: RedisServerHandle;
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('the flag and the counted reports leave Redis, the waiting entry is stored unflagged, and a restore agrees', async () => {
    const redis = server.client();
    registerMatcherScripts(redis);
    const lease = new Lease(redis, 'matcher-test', 10_000);
    assert.ok(await lease.tryAcquire());
    const now = Date.now();
    const state = new MatchingState(SETTINGS, () => '0.chat');
    const commit = (events: ReadEvent[]) => lease.commit(state.applyEvents(events, undefined, now).toScript(undefined, undefined));
    await commit([
      { id: '1-0', event: { t: 'reported', sid: 'x', ipHash: 'shadowed' } },
      { id: '2-0', event: { t: 'reported', sid: 'x', ipHash: 'bystander' } },
      { id: '3-0', event: { t: 'flag', ipHash: 'shadowed', until: now + 100_000 } },
      { id: '4-0', event: { t: 'flag', ipHash: 'other', until: now + 100_000 } },
      { id: '5-0', event: { t: 'flag', ipHash: 'bystander', until: now + 100_000 } },
      { id: '6-0', event: join('shadow1', 'shadowed') },
    ]);
    assert.deepEqual(await redis.zrange(keys.matcherFlagged, 0, -1), ['bystander', 'other', 'shadowed']);
    // `other` is lifted and flagged again in the same batch (another shadow ban still in force).
    await commit([
      { id: '7-0', event: { t: 'unflag', ipHash: 'shadowed' } },
      { id: '8-0', event: { t: 'unflag', ipHash: 'other' } },
      { id: '9-0', event: { t: 'flag', ipHash: 'other', until: now + 50_000 } },
    ]);
    assert.deepEqual(await redis.zrange(keys.matcherFlagged, 0, -1, 'WITHSCORES'), ['other', String(now + 50_000), 'bystander', String(now + 100_000)]);
    assert.deepEqual(await redis.zrange(keys.matcherReports, 0, -1), ['bystander|2-0'], "only the lifted address's reports are forgotten");
    const durable = await loadDurableState(redis, now, SETTINGS.reports.windowMs);
    assert.deepEqual(durable.queue.map((session) => [session.sid, session.flagged]), [['shadow1', false]]);
    // A matcher taking over meets the lifted session with an ordinary joiner.
    const restored = new MatchingState(SETTINGS, () => '0.restored');
    restored.restore(durable, undefined, now);
    const paired = decodeCommit(restored.applyEvents([{ id: '10-0', event: join('ordinary', 'someone') }], undefined, now + 1), ['g1']);
    assert.deepEqual(paired.assignments.map((a) => a.to).sort(), ['ordinary', 'shadow1']);
  });
});
