import { Redis } from 'ioredis';
import * as hdr from 'hdr-histogram-js';
import { encodeMatcherEvent, keys, type AgeGroup } from '@strangers/redis';
import { startRedisServer } from '@strangers/testkit';
import type { Profile } from './profile-options.js';
import { percentilesMs, spread, type Spread } from './stats.js';
import { startMatcherProcess, type SystemOptions } from './systems.js';

export interface MatcherFigures {
  /** The command that measures this case alone. */
  command: string;
  date: string;
  /** 1-minute load average before and after the case. */
  load: [number, number];
  settings: Profile['matcher'];
  backlogPairs: number;
  pairsPerSecond: Spread;
  joinRates: { rate: number; p50: Spread; p99: Spread; allP99: Spread; matcherP50: Spread; matcherP99: Spread; unpaired: number }[];
  /** The same runs with issue 20's mix of matching preferences (see `mixedJoin`); absent in results from before it. */
  mixed?: MixFigures;
}

type MixFigures = Pick<MatcherFigures, 'backlogPairs' | 'pairsPerSecond' | 'joinRates'>;

/** How the joins of a run look: every session alike, or issue 20's mix. */
type Mix = 'plain' | 'mixed';

const GATEWAYS = ['gw-a', 'gw-b'];
const MATCHER_ID = 'bench-matcher';
/** Sessions' records and join events are written in pipelines of this many commands. */
const CHUNK = 5000;

/**
 * The matcher alone: one matcher process on a private redis-server, no gateways or
 * WebSockets. This process plays the gateways: it writes each session's record (what the
 * ghost check reads) and its join event exactly as a gateway does, and reads the pair
 * assignments from the gateways' control streams.
 *
 * - Saturation: the matcher is stopped (SIGSTOP), a backlog of `backlogPairs` × 2 joins is
 *   written, and the matcher continued; pairs/s = pairs / (last assignment's stream time −
 *   the continue). The lease is long enough to survive the pause; nothing else differs
 *   from production settings.
 * - Fixed join rates: joins on a fixed schedule; latency runs from a join's *intended* send
 *   time (coordinated-omission safe) to its assignment being read. Joins pair in arrival
 *   order, so each pair's later joiner times the matcher; "all" includes the earlier
 *   joiner's wait for a partner.
 */
export async function matcherCase(profile: Profile, options: SystemOptions, log: (line: string) => void): Promise<Omit<MatcherFigures, 'command' | 'date' | 'load'>> {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const matcher = await startMatcherProcess(server.url, {
    ...options,
    // Long enough that the SIGSTOP while the backlog is written never costs the lease.
    matcherEnv: { MATCHER_ID, LEASE_TTL_MS: '20000', LEASE_RENEW_MS: '1000', ...options.matcherEnv },
  });
  const sessions = new SessionFactory(redis);
  const control = new ControlReader(new Redis(server.url));
  try {
    await waitUntilActive(redis);
    const plain = await runMix('plain', profile, redis, matcher.pid, sessions, control, log);
    const mixed = await runMix('mixed', profile, redis, matcher.pid, sessions, control, log);
    return { settings: profile.matcher, ...plain, mixed };
  } finally {
    control.stop();
    await matcher.stop();
    redis.disconnect();
    await server.stop();
  }
}

/** The backlogs and the fixed join rates, with joins of one mix. */
async function runMix(
  mix: Mix,
  profile: Profile,
  redis: Redis,
  matcherPid: number,
  sessions: SessionFactory,
  control: ControlReader,
  log: (line: string) => void,
): Promise<MixFigures> {
  const { backlogPairs, backlogReps, joinRates, joinReps, warmupMs, durationMs } = profile.matcher;
  const rates: number[] = [];
  // The first backlog warms the matcher's JIT up and is not counted.
  for (let rep = -1; rep < backlogReps; rep++) {
    const pairs = rep < 0 ? Math.min(backlogPairs, 5000) : backlogPairs;
    const rate = await saturation(redis, matcherPid, sessions, control, pairs, mix);
    if (rep >= 0) rates.push(rate);
    log(`  matcher (${mix}) backlog${rep < 0 ? ' (warm-up)' : ''}: ${pairs} pairs → ${rate.toFixed(0)} pairs/s`);
  }
  const figures: MatcherFigures['joinRates'] = [];
  for (const rate of joinRates) {
    const runs: RateRun[] = [];
    for (let rep = 0; rep < joinReps; rep++) {
      const run = await fixedRate(redis, sessions, control, rate, warmupMs, durationMs, mix);
      runs.push(run);
      log(
        `  matcher (${mix}) ${rate} joins/s: join → paired p50 ${run.p50.toFixed(2)} p99 ${run.p99.toFixed(2)} ms (all joiners p99 ${run.allP99.toFixed(2)}; ` +
          `in the matcher p50 ${run.matcherP50} p99 ${run.matcherP99} ms), unpaired ${run.unpaired}`,
      );
    }
    figures.push({
      rate,
      p50: spread(runs.map((run) => run.p50)),
      p99: spread(runs.map((run) => run.p99)),
      allP99: spread(runs.map((run) => run.allP99)),
      matcherP50: spread(runs.map((run) => run.matcherP50)),
      matcherP99: spread(runs.map((run) => run.matcherP99)),
      unpaired: runs.reduce((sum, run) => sum + run.unpaired, 0),
    });
  }
  return { backlogPairs, pairsPerSecond: spread(rates), joinRates: figures };
}

