// @topologies single cluster
/**
 * Moderation on a real stack (issue 18): a private Redis, one matcher, two gateways and the
 * moderation service, each its own process. Clients get distinct addresses through
 * X-Forwarded-For (the gateways trust loopback proxies), so bans key on distinct hashes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { moderationKeys, purgeExpired } from '@strangers/moderation';
import { keys } from '@strangers/redis';
import { startModeration, TestClient, waitFor, type Frame, type ServiceHandle } from '@strangers/testkit';
import { startStack, type Stack } from './stack.ts';

const TOKEN = 'alice-token-0123456789';
const EVIDENCE = 5;
let stack: Stack;
let moderation: ServiceHandle;
let api: string;
let addresses = 0;

/** A fresh client address (TEST-NET-3), one per simulated person. */
const newAddress = () => `203.0.113.${++addresses}`;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${api}${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function url(gateway: number, query = ''): string {
  return `ws://127.0.0.1:${stack.gateways[gateway]!.port}/ws${query}`;
}

/** A client from `address` on `gateway`, past its welcome. */
async function connect(gateway: number, address: string): Promise<{ client: TestClient; welcome: Frame }> {
  const client = await TestClient.connect(url(gateway), { 'x-forwarded-for': address });
  return { client, welcome: await client.next('welcome') };
}

async function pair(a: TestClient, b: TestClient): Promise<string> {
  a.send({ type: 'join' });
  await a.next('waiting');
  b.send({ type: 'join' });
  await b.next('waiting');
  const [pa, pb] = await Promise.all([a.next('paired', 10_000), b.next('paired', 10_000)]);
  assert.equal(pa.chat, pb.chat);
  return pa.chat as string;
}

/** The open report of `chat`, once the gateway has recorded it. */
async function reportOf(chat: string): Promise<Record<string, unknown>> {
  const id = await waitFor(
    async () => {
      const list = await call('GET', '/api/reports?status=open&limit=200');
      for (const summary of list.body.reports as { id: string }[]) {
        const report = await call('GET', `/api/reports/${summary.id}`);
        if (report.body.chatId === chat) return summary.id;
      }
      return undefined;
    },
    { timeoutMs: 10_000, what: `the report of chat ${chat}` },
  );
  return (await call('GET', `/api/reports/${id}`)).body;
}

/** Clients leave (out of the queue, so nobody else is paired with them) and close; then the queue is empty. */
async function done(...clients: TestClient[]): Promise<void> {
  for (const client of clients) {
    if (client.closed) continue;
    client.send({ type: 'leave' });
    client.close();
  }
  const admin = stack.redis.client();
  await waitFor(async () => (await admin.hlen(keys.matcherQueue)) === 0, { timeoutMs: 10_000, what: 'an empty queue' });
}

async function ipHashOf(sessionId: string): Promise<string> {
  return (await stack.redis.client().hget(keys.session(sessionId), 'ipHash'))!;
}

/** Expects the `banned` statement then close 4003 on a socket just opened. */
async function expectRefused(client: TestClient, ban: string, { fresh = true } = {}): Promise<void> {
  const statement = await client.next('banned');
  assert.equal(statement.ban, ban);
  assert.match(String(statement.reason), /Harassment/);
  assert.equal(statement.appeal, `https://moderation.example.org/appeal/${ban}`);
  assert.equal((await client.waitClosed()).code, 4003);
  if (fresh) assert.ok(!client.frames.some((frame) => frame.type === 'welcome' || frame.type === 'resumed'), 'no session for a banned client');
}

/** A report against a fresh address, then the moderator's `action` on it; returns the ban id, the address and its hash. */
async function actOnFreshAddress(action: 'ban' | 'shadowban'): Promise<{ ban: string; address: string; ipHash: string }> {
  const { reported, reportedWelcome, reporter, chat } = await chatAndReport(1);
  const address = `203.0.113.${addresses}`;
  const ipHash = await ipHashOf(String(reportedWelcome.session));
  await done(reported, reporter);
  const report = await reportOf(chat);
  const acted = await call('POST', `/api/reports/${String(report.id)}/actions`, { action, duration: 3600, ground: action === 'ban' ? 'harassment' : 'spam', reason: 'insults' });
  assert.equal(acted.status, 200, JSON.stringify(acted.body));
  return { ban: String(acted.body.ban), address, ipHash };
}

function roomUrl(gateway: number, name: string): string {
  return `ws://127.0.0.1:${stack.gateways[gateway]!.port}/chat/${name}`;
}

/** A room member from `address` on `gateway`, past its greeting. */
async function joinRoom(gateway: number, name: string, address: string): Promise<TestClient> {
  const client = await TestClient.connect(roomUrl(gateway, name), { 'x-forwarded-for': address });
  assert.equal((await client.next('(text)')).text, `Welcome ${name}!`);
  return client;
}

/** The room's statement of a ban: one plain-text line (PROTOCOL §3's `banned` as text), then close 4003. */
async function expectRoomBanned(client: TestClient, ban: string): Promise<void> {
  const line = String((await client.seen((frame) => String(frame.text).startsWith('* banned'))).text);
  assert.match(line, /^\* banned until \d{4}-\d\d-\d\dT[\d:.]+Z: Harassment or bullying: insults \(appeal: https:\/\/moderation\.example\.org\/appeal\/(\w+)\)$/);
  assert.ok(line.endsWith(`/appeal/${ban})`), line);
  assert.equal((await client.waitClosed()).code, 4003);
  assert.equal(client.texts.at(-1), line, 'the statement is the last line');
}

/** Two clients chat (alternating, each message acked and delivered), then the first reports. */
async function chatAndReport(count: number): Promise<{ reporter: TestClient; reported: TestClient; reportedWelcome: Frame; chat: string; texts: string[] }> {
  const { client: reporter } = await connect(0, newAddress());
  const { client: reported, welcome: reportedWelcome } = await connect(1, newAddress());
  const chat = await pair(reporter, reported);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const [from, to] = i % 2 === 0 ? [reporter, reported] : [reported, reporter];
    const text = `message ${i} from ${i % 2 === 0 ? 'reporter' : 'reported'}`;
    texts.push(text);
    from.send({ type: 'message', text, id: `m${i}` });
    await from.next('ack');
    assert.equal((await to.next('message')).text, text);
  }
  reporter.send({ type: 'report', category: 'harassment', reason: 'kept insulting me' });
  await reporter.next('waiting');
  // Out of the queue: the reported client (requeued) is the only one waiting.
  reporter.send({ type: 'leave' });
  assert.equal((await reported.next('partner_left')).reason, 'reported');
  return { reporter, reported, reportedWelcome, chat, texts };
}

