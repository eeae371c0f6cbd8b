import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@strangers/config';
import { createRedisClient, duplicateRedisClient, waitForRedisReady, type Redis } from '@strangers/redis';
import { startRedisServer, waitFor } from '@strangers/testkit';
import {
  actOnReport,
  BanFollower,
  BanRegistry,
  banStatement,
  createAppeal,
  decideAppeal,
  getBan,
  getReport,
  listAppeals,
  listAudit,
  listBansInForce,
  liftBan,
  loadBansInForce,
  listReports,
  ModerationError,
  moderationKeys,
  readBanEvents,
  type AppliedBanEvent,
} from '../src/index.ts';
import { serverFrameSchema } from '@strangers/protocol';
import { seedReport, startStore } from './redis.ts';

const settings = { publicUrl: 'https://mod.example.org/' };

describe('actions, bans, appeals and the audit log', () => {
  let store: Awaited<ReturnType<typeof startStore>>;
  let redis: Redis;
  before(async () => {
    store = await startStore();
    redis = store.redis;
  });
  after(async () => store?.stop());

  test('dismiss moves the report out of the open queue and is audited', async () => {
    const id = await seedReport(redis, { category: 'spam' });
    const result = await actOnReport(redis, id, { action: 'dismiss', reason: 'not spam' }, 'alice', settings);
    assert.equal(result.ban, undefined);
    const report = await getReport(redis, id);
    assert.equal(report!.status, 'dismissed');
    assert.equal(report!.action!.by, 'alice');
    assert.ok(!(await listReports(redis, { status: 'open', limit: 100 })).items.some((r) => r.id === id));
    assert.deepEqual((await listReports(redis, { status: 'dismissed', category: 'spam', limit: 100 })).items.map((r) => r.id), [id]);
    const audit = (await listAudit(redis, { limit: 1 })).items[0]!;
    assert.equal(audit.action, 'dismiss');
    assert.equal(audit.by, 'alice');
    assert.equal(audit.target, id);
    assert.equal(audit.reason, 'not spam');
    // Decided once: a second action is refused, nothing changes.
    await assert.rejects(actOnReport(redis, id, { action: 'ban', ground: 'spam' }, 'bob', settings), (e: unknown) => e instanceof ModerationError && e.code === 'conflict');
    assert.equal((await getReport(redis, id))!.status, 'dismissed');
  });

  test('a ban keys on the reported address, is in force, on the stream, in the statement; lifting ends it', async () => {
    const { lastEventId } = await loadBansInForce(redis);
    const id = await seedReport(redis, { category: 'harassment' });
    const { ban } = await actOnReport(redis, id, { action: 'ban', duration: 3600, ground: 'harassment', reason: 'insults' }, 'alice', settings);
    assert.ok(ban);
    assert.equal(ban.ipHash, 'reportedHash0001');
    assert.equal(ban.kind, 'ban');
    assert.ok(Math.abs(ban.until! - (Date.now() + 3600_000)) < 5000);
    assert.equal(ban.appeal, `https://mod.example.org/appeal/${ban.id}`);
    assert.equal((await getReport(redis, id))!.status, 'actioned');
    assert.deepEqual(banStatement(ban), { type: 'banned', ban: ban.id, reason: 'Harassment or bullying: insults', until: ban.until, appeal: ban.appeal });
    // It is PROTOCOL §3's frame as packages/protocol defines it.
    assert.deepEqual(serverFrameSchema.parse(banStatement(ban)), banStatement(ban));

    const inForce = await listBansInForce(redis);
    assert.ok(inForce.some((b) => b.id === ban.id));
    const snapshot = await loadBansInForce(redis);
    assert.ok(snapshot.bans.some((b) => b.id === ban.id));
    const { events } = await readBanEvents(redis, lastEventId);
    assert.deepEqual(events, [{ type: 'add', ban }]);

    await liftBan(redis, ban.id, 'bob', 'mistake');
    assert.equal((await getBan(redis, ban.id))!.liftReason, 'mistake');
    const lifted = await getBan(redis, ban.id);
    assert.equal(lifted!.liftedBy, 'bob');
    assert.ok(!(await listBansInForce(redis)).some((b) => b.id === ban.id));
    const after = await readBanEvents(redis, snapshot.lastEventId);
    assert.deepEqual(after.events, [{ type: 'lift', banId: ban.id }]);
    await assert.rejects(liftBan(redis, ban.id, 'bob'), (e: unknown) => e instanceof ModerationError && e.code === 'conflict');
    await assert.rejects(liftBan(redis, '000000000ffffffffffffffff', 'bob'), (e: unknown) => e instanceof ModerationError && e.code === 'not_found');
    const [liftEntry, banEntry] = (await listAudit(redis, { limit: 2 })).items;
    assert.equal(liftEntry!.action, 'lift');
    assert.equal(liftEntry!.target, ban.id);
    assert.equal(banEntry!.action, 'ban');
    assert.equal(banEntry!.detail!.ban, ban.id);
  });

  test('a permanent shadow ban has no end; bad requests are refused and change nothing', async () => {
    const id = await seedReport(redis);
    await assert.rejects(actOnReport(redis, id, { action: 'ban' } as never, 'alice', settings));
    await assert.rejects(actOnReport(redis, id, { action: 'ban', reason: '   ' }, 'alice', settings));
    await assert.rejects(actOnReport(redis, id, { action: 'ban', ground: 'spam', duration: 5 }, 'alice', settings));
    await assert.rejects(actOnReport(redis, id, { action: 'ban', ground: 'spam', reason: 'x'.repeat(501) }, 'alice', settings));
    await assert.rejects(actOnReport(redis, id, { action: 'ban', ground: 'not-a-ground' as never }, 'alice', settings));
    assert.equal((await getReport(redis, id))!.status, 'open');
    await assert.rejects(actOnReport(redis, '000000000aaaaaaaaaaaaaaaa', { action: 'dismiss' }, 'alice', settings), (e: unknown) => e instanceof ModerationError && e.code === 'not_found');

    const { ban } = await actOnReport(redis, id, { action: 'shadowban', reason: 'spam' }, 'alice', settings);
    assert.equal(ban!.kind, 'shadowban');
    // A ground code given as the reason is the ground, with no free text.
    assert.equal(ban!.ground, 'spam');
    assert.equal(ban!.reason, '');
    assert.equal(ban!.until, undefined);
    assert.equal(await redis.zscore(moderationKeys.bansInForce, ban!.id), 'inf');
    assert.equal(await redis.pttl(moderationKeys.ban(ban!.id)), -1);
    const permanent = banStatement(ban!);
    assert.equal('until' in permanent, false);
    assert.deepEqual(serverFrameSchema.parse(permanent), permanent);
  });

  test('a follower keeps a registry in step: start-up snapshot, then adds and lifts as they happen', async () => {
    const registry = new BanRegistry();
    const seen: AppliedBanEvent[] = [];
    const follower = new BanFollower({
      redis,
      reader: duplicateRedisClient(redis, 'bans'),
      registry,
      logger: createLogger({ name: 'test', level: 'silent' }),
      onEvent: (event) => seen.push(event),
      blockMs: 200,
    });
    const before = await seedReport(redis, { reported: { sid: 's-x', ipHash: 'followerHash0001', gateway: 'gw-1' } });
    const { ban: early } = await actOnReport(redis, before, { action: 'ban', reason: 'sent the same link 40 times' }, 'alice', settings);
    assert.equal(early!.ground, 'other');
    assert.deepEqual(banStatement(early!).reason, 'Breaking the rules of this service: sent the same link 40 times');
    await follower.start();
    try {
      assert.equal(registry.lookup('followerHash0001').ban?.id, early!.id);
      const id = await seedReport(redis, { reported: { sid: 's-y', ipHash: 'followerHash0002', gateway: 'gw-1' } });
      const { ban } = await actOnReport(redis, id, { action: 'shadowban', ground: 'spam', duration: 600 }, 'alice', settings);
      await waitFor(() => registry.lookup('followerHash0002').shadowban?.id === ban!.id, { what: 'the shadow ban to reach the registry' });
      assert.equal(registry.lookup('followerHash0002').ban, undefined);
      await liftBan(redis, early!.id, 'alice');
      await waitFor(() => registry.lookup('followerHash0001').ban === undefined, { what: 'the lift to reach the registry' });
      assert.deepEqual(seen.map((e) => e.type), ['add', 'lift']);
      // The stream's lift names only the id: the follower adds the record lifted (a gateway needs its address and kind).
      assert.deepEqual(seen[1], { type: 'lift', banId: early!.id, ban: early });
      // Expired entries never apply.
      assert.equal(registry.lookup('followerHash0002', Date.now() + 601_000).shadowban, undefined);
    } finally {
      await follower.stop();
    }
  });

  test('appeals: one per ban in force, listed, decided; lifting lifts the ban', async () => {
    const id = await seedReport(redis, { reported: { sid: 's-z', ipHash: 'appealHash00001', gateway: 'gw-1' } });
    const { ban } = await actOnReport(redis, id, { action: 'ban', ground: 'hate', duration: 86_400 }, 'alice', settings);
    const appeal = await createAppeal(redis, ban!.id, '  I was misunderstood  ');
    assert.equal(appeal.text, 'I was misunderstood');
    await assert.rejects(createAppeal(redis, ban!.id, 'again'), (e: unknown) => e instanceof ModerationError && e.code === 'conflict');
    await assert.rejects(createAppeal(redis, '000000000bbbbbbbbbbbbbbbb', 'hello'), (e: unknown) => e instanceof ModerationError && e.code === 'not_found');
    await assert.rejects(createAppeal(redis, ban!.id, 'x'.repeat(2001)));
    const open = await listAppeals(redis, { status: 'open', limit: 10 });
    assert.deepEqual(open.items.map((a) => a.id), [appeal.id]);
    assert.equal((await getBan(redis, ban!.id))!.appealId, appeal.id);

    const { lastEventId } = await loadBansInForce(redis);
    const decided = await decideAppeal(redis, appeal.id, { decision: 'lift', reason: 'fair point' }, 'bob');
    assert.equal(decided.status, 'lifted');
    assert.equal((await getBan(redis, ban!.id))!.liftedBy, 'bob');
    assert.deepEqual((await readBanEvents(redis, lastEventId)).events, [{ type: 'lift', banId: ban!.id }]);
    assert.deepEqual((await listAppeals(redis, { status: 'open', limit: 10 })).items, []);
    assert.equal((await listAppeals(redis, { status: 'lifted', limit: 10 })).items[0]!.decision!.by, 'bob');
    await assert.rejects(decideAppeal(redis, appeal.id, { decision: 'uphold' }, 'bob'), (e: unknown) => e instanceof ModerationError && e.code === 'conflict');
    // Lifted: it can no longer be appealed.
    const other = await seedReport(redis);
    const { ban: second } = await actOnReport(redis, other, { action: 'ban', ground: 'spam' }, 'alice', settings);
    await liftBan(redis, second!.id, 'alice');
    await assert.rejects(createAppeal(redis, second!.id, 'please'), (e: unknown) => e instanceof ModerationError && e.code === 'conflict');
    const entries = (await listAudit(redis, { limit: 20 })).items.map((e) => e.action);
    assert.ok(entries.includes('appeal') && entries.includes('appeal_lift'));
    // The audit log never holds the appeal text.
    assert.ok(!(await redis.xrange(moderationKeys.audit, '-', '+')).flat(2).some((field) => String(field).includes('misunderstood')));
  });

  test('the audit log pages newest first', async () => {
    const first = await listAudit(redis, { limit: 3 });
    const second = await listAudit(redis, { limit: 3, cursor: first.next });
    assert.equal(first.items.length, 3);
    assert.ok(second.items.length > 0);
    const ids = [...first.items, ...second.items].map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(first.items.every((e, i, all) => i === 0 || all[i - 1]!.at >= e.at));
  });
});

