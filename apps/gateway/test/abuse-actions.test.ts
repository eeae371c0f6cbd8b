// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getReport, listReports } from '@strangers/moderation';
import { keys } from '@strangers/redis';
import { readAutoActions } from '@strangers/safety';
import { startGateway, startMatcher, startTestRedis, waitFor, type ServiceHandle, type TestClient, type TestRedisHandle } from '@strangers/testkit';
import { hashAddress } from '@strangers/config';
import { answerTo, connectTo, metricValue } from './safety-stack.js';

/**
 * Abuse signals → an automatic, temporary action, on a real stack: a spammer sending one
 * text to many partners crosses the threshold; its address goes to the matcher's flagged
 * pool (it then meets only flagged clients) and the action, with its signals, is in the
 * moderation queue (`{mod}:auto`).
 */
const SALT = 'abuse-test-salt-of-at-least-16-characters';
const SPAMMER = '203.0.113.66';

let redis: TestRedisHandle;
let matcher: ServiceHandle;
let gateway: ServiceHandle;
const clients: TestClient[] = [];

before(async () => {
  redis = await startTestRedis();
  matcher = await startMatcher(redis.url);
  gateway = await startGateway(redis.url, {
    GATEWAY_ID: 'gw-abuse',
    TRUST_PROXY: 'loopback',
    IP_HASH_SALT: SALT,
    // A repeat (the same text to another partner) is worth 3 points from the first: the
    // third partner of one text takes the address over 5.
    ABUSE_THRESHOLD: '5',
    ABUSE_FREE_REPEAT: '0',
    ABUSE_WEIGHT_REPEAT: '3',
    ABUSE_ACTION: 'shadow',
    ABUSE_ACTION_MS: '600000',
  });
});

after(async () => {
  for (const client of clients) client.terminate();
  await Promise.all([gateway, matcher].map((service) => service?.stop('SIGKILL')));
  await redis?.stop();
});

describe('automatic abuse action', () => {
  test('a spammer sending one text to many partners is shadow-pooled and shows up in the moderation queue', async () => {
    const spam = 'Hi! Add me on my page for a special offer today';
    const { client: spammer } = await connectTo(gateway, clients, SPAMMER);
    spammer.send({ type: 'join' });
    await spammer.next('waiting');
    for (let partner = 1; partner <= 3; partner++) {
      const { client: other } = await connectTo(gateway, clients, `198.51.100.${partner}`);
      other.send({ type: 'join', requeue: false });
      await Promise.all([spammer.next('paired'), other.next('paired')]);
      spammer.send({ type: 'message', text: spam, id: `spam${partner}` });
      assert.equal((await answerTo(spammer, `spam${partner}`)).type, 'ack', 'FILTER_REPEAT is off: the text itself goes through');
      await other.next('message');
      spammer.send({ type: 'next' });
      await spammer.next('waiting');
      other.send({ type: 'leave' });
    }
    const ipHash = hashAddress(SPAMMER, SALT);
    const admin = redis.client();
    // The matcher stored the flag (the flagged pool) for the action's duration.
    const until = Number(await waitFor(() => admin.zscore(keys.matcherFlagged, ipHash), { what: 'the address in the flagged pool' }));
    assert.ok(until > Date.now() + 500_000, 'flagged for ABUSE_ACTION_MS');
    // The queue entry, with its signals.
    const [entry] = (await readAutoActions(admin)).filter(({ entry }) => entry.ipHash === ipHash).map(({ entry }) => entry);
    assert.ok(entry, 'the automatic action is in the moderation queue');
    assert.equal(entry.action, 'shadow');
    assert.equal(entry.gateway, 'gw-abuse');
    assert.ok(entry.score >= 5 && entry.threshold === 5);
    assert.equal(entry.causes[0]?.signal, 'repeat');
    assert.ok(entry.signals.repeat >= 1.9);
    assert.equal(await metricValue(gateway, 'strangers_safety_abuse_actions_total', { action: 'shadow' }), 1);
    // …and in the moderators' queue as an open report by `automatic`, with the spam as evidence.
    const open = await waitFor(
      async () => {
        const { items } = await listReports(admin, { status: 'open', limit: 50 });
        return items.length > 0 ? items : undefined;
      },
      { what: 'an open report' },
    );
    const reports = await Promise.all(open.map((summary) => getReport(admin, summary.id)));
    const report = reports.find((candidate) => candidate?.reported.ipHash === ipHash);
    assert.ok(report, 'an automatic report against the spammer');
    assert.equal(report.reporter.sid, 'automatic');
    assert.equal(report.category, 'spam');
    assert.match(report.reason, /^automatic shadow .*score .* ≥ 5 \(repeat /);
    assert.deepEqual(report.evidence.messages.map((message) => [message.from, message.text]), [['reported', spam]]);

    // From now on the spammer meets only flagged clients. It is waiting again (its last
    // `next`, published after the flag): an ordinary newcomer is not paired with it…
    const { client: ordinary } = await connectTo(gateway, clients, '198.51.100.50');
    ordinary.send({ type: 'join' });
    await ordinary.next('waiting');
    // …but a flagged one is, although the ordinary one waits longer: the two live in different pools.
    const { client: flaggedToo } = await connectTo(gateway, clients, SPAMMER);
    flaggedToo.send({ type: 'join' });
    await flaggedToo.next('waiting');
    const [a, b] = await Promise.all([spammer.next('paired'), flaggedToo.next('paired')]);
    assert.equal(a.chat, b.chat, 'the spammer is paired with the other flagged client');
    assert.equal(ordinary.frames.some((frame) => frame.type === 'paired'), false, 'the ordinary client still waits');
    assert.equal(await admin.hexists(keys.matcherQueue, String((ordinary.frames[0] as { session?: string }).session)), 1, 'and is in the queue');
  });
});
