import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Redis } from '@strangers/redis';
import { actOnReport, createAppeal, getAppeal, listAppeals, listAudit, listBansInForce, moderationKeys, purgeExpired } from '../src/index.ts';
import { seedReport, startStore } from './redis.ts';

const DAY_MS = 24 * 3600 * 1000;
let store: Awaited<ReturnType<typeof startStore>>;
let redis: Redis;
before(async () => {
  store = await startStore();
  redis = store.redis;
});
after(async () => store?.stop());

test('the purge drops expired bans from the in-force set, deletes year-old appeals and trims the audit log', async () => {
  const now = Date.now();
  const shortId = await seedReport(redis, { category: 'minor_safety' });
  const { ban: short } = await actOnReport(redis, shortId, { action: 'ban', ground: 'spam', duration: 3600 }, 'alice', { publicUrl: 'https://m' }, now);
  const longId = await seedReport(redis, { category: 'minor_safety' });
  const { ban: permanent } = await actOnReport(redis, longId, { action: 'ban', ground: 'minor_safety' }, 'alice', { publicUrl: 'https://m' }, now);
  const appeal = await createAppeal(redis, permanent!.id, 'please', now);
  assert.equal((await redis.xlen(moderationKeys.audit)) > 0, true);

  // Two hours on: the one-hour ban has ended; the permanent one and the appeal stay.
  const soon = await purgeExpired(redis, { auditRetentionDays: 730 }, now + 2 * 3600_000);
  assert.equal(soon.bansExpired, 1);
  assert.equal(await redis.zscore(moderationKeys.bansInForce, short!.id), null);
  assert.deepEqual((await listBansInForce(redis, now + 2 * 3600_000)).map((b) => b.id), [permanent!.id]);
  assert.ok(await redis.exists(moderationKeys.ban(short!.id)), 'the ended ban is kept as history');
  assert.ok(await getAppeal(redis, appeal.id));

  // A year and a day on: the appeal, the minor_safety reports and the audit entries older than 30 days go.
  const later = now + 366 * DAY_MS;
  const result = await purgeExpired(redis, { auditRetentionDays: 30 }, later);
  assert.equal(result.appeals, 1);
  assert.equal(result.reports, 2);
  assert.ok(result.auditEntries >= 3);
  assert.equal(await getAppeal(redis, appeal.id), undefined);
  assert.deepEqual((await listAppeals(redis, { status: 'open', limit: 10 })).items, []);
  for (const id of [shortId, longId]) assert.equal(await redis.exists(moderationKeys.report(id)), 0);
  // What remains of the audit log is the purge's own entry.
  const audit = await listAudit(redis, { limit: 10 });
  assert.deepEqual(audit.items.map((e) => [e.action, e.by]), [['purge', 'system']]);
  assert.deepEqual(audit.items[0]!.detail, { reports: 2, appeals: 1, bansExpired: 0, auditEntries: result.auditEntries });
  // A permanent ban is never purged.
  assert.deepEqual((await listBansInForce(redis, later)).map((b) => b.id), [permanent!.id]);
});
