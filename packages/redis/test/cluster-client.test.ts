import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@strangers/config';
import { startRedisCluster, type RedisClusterHandle } from '@strangers/testkit';
import { createRedisClient, duplicateRedisClient, isCluster, keys, orphanShard, ORPHAN_INDEX_SHARDS, parseRedisUrl, type Redis } from '../src/index.js';

test('REDIS_URL: one server, or a cluster as redis+cluster://seed,seed with shared AUTH and TLS', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379'), { kind: 'single', url: 'redis://127.0.0.1:6379', tls: false });
  assert.deepEqual(parseRedisUrl('rediss+cluster://app:p%40ss@10.0.0.1:7000,redis-2:7001,[::1]:7002'), {
    kind: 'cluster',
    nodes: [
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-2', port: 7001 },
      { host: '::1', port: 7002 },
    ],
    tls: true,
    username: 'app',
    password: 'p@ss',
  });
  assert.deepEqual(parseRedisUrl('redis+cluster://:secret@h:1'), { kind: 'cluster', nodes: [{ host: 'h', port: 1 }], tls: false, password: 'secret' });
  for (const bad of ['http://x', 'redis+cluster://', 'redis+cluster://h', 'redis+cluster://h:99999', 'redis+cluster://h:1/db']) {
    assert.throws(() => parseRedisUrl(bad), undefined, bad);
  }
});

test('orphan index shards spread sessions', () => {
  const seen = new Set(Array.from({ length: 200 }, (_, i) => orphanShard(`session-${i}`)));
  assert.equal(seen.size, ORPHAN_INDEX_SHARDS);
});

let cluster: RedisClusterHandle;
let redis: Redis;
before(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  redis = createRedisClient({ url: cluster.url, logger: createLogger({ name: 't', level: 'silent' }), connectionName: 'test', autoPipelining: true });
});
after(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

test('on a cluster: scripts run single-slot, and claim and reap race for an orphan exactly once', async () => {
  assert.ok(isCluster(redis));
  const sessions = Array.from({ length: 30 }, (_, i) => `s${i}`);
  // Spread over every node: the scripts must find each session's node by its key.
  for (const sid of sessions) await redis.hset(keys.session(sid), { token: `t-${sid}`, owner: 'gw|1' });
  for (const sid of sessions) assert.equal(await redis.sessionOrphan(keys.session(sid), sid, 'gw|1', 1000), 1);
  const outcomes = await Promise.all(
    sessions.map(async (sid, i) => {
      // Half are claimed first, half reaped first; the loser must be told so.
      const claim = () => redis.sessionClaim(keys.session(sid), sid, `t-${sid}`, '', 'gw2|1');
      const reap = () => redis.sessionReap(keys.session(sid), 2000);
      const [first, second] = i % 2 === 0 ? [await claim(), await reap()] : [await reap(), await claim()];
      return i % 2 === 0 ? { claim: first, reap: second } : { claim: second, reap: first };
    }),
  );
  outcomes.forEach((outcome, i) => assert.deepEqual(outcome, i % 2 === 0 ? { claim: 1, reap: 0 } : { claim: -1, reap: 1 }));
  // A deadline still ahead is left for later.
  await redis.hset(keys.session('later'), { token: 't', owner: 'gw|1' });
  await redis.sessionOrphan(keys.session('later'), 'later', 'gw|1', 5000);
  assert.equal(await redis.sessionReap(keys.session('later'), 2000), -1);
  // The index entry is dropped only if its score is the one read.
  const shard = keys.sessionOrphans(orphanShard('later'));
  await redis.zadd(shard, 5000, 'later');
  assert.equal(await redis.orphanIndexDrop(shard, 'later', 4000), 0);
  assert.equal(await redis.orphanIndexDrop(shard, 'later', 5000), 1);
});

test('on a cluster: session_assign stores an assignment only for the expected owner, waiting with its gen', async () => {
  const assign = (sid: string, owner: string, gen: number) => redis.sessionAssign(keys.session(sid), owner, gen, '0.c', 'p', 'gw-p', '["go"]');
  await redis.hset(keys.session('w1'), { token: 't', owner: 'dead|1', state: 'waiting', gen: '3' });
  assert.equal(await assign('w1', 'dead|1', 2), 0, 'another gen');
  assert.equal(await assign('w1', '', 3), 0, 'not an orphan yet');
  assert.equal(await assign('w1', 'dead|1', 3), 1);
  assert.deepEqual(await redis.hmget(keys.session('w1'), 'state', 'chat', 'partner', 'pgw', 'cint'), ['paired', '0.c', 'p', 'gw-p', '["go"]']);
  assert.equal(await assign('w1', 'dead|1', 3), 0, 'already paired');
  // A session a resume claimed meanwhile is left alone.
  await redis.hset(keys.session('w2'), { token: 't', owner: 'gw2|1', state: 'waiting', gen: '1' });
  assert.equal(await assign('w2', '', 1), 0);
  assert.equal(await redis.hget(keys.session('w2'), 'state'), 'waiting');
  assert.equal(await assign('gone', '', 1), 0);
});

test('on a cluster: a duplicate reads a blocking stream on the node that owns it', async () => {
  const reader = duplicateRedisClient(redis, 'reader');
  try {
    const stream = keys.gatewayInbox(5, 'gw-x');
    const first = await redis.xadd(stream, '*', 'k', 'v');
    await redis.xadd(stream, '*', 'k', 'w');
    // After the first entry: answered at once by the stream's node (BLOCK only if empty).
    const reply = (await reader.xread('BLOCK', 5000, 'STREAMS', stream, '0-0')) as [string, [string, string[]][]][];
    assert.equal(reply[0]![1][0]![0], first);
    assert.equal(reply[0]![0], stream);
    assert.deepEqual(reply[0]![1][0]![1], ['k', 'v']);
  } finally {
    reader.disconnect();
  }
});