describe('moderation on a real stack', { timeout: 120_000 }, () => {
  before(async () => {
    stack = await startStack({ gatewayEnv: { TRUST_PROXY: 'loopback', EVIDENCE_MAX_MESSAGES: String(EVIDENCE), RESUME_GRACE_MS: '20000', UPGRADES_PER_IP_PER_SECOND: '100' } });
    moderation = await startModeration(stack.redis.url, { MODERATOR_TOKENS: `alice:${TOKEN}`, PUBLIC_URL: 'https://moderation.example.org' });
    api = `http://127.0.0.1:${moderation.port}`;
  });
  after(async () => {
    await moderation?.stop('SIGKILL');
    await stack?.stop();
  });

  test("a report's evidence is exactly the chat's last N messages, both directions, in order, from the server's history", async () => {
    const { reporter, reported, reportedWelcome, chat, texts } = await chatAndReport(EVIDENCE + 3);
    const report = await reportOf(chat);
    const evidence = report.evidence as { messages: { seq: number; from: string; text: string; ts: number }[] };
    const expected = texts.slice(-EVIDENCE);
    assert.deepEqual(
      evidence.messages.map((message) => message.text),
      expected,
    );
    assert.deepEqual(
      evidence.messages.map((message) => message.seq),
      [4, 5, 6, 7, 8],
    );
    assert.deepEqual(
      evidence.messages.map((message) => message.from),
      expected.map((text) => (text.endsWith('from reporter') ? 'reporter' : 'reported')),
    );
    assert.ok(evidence.messages.every((message, i) => i === 0 || message.ts >= evidence.messages[i - 1]!.ts));
    assert.equal(report.category, 'harassment');
    assert.equal(report.reason, 'kept insulting me');
    const parties = report as { reporter: { sid: string; ipHash: string; gateway: string }; reported: { sid: string; ipHash: string; gateway: string } };
    assert.equal(parties.reported.sid, reportedWelcome.session);
    assert.equal(parties.reported.ipHash, await ipHashOf(String(reportedWelcome.session)));
    assert.equal(parties.reporter.gateway, 'gw-0');
    assert.equal(parties.reported.gateway, 'gw-1');
    assert.notEqual(parties.reporter.ipHash, parties.reported.ipHash);
    // The chat's own history is gone (chat_end ran after the snapshot).
    assert.equal(await stack.redis.client().exists(keys.chatLog(chat)), 0);
    await done(reporter, reported);
  });

  test('a ban cuts the live session on the gateway it is on, then refuses connect and resume on every gateway; lifting lets it back within seconds', async () => {
    const { reporter, reported, reportedWelcome, chat } = await chatAndReport(2);
    const reportedAddress = `203.0.113.${addresses}`;
    // The reported client, requeued, meets someone else on the other gateway.
    const { client: partner } = await connect(0, newAddress());
    partner.send({ type: 'join' });
    await Promise.all([partner.next('paired', 10_000), reported.next('paired', 10_000)]);
    const report = await reportOf(chat);
    const acted = await call('POST', `/api/reports/${String(report.id)}/actions`, { action: 'ban', duration: 3600, ground: 'harassment', reason: 'insults' });
    assert.equal(acted.status, 200, JSON.stringify(acted.body));
    const ban = String(acted.body.ban);

    // Cut at once on gw-1 by the ban stream (the moderation service talks to no gateway).
    await expectRefused(reported, ban, { fresh: false });
    assert.equal((await partner.next('partner_left', 5000)).reason, 'reported');

    for (const gateway of [0, 1]) {
      await expectRefused(await TestClient.connect(url(gateway), { 'x-forwarded-for': reportedAddress }), ban);
      const resume = await TestClient.connect(url(gateway, `?resume=${String(reportedWelcome.resumeToken)}&last=0`), { 'x-forwarded-for': reportedAddress });
      await expectRefused(resume, ban);
    }
    // Another address is not affected.
    const { client: other } = await connect(1, newAddress());

    const started = Date.now();
    assert.equal((await call('DELETE', `/api/bans/${ban}`, { reason: 'appeal accepted' })).status, 200);
    const back = await waitFor(
      async () => {
        const client = await TestClient.connect(url(1), { 'x-forwarded-for': reportedAddress });
        const first = await client.next(undefined, 5000);
        if (first.type === 'welcome') return client;
        await client.waitClosed();
        return undefined;
      },
      { timeoutMs: 3000, intervalMs: 100, what: 'the lifted address to connect again' },
    );
    assert.ok(Date.now() - started < 3000);
    await done(back, other, partner, reporter);
  });

  test('a shadow-banned address is matched only with flagged ones', async () => {
    const shadowed: { client: TestClient; ipHash: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const { reported, reportedWelcome, reporter, chat } = await chatAndReport(1);
      const ipHash = await ipHashOf(String(reportedWelcome.session));
      await done(reported, reporter);
      const report = await reportOf(chat);
      const acted = await call('POST', `/api/reports/${String(report.id)}/actions`, { action: 'shadowban', duration: 3600, ground: 'spam' });
      assert.equal(acted.status, 200, JSON.stringify(acted.body));
      await waitFor(async () => (await stack.redis.client().zscore(keys.matcherFlagged, ipHash)) !== null, { timeoutMs: 10_000, what: 'the address in the flagged pool' });
      shadowed.push({ client: (await connect(i, `203.0.113.${addresses}`)).client, ipHash });
    }
    // An ordinary client waits first: without the flag it would be the first shadowed one's partner.
    const { client: ordinary } = await connect(0, newAddress());
    ordinary.send({ type: 'join' });
    await ordinary.next('waiting');
    const [first, second] = shadowed.map((entry) => entry.client) as [TestClient, TestClient];
    first.send({ type: 'join' });
    await first.next('waiting');
    second.send({ type: 'join' });
    const [pa, pb] = await Promise.all([first.next('paired', 10_000), second.next('paired', 10_000)]);
    assert.equal(pa.chat, pb.chat);
    assert.ok(!ordinary.frames.some((frame) => frame.type === 'paired'), 'the ordinary client was not paired with a shadow-banned one');
    await done(ordinary, first, second);
  });

  test('lifting a shadow ban takes the address out of the flagged pool at once: its waiting session pairs with an ordinary client', async () => {
    const { ban, address, ipHash } = await actOnFreshAddress('shadowban');
    const admin = stack.redis.client();
    await waitFor(async () => (await admin.zscore(keys.matcherFlagged, ipHash)) !== null, { timeoutMs: 10_000, what: 'the address in the flagged pool' });
    const { client: shadowed } = await connect(1, address);
    shadowed.send({ type: 'join' });
    await shadowed.next('waiting');
    const { client: ordinary } = await connect(0, newAddress());
    ordinary.send({ type: 'join' });
    await ordinary.next('waiting');
    // Both joins read by the matcher, and not paired: the shadowed session waits in the flagged pool.
    const stored = await waitFor(
      async () => {
        const queue = await admin.hgetall(keys.matcherQueue);
        return Object.keys(queue).length === 2 ? Object.values(queue).map((json) => JSON.parse(json) as { ipHash: string; flagged: boolean }) : undefined;
      },
      { timeoutMs: 10_000, what: 'both sessions in the queue' },
    );
    assert.deepEqual(stored.map((entry) => entry.flagged).sort(), [false, true]);
    assert.equal(stored.find((entry) => entry.flagged)!.ipHash, ipHash);
    assert.ok(!shadowed.frames.some((frame) => frame.type === 'paired') && !ordinary.frames.some((frame) => frame.type === 'paired'));

    assert.equal((await call('DELETE', `/api/bans/${ban}`, { reason: 'a mistake' })).status, 200);
    // No new join: the waiting session itself moves to the ordinary pool and meets the other.
    const [pa, pb] = await Promise.all([shadowed.next('paired', 10_000), ordinary.next('paired', 10_000)]);
    assert.equal(pa.chat, pb.chat);
    assert.equal(await admin.zscore(keys.matcherFlagged, ipHash), null, 'the flag is gone from Redis');
    const reports = await admin.zrange(keys.matcherReports, 0, -1);
    assert.ok(!reports.some((member) => member.startsWith(`${ipHash}|`)), "the matcher forgot the address's counted reports");
    await done(shadowed, ordinary);
  });

  test('the room: a banned address is refused with one line and 4003, a new ban cuts its members on every gateway, a shadow ban shows nothing, lifting lets it back', async () => {
    const shadowed = await actOnFreshAddress('shadowban');
    // Reported, not banned yet.
    const { reported, reporter, chat } = await chatAndReport(1);
    const address = `203.0.113.${addresses}`;
    await done(reported, reporter);
    const onFirst = await joinRoom(0, 'banned-a', address);
    const onSecond = await joinRoom(1, 'banned-b', address);
    const watcher = await joinRoom(0, 'watcher', newAddress());
    const quiet = await joinRoom(1, 'shadowed', shadowed.address);

    const report = await reportOf(chat);
    const acted = await call('POST', `/api/reports/${String(report.id)}/actions`, { action: 'ban', duration: 3600, ground: 'harassment', reason: 'insults' });
    assert.equal(acted.status, 200, JSON.stringify(acted.body));
    const ban = String(acted.body.ban);
    await Promise.all([expectRoomBanned(onFirst, ban), expectRoomBanned(onSecond, ban)]);
    await watcher.seen((frame) => frame.text === 'banned-a left the chat');
    await watcher.seen((frame) => frame.text === 'banned-b left the chat');

    for (const gateway of [0, 1]) {
      const refused = await TestClient.connect(roomUrl(gateway, 'banned-again'), { 'x-forwarded-for': address });
      await expectRoomBanned(refused, ban);
      assert.equal(refused.texts.length, 1, 'no greeting for a banned client');
    }
    assert.equal(await stack.redis.client().sismember('chat-users', 'banned-again'), 0, 'the name was never claimed');
    // The shadow ban (on the stream before the ban, so both gateways have it) stays invisible.
    quiet.send('still here');
    await watcher.seen((frame) => frame.text === 'shadowed: still here');
    assert.equal(quiet.closed, undefined);
    const again = await joinRoom(0, 'shadowed-2', shadowed.address);

    assert.equal((await call('DELETE', `/api/bans/${ban}`)).status, 200);
    const back = await waitFor(
      async () => {
        const client = await TestClient.connect(roomUrl(1, 'banned-back'), { 'x-forwarded-for': address });
        const first = await client.next('(text)', 5000);
        if (first.text === 'Welcome banned-back!') return client;
        await client.waitClosed();
        return undefined;
      },
      { timeoutMs: 3000, intervalMs: 100, what: 'the lifted address back in the room' },
    );
    for (const client of [back, watcher, quiet, again]) client.close();
  });

  test("expired evidence is gone from Redis after the purge (a real gateway's report)", async () => {
    const { reported, reporter, chat } = await chatAndReport(2);
    const report = await reportOf(chat);
    const admin = stack.redis.client();
    const key = moderationKeys.report(String(report.id));
    assert.equal(await admin.exists(key), 1);
    // The purge as the service runs it, at a time past the report's retention end.
    await purgeExpired(admin, { auditRetentionDays: 730 }, Number(report.expiresAt) + 1);
    assert.equal(await admin.exists(key), 0);
    assert.equal(await admin.zscore(moderationKeys.reportsByStatus('open'), String(report.id)), null);
    assert.equal(await admin.zscore(moderationKeys.reportExpiry, String(report.id)), null);
    assert.equal((await call('GET', `/api/reports/${String(report.id)}`)).status, 404);
    await done(reported, reporter);
  });

  test('the gateways count reports recorded and bans enforced', async () => {
    let recorded = 0;
    let enforced = 0;
    for (const gateway of stack.gateways) {
      const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
      recorded += Number(/strangers_gateway_reports_total\{outcome="recorded"\} (\d+)/.exec(text)?.[1] ?? 0);
      for (const match of text.matchAll(/strangers_gateway_bans_enforced_total\{where="\w+"\} (\d+)/g)) enforced += Number(match[1]);
    }
    assert.ok(recorded >= 5, `reports recorded: ${recorded}`);
    assert.ok(enforced >= 5, `bans enforced: ${enforced}`);
  });
});
