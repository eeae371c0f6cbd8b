// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient, waitFor, type ServiceHandle } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

/** One scrape: `name{labels}` → value, e.g. `strangers_gateway_sessions{state="paired"}`. */
type Sample = Map<string, number>;

/** Reads the Prometheus text format: every non-comment line is `series value`. */
function parseExposition(text: string): Sample {
  const samples: Sample = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

async function scrape(port: number): Promise<Sample> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

function value(sample: Sample, series: string): number {
  const found = sample.get(series);
  assert.notEqual(found, undefined, `series ${series} is exported`);
  return found!;
}

/** Scrapes until `series` satisfies `check` (counters read on scrape lag the event by a moment). */
async function scrapeUntil(port: number, series: string, check: (value: number) => boolean): Promise<Sample> {
  let last: number | undefined;
  return waitFor(
    async () => {
      const sample = await scrape(port);
      last = sample.get(series);
      return last !== undefined && check(last) ? sample : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `${series} to move (last seen ${last})` },
  );
}

let stack: Stack;
let gw0: ServiceHandle;
let gw1: ServiceHandle;
let matcher: ServiceHandle;

before(async () => {
  stack = await startStack({
    gateways: 2,
    gatewayEnv: { ROOM_RATE_BURST: '2', ROOM_RATE_PER_SECOND: '1' },
  });
  [gw0, gw1] = stack.gateways as [ServiceHandle, ServiceHandle];
  matcher = stack.matcher;
});

after(async () => {
  await stack?.stop();
});

describe('/metrics', () => {
  test('process metrics, event-loop lag and every product metric are exported from the start', async () => {
    const gateway = await scrape(gw0.port);
    for (const series of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'strangers_gateway_connections',
      'strangers_gateway_sessions{state="idle"}',
      'strangers_gateway_sessions{state="waiting"}',
      'strangers_gateway_sessions{state="paired"}',
      'strangers_gateway_joins_total',
      'strangers_gateway_messages_relayed_total',
      'strangers_gateway_relay_latency_seconds_count',
      'strangers_gateway_rate_limit_hits_total{surface="chat"}',
      'strangers_gateway_rate_limit_hits_total{surface="room"}',
      'strangers_gateway_resumes_total',
      'strangers_gateway_dead_gateway_streams_deleted_total',
      'strangers_gateway_redis_errors_total',
      'strangers_gateway_redis_reconnects_total',
    ]) {
      value(gateway, series);
    }
    const matcherSample = await scrape(matcher.port);
    for (const series of [
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'strangers_matcher_queue_length',
      'strangers_matcher_joins_total',
      'strangers_matcher_pairs_total',
      'strangers_matcher_batches_total',
      'strangers_matcher_redis_errors_total',
      'strangers_matcher_redis_reconnects_total',
    ]) {
      value(matcherSample, series);
    }
  });

  test('connections, sessions, joins, pairs, wait time, queue, relayed messages and latency move with traffic', async () => {
    const gatewayBefore = await scrape(gw0.port);
    const receiverBefore = await scrape(gw1.port);
    const matcherBefore = await scrape(matcher.port);
    const pairsBefore = value(matcherBefore, 'strangers_matcher_pairs_total');
    const interestWaitsBefore = matcherBefore.get('strangers_matcher_wait_seconds_count{outcome="interest"}') ?? 0;

    const alice = await stack.connect(0);
    const bob = await stack.connect(1);
    await pairUp(alice, bob, { interests: ['metrics'] });
    alice.send({ type: 'message', text: 'hello' });
    await bob.next('message');

    const gateway = await scrape(gw0.port);
    assert.equal(value(gateway, 'strangers_gateway_connections'), value(gatewayBefore, 'strangers_gateway_connections') + 1);
    assert.equal(value(gateway, 'strangers_gateway_sessions{state="paired"}'), 1);
    assert.equal(value(gateway, 'strangers_gateway_joins_total'), value(gatewayBefore, 'strangers_gateway_joins_total') + 1);

    const receiver = await scrape(gw1.port);
    assert.equal(
      value(receiver, 'strangers_gateway_messages_relayed_total'),
      value(receiverBefore, 'strangers_gateway_messages_relayed_total') + 1,
    );
    assert.equal(
      value(receiver, 'strangers_gateway_relay_latency_seconds_count'),
      value(receiverBefore, 'strangers_gateway_relay_latency_seconds_count') + 1,
    );
    assert.ok(value(receiver, 'strangers_gateway_relay_latency_seconds_sum') >= 0);

    const matcherAfter = await scrapeUntil(matcher.port, 'strangers_matcher_pairs_total', (pairs) => pairs >= pairsBefore + 1);
    assert.ok(value(matcherAfter, 'strangers_matcher_joins_total') >= value(matcherBefore, 'strangers_matcher_joins_total') + 2);
    assert.ok(value(matcherAfter, 'strangers_matcher_batches_total') > value(matcherBefore, 'strangers_matcher_batches_total'));
    assert.equal(value(matcherAfter, 'strangers_matcher_wait_seconds_count{outcome="interest"}'), interestWaitsBefore + 2);

    // A lone joiner waits: the queue gauge and the waiting sessions gauge both show it.
    const carol = await stack.connect(0);
    carol.send({ type: 'join' });
    await carol.next('waiting');
    await scrapeUntil(matcher.port, 'strangers_matcher_queue_length', (length) => length === 1);
    assert.equal(value(await scrape(gw0.port), 'strangers_gateway_sessions{state="waiting"}'), 1);

    for (const client of [alice, bob, carol]) {
      client.send({ type: 'leave' });
      client.close();
      await client.waitClosed();
    }
    await scrapeUntil(gw0.port, 'strangers_gateway_connections', (count) => count === 0);
    await scrapeUntil(matcher.port, 'strangers_matcher_queue_length', (length) => length === 0);
  });

  test('room messages over the rate limit count as rate-limit hits', async () => {
    const series = 'strangers_gateway_rate_limit_hits_total{surface="room"}';
    const before = value(await scrape(gw0.port), series);
    const dave = await TestClient.connect(`ws://127.0.0.1:${gw0.port}/chat/dave`);
    await dave.next('(text)');
    // Burst 2 at 1/s: of five back-to-back messages at least two are refused.
    for (let index = 0; index < 5; index += 1) dave.send(`message ${index}`);
    await dave.seen((frame) => frame.type === '(text)' && String(frame.text).startsWith('* not sent: too many'));
    await scrapeUntil(gw0.port, series, (hits) => hits >= before + 2);
    dave.close();
    await dave.waitClosed();
  });

  test('a Redis outage counts errors and reconnects on the gateway and the matcher', async () => {
    const gatewayBefore = await scrape(gw0.port);
    const matcherBefore = await scrape(matcher.port);
    await stack.redis.kill();
    try {
      await scrapeUntil(
        gw0.port,
        'strangers_gateway_redis_reconnects_total',
        (count) => count > value(gatewayBefore, 'strangers_gateway_redis_reconnects_total'),
      );
      await scrapeUntil(
        gw0.port,
        'strangers_gateway_redis_errors_total',
        (count) => count > value(gatewayBefore, 'strangers_gateway_redis_errors_total'),
      );
      await scrapeUntil(
        matcher.port,
        'strangers_matcher_redis_reconnects_total',
        (count) => count > value(matcherBefore, 'strangers_matcher_redis_reconnects_total'),
      );
      await scrapeUntil(
        matcher.port,
        'strangers_matcher_redis_errors_total',
        (count) => count > value(matcherBefore, 'strangers_matcher_redis_errors_total'),
      );
    } finally {
      await stack.redis.start();
    }
    await waitFor(async () => (await fetch(`http://127.0.0.1:${gw0.port}/readyz`)).status === 200, {
      timeoutMs: 10_000,
      what: 'the gateway to be ready again',
    });
  });
});
