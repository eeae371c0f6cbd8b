import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getBan, loadBansInForce, readBanEvents } from '@strangers/moderation';
import { call, seedReport, startModerationStack, type ModerationStack } from './service.ts';

/** Posts the public appeal form as a browser does. */
async function postAppeal(base: string, banId: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/appeal/${banId}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  return { status: response.status, html: await response.text(), headers: response.headers };
}

describe('appeals: the public form and their decisions', { timeout: 120_000 }, () => {
  let stack: ModerationStack;
  before(async () => {
    stack = await startModerationStack({ APPEALS_PER_ADDRESS_PER_HOUR: '7' });
  });
  after(async () => stack?.stop());

  async function ban(reason = ''): Promise<string> {
    const report = await seedReport(stack.store);
    const answer = await call(stack.url, 'POST', `/api/reports/${report}/actions`, { body: { action: 'ban', ground: 'hate', duration: 86_400, reason } });
    return answer.body.ban as string;
  }

  test('the appeal link shows the statement of reasons and a form; the appeal reaches the API; lifting works', async () => {
    const banId = await ban('<script>alert(1)</script>');
    const page = await fetch(`${stack.url}/appeal/${banId}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(html.includes('Hate speech: &#60;script&#62;alert(1)&#60;/script&#62;'), 'the note is shown escaped');
    assert.ok(!html.includes('<script>alert'));
    assert.match(html, /<label for="appeal-text">/);
    assert.match(page.headers.get('content-security-policy') ?? '', /form-action 'self'/);

    const sent = await postAppeal(stack.url, banId, new URLSearchParams({ text: 'I was quoting someone else.' }).toString());
    assert.equal(sent.status, 201);
    assert.match(sent.html, /Appeal received/);
    assert.equal((await postAppeal(stack.url, banId, 'text=again')).status, 409);
    assert.equal((await fetch(`${stack.url}/appeal/${banId}`)).status, 409);

    const open = (await call(stack.url, 'GET', '/api/appeals?status=open')).body.appeals as { id: string; ban: string; text: string }[];
    const appeal = open.find((a) => a.ban === banId)!;
    assert.equal(appeal.text, 'I was quoting someone else.');
    assert.equal((await call(stack.url, 'POST', `/api/appeals/${appeal.id}/decision`, { body: { decision: 'maybe' } })).status, 400);
    const { lastEventId } = await loadBansInForce(stack.store);
    const decided = await call(stack.url, 'POST', `/api/appeals/${appeal.id}/decision`, { who: 'bob', body: { decision: 'lift', reason: 'context shows a quote' } });
    assert.deepEqual(decided.body, { appeal: appeal.id, status: 'lifted', ban: banId });
    assert.equal((await getBan(stack.store, banId))!.liftedBy, 'bob');
    assert.deepEqual((await readBanEvents(stack.store, lastEventId)).events, [{ type: 'lift', banId }]);
    assert.equal((await call(stack.url, 'POST', `/api/appeals/${appeal.id}/decision`, { body: { decision: 'uphold' } })).status, 409);
    const lifted = (await call(stack.url, 'GET', '/api/appeals?status=lifted')).body.appeals as { id: string }[];
    assert.ok(lifted.some((a) => a.id === appeal.id));
    // A lifted ban has nothing left to appeal.
    assert.equal((await fetch(`${stack.url}/appeal/${banId}`)).status, 410);
    const audit = (await call(stack.url, 'GET', '/api/audit?limit=5')).body.entries as { action: string; by: string }[];
    assert.deepEqual(audit.slice(0, 2).map((e) => [e.action, e.by]), [['appeal_lift', 'bob'], ['appeal', 'public']]);
  });

  test('an upheld appeal keeps the ban', async () => {
    const banId = await ban();
    assert.equal((await postAppeal(stack.url, banId, 'text=please')).status, 201);
    const appeal = ((await call(stack.url, 'GET', '/api/appeals')).body.appeals as { id: string; ban: string }[]).find((a) => a.ban === banId)!;
    const decided = await call(stack.url, 'POST', `/api/appeals/${appeal.id}/decision`, { body: { decision: 'uphold' } });
    assert.equal(decided.body.status, 'upheld');
    assert.ok(((await call(stack.url, 'GET', '/api/bans')).body.bans as { id: string }[]).some((b) => b.id === banId));
  });

  test('unknown bans, empty, oversize and flooding appeals are refused', async () => {
    assert.equal((await fetch(`${stack.url}/appeal/000000000aaaaaaaaaaaaaaaa`)).status, 404);
    assert.equal((await fetch(`${stack.url}/appeal/..%2F..`)).status, 404);
    const banId = await ban();
    const empty = await postAppeal(stack.url, banId, 'text=%20%20');
    assert.equal(empty.status, 400);
    assert.match(empty.html, /role="alert"/);
    assert.equal((await postAppeal(stack.url, banId, `text=${'a'.repeat(2001)}`)).status, 400);
    assert.equal((await postAppeal(stack.url, banId, `text=${'a'.repeat(9000)}`)).status, 413);
    assert.equal((await postAppeal(stack.url, banId, '{"text":"hi"}', { 'content-type': 'application/json' })).status, 415);
    // Nothing was filed by those.
    assert.equal((await getBan(stack.store, banId))!.appealId, undefined);
    // Every POST counts, filed or not: this address has used its 7 an hour (3 above, 4 here).
    const limited = await postAppeal(stack.url, banId, 'text=let%20me%20in');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3600');
    assert.equal((await getBan(stack.store, banId))!.appealId, undefined);
  });
});
