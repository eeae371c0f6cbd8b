// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '@strangers/config';
import { chatBucket, keys } from '@strangers/redis';
import { startGateway, waitFor, type ServiceHandle } from '@strangers/testkit';
import { loadGatewayConfig } from '../src/config.js';
import { pairUp, startStack, type Stack } from './stack.js';

/**
 * The dead-gateway stream sweep (cluster/dead-gateway-sweep.ts, issue 17): a gateway id's
 * control stream and inboxes go once the id is dead, reaped, and unseen and unwritten for
 * DEAD_GATEWAY_STREAM_RETENTION_MS; a gateway back from being cut off, a reused id and a
 * stream written to recently keep theirs. Short timings, so the retention passes in seconds.
 */
const ALIVE = { GATEWAY_ALIVE_TTL_MS: '1000', GATEWAY_ALIVE_INTERVAL_MS: '250' };
/** The shortest retention allowed: 3 × (TTL + grace). The sweep then runs every 450 ms. */
const SHORT = { ...ALIVE, RESUME_GRACE_MS: '500', RESUME_GRACE_CLEAN_MS: '300', DEAD_GATEWAY_STREAM_RETENTION_MS: '4500' };
/** A partner whose gateway died stays out of the queue, so each pair meets as planned. */
const NO_REQUEUE = { requeue: false };
/** Time for a dead gateway's streams to age past the retention and a sweep to find them. */
const SWEPT_WITHIN_MS = 25_000;

const streamsOf = (gatewayId: string, chat: string) => [keys.gatewayControl(gatewayId), keys.gatewayInbox(chatBucket(chat), gatewayId)];

async function countExisting(admin: ReturnType<Stack['redis']['client']>, streams: readonly string[]): Promise<number> {
  let count = 0;
  for (const stream of streams) count += await admin.exists(stream);
  return count;
}

async function deletedCounter(gateway: ServiceHandle): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith('strangers_gateway_dead_gateway_streams_deleted_total '));
  assert.ok(line, 'the counter is exported');
  return Number(line.split(' ')[1]);
}

describe('streams of dead gateways', () => {
  let stack: Stack;
  let admin: ReturnType<Stack['redis']['client']>;
  before(async () => {
    stack = await startStack({ gateways: 3, gatewayEnv: SHORT });
    admin = stack.redis.client();
  });
  after(async () => stack?.stop());

  test('a dead id is swept once past the retention; an id restarted under the same name keeps its streams', async () => {
    // gw-2 dies first and is restarted under its id at once (a new boot of a stable id).
    const [c, d] = [await stack.connect(2), await stack.connect(0)];
    const reusedChat = await pairUp(c, d, NO_REQUEUE);
    d.send({ type: 'message', text: 'to gw-2', id: 'r' });
    await c.next('message');
    await stack.gateways[2]!.stop('SIGKILL');
    c.terminate();
    stack.gateways[2] = await startGateway(stack.redis.url, { GATEWAY_ID: 'gw-2', ...SHORT });
    // gw-1 dies for good, later: by the time its streams are swept, gw-2's older ones would be too.
    const [a, b] = [await stack.connect(1), await stack.connect(0)];
    const deadChat = await pairUp(a, b, NO_REQUEUE);
    b.send({ type: 'message', text: 'to gw-1', id: 'x' });
    await a.next('message');
    const dead = streamsOf('gw-1', deadChat);
    const reused = streamsOf('gw-2', reusedChat);
    assert.equal(await countExisting(admin, [...dead, ...reused]), 4, 'both ids have a control stream and an inbox');
    await stack.gateways[1]!.stop('SIGKILL');
    a.terminate();
    assert.equal((await b.next('partner_left', 10_000)).reason, 'disconnected');

    await waitFor(async () => (await countExisting(admin, dead)) === 0, { timeoutMs: SWEPT_WITHIN_MS, what: "gw-1's streams deleted" });
    await waitFor(async () => (await admin.zscore(keys.gatewaysSeen, 'gw-1')) === null, { what: 'gw-1 forgotten' });
    assert.equal(await admin.hexists(keys.onlineCounts, 'gw-1'), 0, "gw-1's online entry is gone");
    const survivors = [stack.gateways[0]!, stack.gateways[2]!];
    const deleted = (await Promise.all(survivors.map(deletedCounter))).reduce((sum, count) => sum + count, 0);
    assert.ok(deleted >= 2, `counted on /metrics (${deleted})`);
    // Logged by name (in one line or, should a sweep fall between its last refresh and its
    // last write, two), the line on its way through the pipe.
    const logged = () =>
      survivors
        .flatMap((gateway) => gateway.logs)
        .filter((line) => line.msg === 'streams of a dead gateway deleted' && line.gateway === 'gw-1')
        .flatMap((line) => line.streams as string[])
        .sort();
    await waitFor(() => logged().length === dead.length, { what: 'the deletion logged' });
    assert.deepEqual(logged(), [...dead].sort(), 'logged by name');

    // gw-2's streams are as idle as gw-1's were, but its id is alive again.
    assert.equal(await countExisting(admin, reused), 2, "the reused id's streams are kept");
    assert.notEqual(await admin.zscore(keys.gatewaysSeen, 'gw-2'), null);
    const [e, f] = [await stack.connect(2), await stack.connect(0)];
    await pairUp(e, f, NO_REQUEUE);
    f.send({ type: 'message', text: 'to gw-2 again', id: 'y' });
    assert.equal((await e.next('message')).text, 'to gw-2 again');
  });

  test('a stream written to within the retention is kept, the idle ones of the same id go', async () => {
    // An id unseen for a minute (no process), with an inbox written to in 1970 and a control
    // entry written now, as a late handoff or pair assignment would be.
    const inbox = keys.gatewayInbox(0, 'gw-ghost');
    const control = keys.gatewayControl('gw-ghost');
    await admin.zadd(keys.gatewaysSeen, Date.now() - 60_000, 'gw-ghost');
    await admin.xadd(inbox, '1000-0', 't', 'typing');
    const recent = (await admin.xadd(control, '*', 't', 'handoff'))!;
    await waitFor(async () => (await admin.exists(inbox)) === 0, { timeoutMs: SWEPT_WITHIN_MS, what: 'the idle inbox deleted' });
    assert.equal(await admin.exists(control), 1, 'the control stream with a recent entry is kept');
    // Looked at again once that entry is as old as the retention; then it goes too.
    await waitFor(async () => (await admin.zscore(keys.gatewaysSeen, 'gw-ghost')) === recent.split('-')[0], { what: 'the id re-scored to its newest entry' });
    await waitFor(async () => (await admin.exists(control)) === 0, { timeoutMs: SWEPT_WITHIN_MS, what: 'the control stream deleted once idle' });
    await waitFor(async () => (await admin.zscore(keys.gatewaysSeen, 'gw-ghost')) === null, { what: 'gw-ghost forgotten' });
  });
});

