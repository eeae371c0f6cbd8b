import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from '@strangers/redis';
import { boundEvidence, getReport, listReports, moderationKeys, purgeExpired, recordReport } from '../src/index.ts';
import { sampleReport, seedReport, startStore } from './redis.ts';

const DAY_MS = 24 * 3600 * 1000;

describe('reports and evidence', () => {
  let store: Awaited<ReturnType<typeof startStore>>;
  let redis: Redis;
  before(async () => {
    store = await startStore();
    redis = store.redis;
  });
  after(async () => store?.stop());

  test('evidence is stored and read back exactly, in seq order, both directions', async () => {
    const input = sampleReport({}, 6);
    // Handed over out of order: the stored evidence is ordered by seq.
    const shuffled = [...input.messages].reverse();
    const { id, kept, omitted } = await recordReport(redis, { ...input, messages: shuffled });
    assert.equal(kept, 6);
    assert.equal(omitted, 0);
    const report = await getReport(redis, id);
    assert.ok(report);
    assert.deepEqual(report.evidence.messages, input.messages);
    assert.equal(report.status, 'open');
    assert.equal(report.category, 'harassment');
    assert.deepEqual(report.reported, input.reported);
    assert.equal(report.chatId, input.chatId);
  });

  test('evidence keeps the last N messages and at most the byte cap', async () => {
    const input = sampleReport({}, 80);
    const { id, kept, omitted } = await recordReport(redis, input);
    assert.equal(kept, 50);
    assert.equal(omitted, 30);
    const report = await getReport(redis, id);
    assert.deepEqual(report!.evidence.messages.map((m) => m.seq), Array.from({ length: 50 }, (_, i) => i + 31));

    const big = sampleReport({ messages: Array.from({ length: 10 }, (_, i) => ({ seq: i, ts: i, from: 'reported' as const, text: 'é'.repeat(500) })) });
    const bounded = boundEvidence(big.messages!, { maxMessages: 50, maxBytes: 3000 });
    // 1000 bytes each: three fit, the newest three.
    assert.deepEqual(bounded.messages.map((m) => m.seq), [7, 8, 9]);
    assert.equal(bounded.omitted, 7);
  });

  test('bad input is refused and nothing is stored', async () => {
    const before = await redis.zcard(moderationKeys.reportsByStatus('open'));
    await assert.rejects(recordReport(redis, sampleReport({ category: 'nope' as never })));
    await assert.rejects(recordReport(redis, sampleReport({ reason: 'x'.repeat(201) })));
    await assert.rejects(recordReport(redis, { ...sampleReport(), reported: { sid: 's', ipHash: 'bad hash!', gateway: 'g' } }));
    assert.equal(await redis.zcard(moderationKeys.reportsByStatus('open')), before);
  });

  test('the queue lists oldest first, filters by category and pages with a cursor', async () => {
    const base = Date.now() + 10_000;
    const spam = [];
    for (let i = 0; i < 5; i++) spam.push(await seedReport(redis, { category: 'spam', at: base + i }));
    const hate = await seedReport(redis, { category: 'hate', at: base + 2 });
    const first = await listReports(redis, { status: 'open', category: 'spam', limit: 2 });
    assert.deepEqual(first.items.map((r) => r.id), spam.slice(0, 2));
    assert.ok(first.next);
    const second = await listReports(redis, { status: 'open', category: 'spam', limit: 2, cursor: first.next });
    assert.deepEqual(second.items.map((r) => r.id), spam.slice(2, 4));
    const third = await listReports(redis, { status: 'open', category: 'spam', limit: 2, cursor: second.next });
    assert.deepEqual(third.items.map((r) => r.id), spam.slice(4));
    assert.equal(third.next, undefined);
    const all = await listReports(redis, { status: 'open', limit: 1000 });
    const ids = all.items.map((r) => r.id);
    assert.deepEqual(ids, [...ids].sort());
    assert.ok(ids.indexOf(hate) > ids.indexOf(spam[1]!) && ids.indexOf(hate) < ids.indexOf(spam[3]!));
    assert.equal(all.items.find((r) => r.id === hate)!.category, 'hate');
    assert.deepEqual((await listReports(redis, { status: 'dismissed', limit: 10 })).items, []);
  });

  test('retention: 90 days by default, 365 for minor_safety; the purge really deletes', async () => {
    const at = Date.now();
    const spam = await recordReport(redis, sampleReport({ category: 'spam', at }));
    const child = await recordReport(redis, sampleReport({ category: 'minor_safety', at }));
    assert.equal(spam.expiresAt, at + 90 * DAY_MS);
    assert.equal(child.expiresAt, at + 365 * DAY_MS);
    assert.ok((await redis.pttl(moderationKeys.report(spam.id))) > 89 * DAY_MS, 'the key expires at its retention end too');

    // 91 days on: the spam report is past its retention, the minor_safety one is not.
    const result = await purgeExpired(redis, { auditRetentionDays: 730 }, at + 91 * DAY_MS);
    assert.ok(result.reports >= 1);
    assert.equal(await redis.exists(moderationKeys.report(spam.id)), 0);
    assert.equal(await redis.zscore(moderationKeys.reportExpiry, spam.id), null);
    for (const status of ['open', 'actioned', 'dismissed'] as const) {
      assert.equal(await redis.zscore(moderationKeys.reportsByStatus(status), spam.id), null);
      assert.equal(await redis.zscore(moderationKeys.reportsByStatusCategory(status, 'spam'), spam.id), null);
    }
    assert.equal(await getReport(redis, spam.id), undefined);
    assert.ok(!(await listReports(redis, { status: 'open', limit: 1000 })).items.some((r) => r.id === spam.id));
    assert.ok(await getReport(redis, child.id), 'the minor_safety report is kept for a year');

    await purgeExpired(redis, { auditRetentionDays: 730 }, at + 366 * DAY_MS);
    assert.equal(await redis.exists(moderationKeys.report(child.id)), 0);
    assert.equal(await redis.zscore(moderationKeys.reportsByStatus('open'), child.id), null);
  });

  test('capacity: bytes per report with 50 messages of 100 chars (MEMORY USAGE)', async () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({ seq: i + 1, ts: Date.now() + i, from: i % 2 ? ('reported' as const) : ('reporter' as const), text: 'x'.repeat(100) }));
    const { id } = await recordReport(redis, sampleReport({ messages }));
    const bytes = Number(await redis.memory('USAGE', moderationKeys.report(id), 'SAMPLES', 0));
    // The texts alone are 5000 bytes; the record, seq/ts/from and the hash's overhead add a few KB.
    assert.ok(bytes > 5000 && bytes < 20_000, `${bytes} bytes`);
    process.stdout.write(`# capacity: ${bytes} bytes per report key (50 × 100-char messages) ≈ ${Math.floor(2 ** 30 / (bytes + 300))} reports per GiB with index entries\n`);
  });
});