async function waitUntilActive(redis: Redis): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await redis.get(keys.matcherLeader))?.startsWith(`${MATCHER_ID}|`)) {
    if (Date.now() > deadline) throw new Error('the matcher did not become active within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** New session ids with their `waiting` records written, as a gateway writes them before it publishes the join. */
class SessionFactory {
  private next = 0;

  constructor(private readonly redis: Redis) {}

  async create(count: number): Promise<string[]> {
    const sids: string[] = [];
    for (let start = 0; start < count; start += CHUNK) {
      const pipeline = this.redis.pipeline();
      for (let i = start; i < Math.min(count, start + CHUNK); i++) {
        const sid = `bench-${this.next++}`;
        sids.push(sid);
        pipeline.hset(keys.session(sid), 'state', 'waiting', 'gen', '1');
      }
      await pipeline.exec();
    }
    return sids;
  }
}

function joinFields(sid: string, index: number, mix: Mix): string[] {
  const gw = GATEWAYS[index % GATEWAYS.length]!;
  if (mix === 'plain') return encodeMatcherEvent({ t: 'join', sid, gw, gen: 1, interests: [], ipHash: '', block: false });
  return encodeMatcherEvent({ t: 'join', sid, gw, gen: 1, ipHash: '', ...mixedJoin(Math.floor(index / 2)) });
}

const LANGUAGES = ['en', 'es', 'pt', 'fr', 'de'];
const TAGS = Array.from({ length: 50 }, (_, i) => `tag${i}`);

/**
 * Issue 20's realistic mix, per pair of consecutive joins (so both have a partner and pair
 * in arrival order, as the plain runs do): one of 5 languages, 20 % strict about it, 10 %
 * minors (the rest adults), 5 % video, 20 % with 1–3 interests out of 50. Drawn from the
 * pair's index, so every run has the same mix.
 */
function mixedJoin(pair: number): { interests: string[]; lang: string[]; strict: boolean; age: AgeGroup; media: 'text' | 'video' } {
  let seed = (pair * 0x9e3779b1) >>> 0;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const lang = [LANGUAGES[Math.floor(random() * LANGUAGES.length)]!];
  const strict = random() < 0.2;
  const age: AgeGroup = random() < 0.1 ? 'minor' : 'adult';
  const media = random() < 0.05 ? 'video' : 'text';
  const interests = random() < 0.2 ? [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => TAGS[Math.floor(random() * TAGS.length)]!))] : [];
  return { interests, lang, strict, age, media };
}

/**
 * Reads every gateway's control stream, as the gateways do, on a connection of its own;
 * tells the current listener of each assignment (session, arrival time, stream id).
 */
class ControlReader {
  private running = true;
  private readonly cursors = GATEWAYS.map(() => '0-0');
  private readonly streams = GATEWAYS.map((gw) => keys.gatewayControl(gw));
  listener: ((to: string, at: number, id: string) => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(private readonly redis: Redis) {
    this.loop = this.read();
  }

  private async read(): Promise<void> {
    while (this.running) {
      const reply = (await this.redis.xread('COUNT', 10_000, 'BLOCK', 100, 'STREAMS', ...this.streams, ...this.cursors).catch(() => null)) as
        | [string, [string, string[]][]][]
        | null;
      const at = performance.now();
      for (const [stream, entries] of reply ?? []) {
        const index = this.streams.indexOf(stream);
        for (const [id, fields] of entries) {
          this.cursors[index] = id;
          this.listener?.(fields[fields.indexOf('to') + 1]!, at, id);
        }
      }
    }
  }

  stop(): void {
    this.running = false;
    this.redis.disconnect();
  }
}

/** Resolves once `count` assignments arrived, or after `timeoutMs` with however many did. */
function collect(control: ControlReader, count: number, timeoutMs: number, onEntry: (to: string, at: number, id: string) => void): { done: Promise<number> } {
  let seen = 0;
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<number>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      control.listener = undefined;
      resolve(seen);
    };
    timer = setTimeout(finish, timeoutMs);
    control.listener = (to, at, id) => {
      onEntry(to, at, id);
      if (++seen === count) finish();
    };
  });
  return { done };
}

