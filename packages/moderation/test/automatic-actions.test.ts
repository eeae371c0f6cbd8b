import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from '@strangers/redis';
import { actOnReport, AUTOMATIC_REPORTER, getReport, listReports, recordAutomaticAction } from '../src/index.ts';
import { startStore } from './redis.ts';

describe('automatic actions in the queue', () => {
  let store: Awaited<ReturnType<typeof startStore>>;
  let redis: Redis;
  before(async () => {
    store = await startStore();
    redis = store.redis;
  });
  after(async () => store?.stop());

  test('an automatic action is an open report by `automatic` with its action, end and signals, and a moderator can confirm it', async () => {
    const at = Date.now();
    const { id } = await recordAutomaticAction(redis, {
      ipHash: 'abuserHash000001',
      gateway: 'gw-7',
      sid: 'session-9',
      action: 'shadow',
      at,
      until: at + 3600_000,
      signals: { skip: 12, repeat: 4.5, blocked: 0 },
      messages: [{ seq: 3, ts: at - 1000, from: 'reported', text: 'buy cheap pills' }],
    });
    const report = await getReport(redis, id);
    assert.ok(report);
    assert.equal(report.status, 'open');
    assert.equal(report.category, 'spam');
    assert.equal(report.reporter.ipHash, AUTOMATIC_REPORTER);
    assert.deepEqual(report.reported, { sid: 'session-9', ipHash: 'abuserHash000001', gateway: 'gw-7' });
    assert.deepEqual(report.automatic, { action: 'shadow', until: at + 3600_000, signals: { skip: 12, repeat: 4.5, blocked: 0 } });
    assert.equal(report.reason, 'automatic shadow: skip 12, repeat 4.50, blocked 0');
    assert.deepEqual(report.evidence.messages.map((m) => m.text), ['buy cheap pills']);
    const queue = await listReports(redis, { status: 'open', category: 'spam', limit: 50 });
    assert.ok(queue.items.some((item) => item.id === id));
    const acted = await actOnReport(redis, id, { action: 'ban', ground: 'spam' }, 'alice', { publicUrl: 'https://moderation.example.org' });
    assert.equal(acted.ban?.ipHash, 'abuserHash000001');
  });

  test('bad input changes nothing', async () => {
    const before = await listReports(redis, { status: 'open', limit: 200 });
    await assert.rejects(recordAutomaticAction(redis, { ipHash: 'x', gateway: 'gw-7', action: 'shadow', at: Date.now(), signals: {} }));
    await assert.rejects(recordAutomaticAction(redis, { ipHash: 'abuserHash000001', gateway: 'gw-7', action: 'Not An Action!', at: Date.now(), signals: {} }));
    const afterwards = await listReports(redis, { status: 'open', limit: 200 });
    assert.equal(afterwards.items.length, before.items.length);
  });
});
