import type { Loader } from './loader-pool.js';
import { startCpuCount, type CpuRoles } from './process-cpu.js';
import type { Profile } from './profile-options.js';
import { mergeHistograms, percentilesMs, spread, type Spread } from './stats.js';
import type { System } from './systems.js';

export interface RelayRun {
  rate: number;
  p50: number;
  p99: number;
  p999: number;
  sent: number;
  lost: number;
  /** CPU microseconds per message (warm-up included) by role, when the run was given roles. */
  cpuPerMessage?: Record<string, number>;
}

export interface RateFigures {
  rate: number;
  runs: RelayRun[];
  p50: Spread;
  p99: Spread;
  p999: Spread;
  lost: number;
  /** Median CPU microseconds per message by role (see `cpuRoles`). */
  cpuPerMessage?: Record<string, Spread>;
}

export interface RelayFigures {
  rates: RateFigures[];
  /** Highest rate found with p99 under the limit and nothing lost, one per search. */
  maxRate: Spread;
  maxRuns: number[];
}

/** Connects `pairs` pairs (side A on urlA, side B on urlB), spread over the loaders. */
export async function connectPairs(system: System, loaders: Loader[], pairs: number): Promise<void> {
  await Promise.all(
    loaders.map((loader, index) => {
      const mine = Array.from({ length: pairs }, (_, pair) => pair).filter((pair) => pair % loaders.length === index);
      return loader.request({ op: 'pairs', kind: system.kind, urlA: system.urlA, urlB: system.urlB, pairs: mine }, 180_000);
    }),
  );
}

/**
 * The processes that share the box during a relay run, by role: every system's CPU per
 * message, load generators included, is what bounds its maximum rate on these 2 cores.
 */
export async function cpuRoles(system: System, loaders: Loader[], withMatcher = false): Promise<CpuRoles> {
  const roles: CpuRoles = { servers: system.servers.map((server) => server.pid) };
  if (withMatcher && system.matcher) roles.matcher = [system.matcher.pid];
  if (system.redis) {
    const info = await system.redis.client().info('server');
    roles.redis = [Number(/^process_id:(\d+)/m.exec(info)![1])];
  }
  roles.load = loaders.map((loader) => loader.pid);
  return roles;
}

/** One timed run at `rate` msg/s in total, split evenly over the loaders. */
export async function relayOnce(
  loaders: Loader[],
  rate: number,
  profile: Profile,
  durationMs = profile.relay.durationMs,
  roles?: CpuRoles,
): Promise<RelayRun> {
  const { warmupMs, drainMs } = profile.relay;
  const cpu = roles && startCpuCount(roles);
  const replies = await Promise.all(
    loaders.map((loader) =>
      loader.request<'relay'>({ op: 'relay', rate: rate / loaders.length, warmupMs, durationMs, drainMs }, warmupMs + durationMs + drainMs + 60_000),
    ),
  );
  const histogram = mergeHistograms(replies.map((reply) => reply.result.hist));
  const { p50, p99, p999 } = percentilesMs(histogram);
  const sent = replies.reduce((sum, reply) => sum + reply.result.sent, 0);
  const lost = replies.reduce((sum, reply) => sum + reply.result.lost, 0);
  const run: RelayRun = { rate, p50, p99, p999, sent, lost };
  if (cpu) {
    // The loaders return once everything was delivered (or the drain gave up), so every
    // message of the run, warm-up included, was handled within the counted span.
    const messages = (rate * (warmupMs + durationMs)) / 1000;
    run.cpuPerMessage = Object.fromEntries(Object.entries(cpu.stop()).map(([role, micros]) => [role, micros / messages]));
  }
  return run;
}

function passes(run: RelayRun, profile: Profile): boolean {
  return run.lost === 0 && run.p99 < profile.relay.p99LimitMs;
}

/**
 * Fixed rates (each repeated), then a short bisection for the highest rate whose p99 stays
 * under the limit, between the best passing fixed rate and the first failing one.
 * A rate at which messages are lost ends the fixed-rate series (the system has collapsed).
 */
export async function relayCase(system: System, loaders: Loader[], profile: Profile, log: (line: string) => void): Promise<RelayFigures> {
  const rates: RateFigures[] = [];
  const roles = await cpuRoles(system, loaders);
  let collapsed = false;
  for (const rate of profile.relay.rates) {
    if (collapsed) break;
    const runs: RelayRun[] = [];
    for (let rep = 0; rep < profile.relay.reps; rep++) {
      const run = await relayOnce(loaders, rate, profile, undefined, roles);
      runs.push(run);
      log(`  ${system.name} ${rate}/s: p50 ${run.p50.toFixed(2)} p99 ${run.p99.toFixed(2)} p99.9 ${run.p999.toFixed(2)} ms, lost ${run.lost}/${run.sent}`);
      if (run.lost > run.sent * 0.01) collapsed = true;
    }
    rates.push({
      rate,
      runs,
      p50: spread(runs.map((run) => run.p50)),
      p99: spread(runs.map((run) => run.p99)),
      p999: spread(runs.map((run) => run.p999)),
      lost: runs.reduce((sum, run) => sum + run.lost, 0),
      cpuPerMessage: Object.fromEntries(Object.keys(roles).map((role) => [role, spread(runs.map((run) => run.cpuPerMessage![role]!))])),
    });
  }
  const maxRuns: number[] = [];
  if (profile.relay.searchSteps > 0) {
    // A fixed rate passes on its median p99 (one disturbed repetition must not sink it).
    const ok = (figures: RateFigures) => figures.lost === 0 && figures.p99.median < profile.relay.p99LimitMs;
    const passing = rates.filter(ok).map((figures) => figures.rate);
    const failing = rates.filter((figures) => !ok(figures)).map((figures) => figures.rate);
    const startLow = passing.length > 0 ? Math.max(...passing) : 0;
    const startHigh = failing.length > 0 ? Math.min(...failing) : 2 * Math.max(...profile.relay.rates);
    for (let search = 0; search < profile.relay.searchReps; search++) {
      let low = startLow;
      let high = startHigh;
      for (let step = 0; step < profile.relay.searchSteps; step++) {
        const rate = Math.round((low + high) / 2 / 100) * 100;
        if (rate <= low || rate >= high) break;
        const run = await relayOnce(loaders, rate, profile);
        log(`  ${system.name} search ${rate}/s: p99 ${run.p99.toFixed(2)} ms, lost ${run.lost} → ${passes(run, profile) ? 'ok' : 'too slow'}`);
        if (passes(run, profile)) low = rate;
        else high = rate;
      }
      maxRuns.push(low);
    }
  }
  return { rates, maxRate: spread(maxRuns), maxRuns };
}