describe('ban follower after a failed read', () => {
  test('reloads the bans and reports what changed meanwhile', async () => {
    const store = await startStore();
    // The reader's server is gone: every blocking read fails, as in an outage of its connection.
    // One plain server whatever the topology: a cluster client queues commands through a whole
    // outage instead of failing them (and then carries on from where it was, which needs no reload).
    const deadServer = await startRedisServer();
    const deadReader = createRedisClient({ url: deadServer.url, logger: createLogger({ name: 'test', level: 'silent' }), connectionName: 'dead-reader' });
    await waitForRedisReady(deadReader);
    await deadServer.stop();
    const registry = new BanRegistry();
    const seen: AppliedBanEvent[] = [];
    const { ban: old } = await actOnReport(store.redis, await seedReport(store.redis), { action: 'ban', ground: 'spam' }, 'alice', settings);
    const follower = new BanFollower({ redis: store.redis, reader: deadReader, registry, logger: createLogger({ name: 'test', level: process.env.TEST_LOGS ? 'debug' : 'silent' }), onEvent: (event) => seen.push(event), blockMs: 100 });
    await follower.start();
    try {
      assert.equal(registry.size, 1);
      assert.deepEqual(seen, [], 'the start-up load reports nothing');
      const { ban: added } = await actOnReport(store.redis, await seedReport(store.redis, { reported: { sid: 'q', ipHash: 'duringOutage0001', gateway: 'gw' } }), { action: 'ban', ground: 'spam' }, 'alice', settings);
      await liftBan(store.redis, old!.id, 'alice');
      await waitFor(() => seen.length >= 2, { timeoutMs: 15_000, what: 'the reload to report the changes' });
      assert.deepEqual(seen.slice(0, 2), [
        { type: 'add', ban: added },
        { type: 'lift', banId: old!.id, ban: old },
      ]);
      assert.equal(registry.lookup('duringOutage0001').ban?.id, added!.id);
      assert.equal(registry.size, 1);
    } finally {
      await follower.stop();
      await store.stop();
    }
  });
});
