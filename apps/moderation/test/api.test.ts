import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadBansInForce, moderationKeys, readBanEvents } from '@strangers/moderation';
import { call, seedReport, startModerationProcess, startModerationStack, TOKENS, type ModerationStack } from './service.ts';

describe('moderation API', { timeout: 120_000 }, () => {
  let stack: ModerationStack;
  before(async () => {
    stack = await startModerationStack();
  });
  after(async () => stack?.stop());

  /** What an answer that "changes nothing" must leave as it was. */
  async function footprint() {
    const s = stack.store;
    return {
      open: await s.zcard(moderationKeys.reportsByStatus('open')),
      actioned: await s.zcard(moderationKeys.reportsByStatus('actioned')),
      bans: await s.zcard(moderationKeys.bansInForce),
      events: await s.xlen(moderationKeys.banEvents),
      audit: await s.xlen(moderationKeys.audit),
    };
  }

  test('a missing, malformed or wrong token gets 401 with a JSON error; a right one names the moderator', async () => {
    for (const authorization of [undefined, 'Bearer nope-nope-nope-nope', `Basic ${TOKENS.alice}`, `Bearer ${TOKENS.alice}x`, `Bearer ${TOKENS.alice.slice(0, -1)}`]) {
      const answer = authorization === undefined ? await call(stack.url, 'GET', '/api/reports', { who: null }) : await call(stack.url, 'GET', '/api/reports', { authorization });
      assert.equal(answer.status, 401, String(authorization));
      assert.equal(answer.body.error, 'unauthorized');
      assert.equal(typeof answer.body.message, 'string');
    }
    assert.deepEqual((await call(stack.url, 'GET', '/api/me')).body, { moderator: 'alice' });
    assert.deepEqual((await call(stack.url, 'GET', '/api/me', { who: 'bob' })).body, { moderator: 'bob' });
  });

  test('the queue: oldest first, by status and category, paginated; bad queries are 400', async () => {
    const base = Date.now() - 60_000;
    const spam = [];
    for (let i = 0; i < 3; i++) spam.push(await seedReport(stack.store, { category: 'spam', at: base + i }));
    await seedReport(stack.store, { category: 'hate', at: base + 1 });
    const first = await call(stack.url, 'GET', '/api/reports?status=open&category=spam&limit=2');
    assert.equal(first.status, 200);
    const reports = first.body.reports as { id: string; category: string; status: string; createdAt: number; reason: string }[];
    assert.deepEqual(reports.map((r) => r.id), spam.slice(0, 2));
    assert.deepEqual(Object.keys(reports[0]!).sort(), ['category', 'createdAt', 'expiresAt', 'id', 'messages', 'reason', 'status']);
    const second = await call(stack.url, 'GET', `/api/reports?status=open&category=spam&limit=2&cursor=${first.body.next}`);
    assert.deepEqual((second.body.reports as { id: string }[]).map((r) => r.id), spam.slice(2));
    assert.equal(second.body.next, null);
    const all = (await call(stack.url, 'GET', '/api/reports')).body.reports as { id: string; category: string }[];
    assert.ok(all.length >= 4 && all.some((r) => r.category === 'hate'));
    for (const query of ['status=closed', 'category=nope', 'limit=0', 'limit=1000', 'cursor=%3Cx%3E', 'colour=red']) {
      const answer = await call(stack.url, 'GET', `/api/reports?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.body.error, 'invalid_request');
    }
  });

  test('a report reads back with its evidence exactly, in order', async () => {
    const id = await seedReport(stack.store);
    const { status, body } = await call(stack.url, 'GET', `/api/reports/${id}`);
    assert.equal(status, 200);
    assert.equal(body.id, id);
    assert.equal(body.status, 'open');
    const evidence = body.evidence as { messages: { seq: number; from: string; text: string }[] };
    assert.deepEqual(evidence.messages.map((m) => [m.seq, m.from, m.text]), [
      [1, 'reporter', 'hello there'],
      [2, 'reported', 'SECRET-EVIDENCE go away <b>now</b>'],
      [3, 'reporter', 'that was rude'],
    ]);
    for (const unknown of ['000000000aaaaaaaaaaaaaaaa', 'not-an-id', '..%2F..%2Fetc']) {
      const answer = await call(stack.url, 'GET', `/api/reports/${unknown}`);
      assert.equal(answer.status, 404, unknown);
      assert.equal(answer.body.error, 'not_found');
    }
  });

  test('bad actions get a clear 4xx and change nothing', async () => {
    const id = await seedReport(stack.store);
    const before = await footprint();
    const cases: [unknown, number][] = [
      [{ action: 'ban', ground: 'spam', duration: -5 }, 400],
      [{ action: 'ban', ground: 'spam', duration: 1.5 }, 400],
      [{ action: 'ban', reason: 'spam', duration: 'forever' }, 400],
      [{ action: 'ban', ground: 'spam', duration: 30 }, 400],
      [{ action: 'ban', reason: 'spam', duration: 10 ** 12 }, 400],
      [{ action: 'ban', reason: 'x'.repeat(501) }, 400],
      [{ action: 'ban', ground: 'spam', reason: 'x'.repeat(10_000) }, 400],
      [{ action: 'ban', reason: '' }, 400],
      [{ action: 'ban', ground: 'because' }, 400],
      [{ action: 'ban' }, 400],
      [{ action: 'delete' }, 400],
      [{ action: 'dismiss', duration: 3600 }, 400],
      [{ action: 'ban', reason: 'spam', extra: true }, 400],
      [{ action: 'ban', reason: 42 }, 400],
      ['{"action":', 400],
      ['x'.repeat(20_000), 413],
    ];
    for (const [body, expected] of cases) {
      const answer = await call(stack.url, 'POST', `/api/reports/${id}/actions`, { body });
      assert.equal(answer.status, expected, JSON.stringify(body).slice(0, 80));
      assert.equal(typeof answer.body.error, 'string');
      assert.equal(typeof answer.body.message, 'string');
    }
    const wrongType = await fetch(`${stack.url}/api/reports/${id}/actions`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'text/plain' }, body: '{"action":"dismiss"}' });
    assert.equal(wrongType.status, 415);
    const unknown = await call(stack.url, 'POST', '/api/reports/000000000aaaaaaaaaaaaaaaa/actions', { body: { action: 'ban', reason: 'spam' } });
    assert.equal(unknown.status, 404);
    assert.equal((await call(stack.url, 'DELETE', '/api/bans/000000000aaaaaaaaaaaaaaaa')).status, 404);
    assert.equal((await call(stack.url, 'POST', '/api/appeals/000000000aaaaaaaaaaaaaaaa/decision', { body: { decision: 'lift' } })).status, 404);
    assert.equal((await call(stack.url, 'PUT', `/api/reports/${id}`)).status, 405);
    assert.equal((await call(stack.url, 'GET', '/api/nothing-here')).status, 404);
    assert.deepEqual(await footprint(), before);
    assert.equal((await call(stack.url, 'GET', `/api/reports/${id}`)).body.status, 'open');
  });

  test('ban, see it in force and on the ban stream, lift it; every step in the audit log', async () => {
    const id = await seedReport(stack.store, { reported: { sid: 'x', ipHash: 'banMeHash0000001', gateway: 'gw-2' } });
    const { lastEventId } = await loadBansInForce(stack.store);
    const banned = await call(stack.url, 'POST', `/api/reports/${id}/actions`, { body: { action: 'ban', duration: 3600, ground: 'harassment', reason: 'threats' } });
    assert.equal(banned.status, 200);
    const banId = banned.body.ban as string;
    assert.match(banId, /^[0-9a-z]{25}$/);
    assert.equal((await call(stack.url, 'GET', `/api/reports/${id}`)).body.status, 'actioned');
    const again = await call(stack.url, 'POST', `/api/reports/${id}/actions`, { body: { action: 'dismiss' } });
    assert.equal(again.status, 409);
    const bans = (await call(stack.url, 'GET', '/api/bans')).body.bans as { id: string; ipHash: string; appeal: string }[];
    const ban = bans.find((b) => b.id === banId)!;
    assert.equal(ban.ipHash, 'banMeHash0000001');
    assert.equal(ban.appeal, `https://moderation.example.org/appeal/${banId}`);
    assert.deepEqual((await readBanEvents(stack.store, lastEventId)).events.map((e) => e.type), ['add']);

    const lifted = await call(stack.url, 'DELETE', `/api/bans/${banId}`, { who: 'bob', body: { reason: 'error' } });
    assert.deepEqual(lifted.body, { lifted: banId });
    assert.equal((await call(stack.url, 'DELETE', `/api/bans/${banId}`, { who: 'bob' })).status, 409);
    assert.ok(!((await call(stack.url, 'GET', '/api/bans')).body.bans as { id: string }[]).some((b) => b.id === banId));
    assert.deepEqual((await readBanEvents(stack.store, lastEventId)).events.map((e) => e.type), ['add', 'lift']);
    const entries = (await call(stack.url, 'GET', '/api/audit?limit=2')).body.entries as { by: string; action: string; target: string; ground?: string; reason?: string }[];
    assert.deepEqual(entries.map((e) => [e.by, e.action, e.target]), [['bob', 'lift', banId], ['alice', 'ban', id]]);
    assert.equal(entries[1]!.ground, 'harassment');
    assert.equal(entries[1]!.reason, 'threats');
    assert.equal(entries[0]!.reason, 'error');
    assert.equal((await call(stack.url, 'GET', '/api/audit?cursor=nope')).status, 400);
  });

  test('a ban as PROTOCOL.md §5 writes it: free-text reason, the ground defaults to other', async () => {
    const id = await seedReport(stack.store);
    const answer = await call(stack.url, 'POST', `/api/reports/${id}/actions`, { body: { action: 'ban', duration: 3600, reason: 'spamming links' } });
    assert.equal(answer.status, 200);
    const ban = (await call(stack.url, 'GET', `/api/bans/${answer.body.ban}`)).body;
    assert.equal(ban.ground, 'other');
    assert.equal(ban.reason, 'spamming links');
  });

  test('shadow ban for good, and dismiss', async () => {
    const a = await seedReport(stack.store);
    const shadow = await call(stack.url, 'POST', `/api/reports/${a}/actions`, { body: { action: 'shadowban', ground: 'spam' } });
    assert.equal(shadow.status, 200);
    assert.equal(shadow.body.until, null);
    const ban = (await call(stack.url, 'GET', `/api/bans/${shadow.body.ban}`)).body;
    assert.equal(ban.kind, 'shadowban');
    assert.equal(ban.until, undefined);
    const b = await seedReport(stack.store, { category: 'other' });
    assert.deepEqual((await call(stack.url, 'POST', `/api/reports/${b}/actions`, { body: { action: 'dismiss' } })).body, { status: 'dismissed' });
    const dismissed = (await call(stack.url, 'GET', '/api/reports?status=dismissed&category=other')).body.reports as { id: string }[];
    assert.ok(dismissed.some((r) => r.id === b));
  });

  test('health, readiness, metrics (transparency counters), security headers; logs hold no evidence or tokens', async () => {
    assert.equal((await fetch(`${stack.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${stack.url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    assert.match(metrics, /strangers_moderation_reports_total\{category="spam"\} [3-9]/);
    assert.match(metrics, /strangers_moderation_actions_total\{action="ban"\} [1-9]/);
    assert.match(metrics, /strangers_moderation_actions_total\{action="lift"\} [1-9]/);
    assert.match(metrics, /strangers_moderation_time_to_first_action_seconds_count [1-9]/);
    assert.match(metrics, /strangers_moderation_appeals_total\{outcome="created"\} \d/);
    const answer = await fetch(`${stack.url}/api/me`, { headers: { authorization: `Bearer ${TOKENS.alice}` } });
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    assert.match(answer.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const logs = stack.logs.join('\n');
    assert.ok(logs.includes('report decided'));
    assert.ok(!logs.includes('SECRET-EVIDENCE'));
    assert.ok(!logs.includes(TOKENS.alice) && !logs.includes(TOKENS.bob));
  });

  test('without MODERATOR_TOKENS the API is off: 404 with a JSON error', async () => {
    const off = await startModerationProcess(stack.redis.url, { MODERATOR_TOKENS: '' });
    try {
      const answer = await call(`http://127.0.0.1:${off.port}`, 'GET', '/api/reports');
      assert.equal(answer.status, 404);
      assert.equal(answer.body.error, 'api_disabled');
      assert.match(String(answer.body.message), /MODERATOR_TOKENS/);
      assert.ok(off.logs.some((line) => line.includes('the moderation API is off')));
    } finally {
      await off.stop();
    }
  });
});