async function saturation(redis: Redis, matcherPid: number, sessions: SessionFactory, control: ControlReader, pairs: number, mix: Mix): Promise<number> {
  const sids = await sessions.create(pairs * 2);
  let lastId = '0-0';
  const seen = new Set<string>();
  const { done } = collect(control, sids.length, 60_000, (to, _at, id) => {
    lastId = id;
    seen.add(to);
  });
  process.kill(matcherPid, 'SIGSTOP');
  let continuedAt: number;
  try {
    for (let start = 0; start < sids.length; start += CHUNK) {
      const pipeline = redis.pipeline();
      for (let i = start; i < Math.min(sids.length, start + CHUNK); i++) pipeline.xadd(keys.matcherEvents, '*', ...joinFields(sids[i]!, i, mix));
      await pipeline.exec();
    }
  } finally {
    continuedAt = Date.now();
    process.kill(matcherPid, 'SIGCONT');
  }
  const assignments = await done;
  if (assignments !== sids.length || seen.size !== sids.length) {
    throw new Error(`matcher backlog: ${assignments} assignments for ${sids.length} joins (${seen.size} distinct sessions)`);
  }
  // Stream ids carry Redis' clock in ms: the same clock as ours on this box.
  const seconds = (Number(lastId.slice(0, lastId.indexOf('-'))) - continuedAt) / 1000;
  await redis.del(...GATEWAYS.map((gw) => keys.gatewayControl(gw)));
  return pairs / seconds;
}

interface RateRun {
  p50: number;
  p99: number;
  allP99: number;
  /** Join entry → assignment entry, by their stream ids (Redis' clock, whole ms): the matcher's own part. */
  matcherP50: number;
  matcherP99: number;
  unpaired: number;
}

function streamMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

async function fixedRate(redis: Redis, sessions: SessionFactory, control: ControlReader, rate: number, warmupMs: number, durationMs: number, mix: Mix): Promise<RateRun> {
  // An even number of joins, so every joiner has a partner.
  const total = Math.ceil((rate * (warmupMs + durationMs)) / 2000) * 2;
  const sids = await sessions.create(total);
  const indexOf = new Map(sids.map((sid, i) => [sid, i]));
  const pairedAt = new Float64Array(total).fill(Number.NaN);
  const joinedMs = new Float64Array(total).fill(Number.NaN);
  const assignedMs = new Float64Array(total).fill(Number.NaN);
  const { done } = collect(control, total, warmupMs + durationMs + 5000, (to, at, id) => {
    const index = indexOf.get(to);
    if (index === undefined) return;
    pairedAt[index] = at;
    assignedMs[index] = streamMs(id);
  });
  const publisher = redis.duplicate({ enableAutoPipelining: true });
  const intervalMs = 1000 / rate;
  const start = performance.now() + 20;
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) {
        const index = next;
        publisher.xadd(keys.matcherEvents, '*', ...joinFields(sids[index]!, index, mix)).then(
          (id) => (joinedMs[index] = streamMs(String(id))),
          () => undefined,
        );
        next++;
      }
      if (next < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 20);
  });
  await done;
  publisher.disconnect();
  await redis.del(...GATEWAYS.map((gw) => keys.gatewayControl(gw)));
  const later = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const all = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const inMatcher: number[] = [];
  const first = Math.ceil((rate * warmupMs) / 2000) * 2;
  let unpaired = 0;
  for (let i = first; i < total; i++) {
    const at = pairedAt[i]!;
    if (Number.isNaN(at)) {
      unpaired += 1;
      continue;
    }
    const micros = Math.max(1, Math.round((at - (start + i * intervalMs)) * 1000));
    all.recordValue(micros);
    if (i % 2 === 0) continue;
    later.recordValue(micros);
    inMatcher.push(assignedMs[i]! - joinedMs[i]!);
  }
  inMatcher.sort((x, y) => x - y);
  const laterMs = percentilesMs(later);
  const allMs = percentilesMs(all);
  later.destroy();
  all.destroy();
  const rank = (p: number) => inMatcher[Math.min(inMatcher.length - 1, Math.floor(p * inMatcher.length))] ?? Number.NaN;
  return { p50: laterMs.p50, p99: laterMs.p99, allP99: allMs.p99, matcherP50: rank(0.5), matcherP99: rank(0.99), unpaired };
}
