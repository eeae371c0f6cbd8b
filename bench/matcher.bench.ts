/**
 * Matcher-only benchmark: the matcher process against a private redis-server, no gateways or
 * WebSockets, so the figures are the matcher's own. Join events are written to `{m}:events`
 * as a gateway would (with the session records the ghost check reads), and pair assignments
 * are read back from the control streams.
 *
 * - saturation: PAIRS backlogged joins, then the matcher starts; pairs/s = pairs / (last
 *   assignment's stream time − the matcher's "active" log time);
 * - fixed rate: joins on a fixed schedule at RATE/s for SECONDS; latency is from a join's
 *   intended send time (coordinated-omission safe) to its `paired` entry being read, for the
 *   later joiner of each pair (the earlier one waited for a partner, which is queue time).
 *
 * Run: `node --conditions=development --import tsx bench/matcher.bench.ts`
 * Env: PAIRS (20000), RATE (2000), SECONDS (5), GHOST_CHECK (1), REPS (3).
 */
import { Redis } from 'ioredis';
import { startMatcher, startRedisServer, type ServiceHandle } from '@strangers/testkit';

const PAIRS = Number(process.env.PAIRS ?? 20_000);
const RATE = Number(process.env.RATE ?? 2000);
const SECONDS = Number(process.env.SECONDS ?? 5);
const REPS = Number(process.env.REPS ?? 3);
const GHOST_CHECK = process.env.GHOST_CHECK ?? '1';
const GATEWAYS = ['gw-a', 'gw-b'];
const EVENTS = '{m}:events';
const control = (gw: string) => `{m}:ctl:${gw}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

let sessionCounter = 0;
/** Session ids with their waiting records written, as a gateway does before publishing a join. */
async function createSessions(redis: Redis, count: number): Promise<string[]> {
  const sids: string[] = [];
  for (let start = 0; start < count; start += 5000) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(count, start + 5000); i++) {
      const sid = `s${sessionCounter++}`;
      sids.push(sid);
      pipeline.hset(`sess:{${sid}}`, 'state', 'waiting', 'gen', '1');
    }
    await pipeline.exec();
  }
  return sids;
}

function joinFields(sid: string, index: number): string[] {
  return ['t', 'join', 'sid', sid, 'gw', GATEWAYS[index % 2]!, 'gen', '1', 'interests', '[]', 'ipHash', ''];
}

/** Reads every gateway's control stream from `since`, calling `onEntry(to, arrival ms, stream id)`. */
function readControl(redis: Redis, onEntry: (to: string, at: number, id: string) => void): { stop: () => void } {
  let running = true;
  const cursors = GATEWAYS.map(() => '0');
  void (async () => {
    while (running) {
      const reply = (await redis.xread('COUNT', 10_000, 'BLOCK', 100, 'STREAMS', ...GATEWAYS.map(control), ...cursors).catch(() => null)) as
        | [string, [string, string[]][]][]
        | null;
      const at = performance.now();
      for (const [stream, entries] of reply ?? []) {
        const g = GATEWAYS.findIndex((gw) => control(gw) === stream);
        for (const [id, fields] of entries) {
          cursors[g] = id;
          onEntry(fields[fields.indexOf('to') + 1]!, at, id);
        }
      }
    }
  })();
  return { stop: () => (running = false) };
}

async function saturation(redisUrl: string, redis: Redis, reader: Redis): Promise<number> {
  await redis.del(EVENTS, '{m}:queue', '{m}:leader', ...GATEWAYS.map(control));
  const sids = await createSessions(redis, PAIRS * 2);
  for (let start = 0; start < sids.length; start += 5000) {
    const pipeline = redis.pipeline();
    sids.slice(start, start + 5000).forEach((sid, i) => pipeline.xadd(EVENTS, '*', ...joinFields(sid, start + i)));
    await pipeline.exec();
  }
  let seen = 0;
  let lastId = '0-0';
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const watcher = readControl(reader, (_to, _at, id) => {
    lastId = id;
    if (++seen === sids.length) done();
  });
  const matcher = await startMatcher(redisUrl, { MATCHER_ID: 'bench', GHOST_CHECK, LOG_LEVEL: 'info' });
  const active = await matcher.waitForLog((line) => line.msg === 'matcher active');
  await finished;
  watcher.stop();
  await matcher.stop('SIGTERM');
  const seconds = (Number(lastId.split('-')[0]) - Number(active.time)) / 1000;
  await redis.del(EVENTS, ...GATEWAYS.map(control));
  await redis.xgroup('DESTROY', EVENTS, 'matchers').catch(() => undefined);
  return PAIRS / seconds;
}

async function fixedRate(matcher: ServiceHandle, redis: Redis, reader: Redis): Promise<{ p50: number; p99: number; allP99: number }> {
  void matcher;
  const total = RATE * SECONDS;
  const sids = await createSessions(redis, total);
  const sentAt = new Map<string, number>();
  const pairedAt = new Map<string, number>();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const watcher = readControl(reader, (to, at) => {
    pairedAt.set(to, at);
    if (pairedAt.size >= total - 1) done();
  });
  const publisher = redis.duplicate({ enableAutoPipelining: true });
  const start = performance.now() + 20;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + (next * 1000) / RATE <= now) {
        const sid = sids[next]!;
        sentAt.set(sid, start + (next * 1000) / RATE);
        publisher.xadd(EVENTS, '*', ...joinFields(sid, next)).catch(() => undefined);
        next++;
      }
      if (next < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 20);
  });
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 5000))]);
  watcher.stop();
  await publisher.quit();
  // Pairs are consecutive joins here; the later joiner of each pair is timed.
  const later: number[] = [];
  const all: number[] = [];
  // The first half second is warm-up (JIT, connection buffers) and not counted.
  for (let i = Math.floor(RATE / 2) * 2; i < sids.length; i++) {
    const sid = sids[i]!;
    const latency = (pairedAt.get(sid) ?? Infinity) - sentAt.get(sid)!;
    all.push(latency);
    if (i % 2 === 1) later.push(latency);
  }
  later.sort((x, y) => x - y);
  all.sort((x, y) => x - y);
  return { p50: percentile(later, 50), p99: percentile(later, 99), allP99: percentile(all, 99) };
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const reader = new Redis(server.url);
  try {
    const rates: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const rate = await saturation(server.url, redis, reader);
      rates.push(rate);
      console.log(`saturation: ${PAIRS} pairs from a backlog → ${rate.toFixed(0)} pairs/s (ghost check ${GHOST_CHECK})`);
    }
    const matcher = await startMatcher(server.url, { MATCHER_ID: 'bench', GHOST_CHECK });
    await matcher.waitForLog((line) => line.msg === 'matcher active');
    const runs: { p50: number; p99: number; allP99: number }[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const run = await fixedRate(matcher, redis, reader);
      runs.push(run);
      console.log(`${RATE} joins/s for ${SECONDS} s: join → paired (later joiner) p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms; all joiners p99 ${run.allP99.toFixed(2)} ms`);
    }
    await matcher.stop('SIGTERM');
    console.log(
      `summary: ${median(rates).toFixed(0)} pairs/s (median of ${REPS}); at ${RATE} joins/s p50 ${median(runs.map((r) => r.p50)).toFixed(2)} ms, p99 ${median(runs.map((r) => r.p99)).toFixed(2)} ms (median of ${REPS})`,
    );
  } finally {
    redis.disconnect();
    reader.disconnect();
    await server.stop();
  }
}

await main();
