import type { Loader } from './loader-pool.js';
import { startCpuCount } from './process-cpu.js';
import type { Profile } from './profile-options.js';
import { cpuRoles } from './relay-case.js';
import { mergeHistograms, percentilesMs, spread, type Spread } from './stats.js';
import type { System } from './systems.js';

export interface PairingFigures {
  pairsPerSecond: Spread;
  burstPairs: number;
  /** CPU microseconds per pair in the bursts by role (join, paired and leave of both sides). */
  cpuPerPair?: Record<string, Spread>;
  joinRates: { rate: number; p50: Spread; p99: Spread; allP50: Spread; allP99: Spread; unpaired: number }[];
}

/**
 * Saturation: a pool of idle clients on both gateways all send `join` at once, repeatedly;
 * pairs/s = pairs formed / (last `paired` − first `join`). Then fixed join rates from one
 * loader, so both sides of each pair are timed on one clock.
 */
export async function pairingCase(system: System, loaders: Loader[], profile: Profile, log: (line: string) => void): Promise<PairingFigures> {
  const { burstClients, burstReps, joinRates, joinReps, warmupMs, durationMs, pool } = profile.pairing;
  const urls = [system.urlA, system.urlB];
  await Promise.all(loaders.map((loader) => loader.request({ op: 'pool', urls, count: Math.ceil(burstClients / loaders.length / 2) * 2 }, 180_000)));
  const rates: number[] = [];
  const cpuRuns: Record<string, number>[] = [];
  const roles = await cpuRoles(system, loaders, true);
  let burstPairs = 0;
  // One burst first, not counted: the first run through the join path also pays for its JIT compilation.
  for (let rep = -1; rep < burstReps; rep++) {
    const cpu = startCpuCount(roles);
    const replies = await Promise.all(loaders.map((loader) => loader.request<'burst'>({ op: 'burst', timeoutMs: 20_000 })));
    const paired = replies.reduce((sum, reply) => sum + reply.paired, 0);
    const seconds = (Math.max(...replies.map((reply) => reply.lastPaired)) - Math.min(...replies.map((reply) => reply.firstSend))) / 1000;
    const used = cpu.stop();
    log(`  ${rep < 0 ? 'warm-up ' : ''}burst: ${paired / 2} pairs in ${(seconds * 1000).toFixed(0)} ms → ${(paired / 2 / seconds).toFixed(0)} pairs/s`);
    if (rep >= 0) {
      burstPairs = paired / 2;
      rates.push(paired / 2 / seconds);
      if (burstPairs > 0) cpuRuns.push(Object.fromEntries(Object.entries(used).map(([role, micros]) => [role, micros / burstPairs])));
    }
    // Let the leaves of this round reach the matcher before the next burst.
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await Promise.all(loaders.map((loader) => loader.request({ op: 'close' })));

  const timer = loaders[0]!;
  await timer.request({ op: 'pool', urls, count: pool }, 180_000);
  const figures: PairingFigures['joinRates'] = [];
  for (const rate of joinRates) {
    const runs: { p50: number; p99: number; allP50: number; allP99: number; unpaired: number }[] = [];
    for (let rep = 0; rep < joinReps; rep++) {
      const reply = await timer.request<'join-rate'>({ op: 'join-rate', rate, warmupMs, durationMs }, warmupMs + durationMs + 60_000);
      const later = percentilesMs(mergeHistograms([reply.later]));
      const all = percentilesMs(mergeHistograms([reply.all]));
      runs.push({ p50: later.p50, p99: later.p99, allP50: all.p50, allP99: all.p99, unpaired: reply.unpaired });
      log(`  ${rate} joins/s: join → paired p50 ${later.p50.toFixed(2)} p99 ${later.p99.toFixed(2)} ms (all joiners p99 ${all.p99.toFixed(2)})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    figures.push({
      rate,
      p50: spread(runs.map((run) => run.p50)),
      p99: spread(runs.map((run) => run.p99)),
      allP50: spread(runs.map((run) => run.allP50)),
      allP99: spread(runs.map((run) => run.allP99)),
      unpaired: runs.reduce((sum, run) => sum + run.unpaired, 0),
    });
  }
  await timer.request({ op: 'close' });
  const cpuPerPair = cpuRuns.length > 0 ? Object.fromEntries(Object.keys(roles).map((role) => [role, spread(cpuRuns.map((run) => run[role]!))])) : undefined;
  return { pairsPerSecond: spread(rates), burstPairs, cpuPerPair, joinRates: figures };
}