describe('a gateway cut off for longer than its liveness TTL, shorter than the retention', () => {
  /** A grace long enough for the frozen gateway to be reaped, a sweep to run, and its return. */
  const env = { ...ALIVE, RESUME_GRACE_MS: '6000', RESUME_GRACE_CLEAN_MS: '300', DEAD_GATEWAY_STREAM_RETENTION_MS: '21000' };
  let stack: Stack;
  before(async () => {
    stack = await startStack({ gateways: 2, gatewayEnv: env });
  });
  after(async () => stack?.stop());

  test('comes back and delivers every message acked meanwhile: a sweep while it was away kept its inbox', async () => {
    const admin = stack.redis.client();
    const [a, b] = [await stack.connect(1), await stack.connect(0)];
    const chat = await pairUp(a, b, NO_REQUEUE);
    const frozen = stack.gateways[1]!;
    // SIGSTOP: gw-1 neither refreshes its key nor reads, as if cut off from Redis.
    process.kill(frozen.pid, 'SIGSTOP');
    const texts = ['m1', 'm2', 'm3', 'm4', 'm5'];
    try {
      await waitFor(async () => !(await admin.smembers(keys.sessionOwners)).some((owner) => owner.startsWith('gw-1|')), {
        timeoutMs: 10_000,
        what: 'gw-1 reaped by gw-0',
      });
      assert.equal(await admin.exists(keys.gatewayAlive('gw-1')), 0);
      for (const text of texts) {
        b.send({ type: 'message', text, id: text });
        await b.next('ack');
      }
      const ackedAt = Date.now();
      await waitFor(
        async () => {
          const holder = await admin.get(keys.deadGatewaySweep);
          return holder !== null && Number(holder.split('|')[1]) > ackedAt;
        },
        { timeoutMs: 10_000, what: 'a sweep begun after the acks' },
      );
      assert.equal(await admin.exists(keys.gatewayInbox(chatBucket(chat), 'gw-1')), 1, "gw-1's inbox kept");
    } finally {
      process.kill(frozen.pid, 'SIGCONT');
    }
    for (const text of texts) assert.equal((await a.next('message', 10_000)).text, text);
  });
});

describe('DEAD_GATEWAY_STREAM_RETENTION_MS', () => {
  const load = (env: Record<string, string>) => loadGatewayConfig({ REDIS_URL: 'redis://127.0.0.1:1', ALLOW_INSECURE_SALT: 'true', ...env });
  test('defaults to an hour; shorter than 3 × (liveness TTL + the longer grace) is refused', () => {
    assert.equal(load({}).deadGatewayStreamRetentionMs, 3_600_000);
    // Defaults: TTL 3000, grace 15000 → at least 54000.
    assert.equal(load({ DEAD_GATEWAY_STREAM_RETENTION_MS: '54000' }).deadGatewayStreamRetentionMs, 54_000);
    const refused = (env: Record<string, string>) =>
      assert.throws(() => load(env), (error: unknown) => error instanceof ConfigError && error.problems.some((line) => line.startsWith('DEAD_GATEWAY_STREAM_RETENTION_MS')));
    refused({ DEAD_GATEWAY_STREAM_RETENTION_MS: '53999' });
    refused({ DEAD_GATEWAY_STREAM_RETENTION_MS: '60000', RESUME_GRACE_MS: '20000' });
    refused({ DEAD_GATEWAY_STREAM_RETENTION_MS: '5000', RESUME_GRACE_MS: '500', RESUME_GRACE_CLEAN_MS: '3000', GATEWAY_ALIVE_TTL_MS: '1000' });
  });
});
