import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestRedis, type TestRedisHandle } from '@strangers/testkit';
import { AbuseScorer, autoActionsStream, decodeAutoAction, encodeAutoAction, loadSafetyConfig, readAutoActions, recordAutoAction } from '../src/index.js';

// `{mod}:auto`: the moderation queue's feed of automatic actions, on a real Redis.

let server: TestRedisHandle;
before(async () => {
  server = await startTestRedis();
});
after(async () => {
  await server.stop();
});

function aDecision() {
  const config = loadSafetyConfig({ ABUSE_THRESHOLD: '5', ABUSE_FREE_REPEAT: '0' });
  const scorer = new AbuseScorer(config.abuse);
  scorer.record('addr-hash-1', 'repeat', 1000);
  const decision = scorer.record('addr-hash-1', 'repeat', 1000);
  assert.ok(decision);
  return decision;
}

test('a decision round-trips through its entry; anything else is not an entry', () => {
  const decision = aDecision();
  const entry = decodeAutoAction(encodeAutoAction(decision, 'gw-1'));
  assert.deepEqual(entry, {
    t: 'auto',
    action: decision.action,
    ipHash: decision.address,
    at: decision.at,
    until: decision.until,
    score: decision.score,
    threshold: decision.threshold,
    signals: decision.signals,
    causes: decision.causes,
    gateway: 'gw-1',
  });
  assert.equal(decodeAutoAction(['t', 'auto', 'action', 'ban']), undefined);
  assert.equal(decodeAutoAction([...encodeAutoAction(decision, 'gw-1').slice(0, -4), 'causes', 'not json', 'gateway', 'gw-1']), undefined);
});

test('recorded on the stream and listed newest first', async () => {
  const redis = server.client();
  const decision = aDecision();
  await recordAutoAction(redis, decision, 'gw-a');
  await recordAutoAction(redis, { ...decision, address: 'addr-hash-2' }, 'gw-b');
  await redis.xadd(autoActionsStream, '*', 't', 'something-else');
  const listed = await readAutoActions(redis);
  assert.deepEqual(listed.map(({ entry }) => [entry.ipHash, entry.gateway]), [
    ['addr-hash-2', 'gw-b'],
    ['addr-hash-1', 'gw-a'],
  ]);
});
