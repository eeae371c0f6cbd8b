import type { Loader } from './loader-pool.js';
import type { Profile } from './profile-options.js';
import type { ServerProcess } from './processes.js';
import { spread, type Spread } from './stats.js';

export interface ConnectionStep {
  sessions: number;
  /** Bytes per session over the empty baseline, medians over the repetitions. */
  rssPerSession: Spread;
  heapPerSession: Spread;
  rssMiB: Spread;
  heapMiB: Spread;
}

export interface ConnectionFigures {
  label: string;
  baselineRssMiB: Spread;
  steps: ConnectionStep[];
  /** Extrapolated to 100 k sessions from the largest step's per-session cost. */
  rssAt100kMiB: number;
}

/**
 * Opens idle sessions on one fresh server in steps (spread over several loader processes:
 * each may hold at most 20 000 files) and reads the server's RSS and heap after a full GC.
 */
export async function connectionsCase(
  label: string,
  start: () => Promise<{ server: ServerProcess; url: string; product: boolean; stop(): Promise<void> }>,
  loaders: Loader[],
  profile: Profile,
  log: (line: string) => void,
): Promise<ConnectionFigures> {
  const { steps, reps } = profile.connections;
  const baselines: number[] = [];
  const perStep = steps.map(() => ({ rss: [] as number[], heap: [] as number[], rssMiB: [] as number[], heapMiB: [] as number[] }));
  for (let rep = 0; rep < reps; rep++) {
    const target = await start();
    const base = await target.server.memory();
    baselines.push(base.rss / 2 ** 20);
    let open = 0;
    for (const [index, sessions] of steps.entries()) {
      const add = sessions - open;
      await Promise.all(
        loaders.map((loader, n) => {
          const share = Math.floor(add / loaders.length) + (n < add % loaders.length ? 1 : 0);
          return loader.request({ op: 'idle', url: target.url, count: share, product: target.product }, 300_000);
        }),
      );
      open = sessions;
      const memory = await target.server.memory();
      const bucket = perStep[index]!;
      bucket.rss.push((memory.rss - base.rss) / sessions);
      bucket.heap.push((memory.heapUsed - base.heapUsed) / sessions);
      bucket.rssMiB.push(memory.rss / 2 ** 20);
      bucket.heapMiB.push(memory.heapUsed / 2 ** 20);
      log(`  ${label} ${sessions} sessions: RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB, ${((memory.rss - base.rss) / sessions / 1024).toFixed(2)} KiB/session, heap ${((memory.heapUsed - base.heapUsed) / sessions / 1024).toFixed(2)} KiB/session`);
    }
    await Promise.all(loaders.map((loader) => loader.request({ op: 'close' })));
    await target.stop();
  }
  const stepFigures = steps.map((sessions, index) => ({
    sessions,
    rssPerSession: spread(perStep[index]!.rss),
    heapPerSession: spread(perStep[index]!.heap),
    rssMiB: spread(perStep[index]!.rssMiB),
    heapMiB: spread(perStep[index]!.heapMiB),
  }));
  const baselineRssMiB = spread(baselines);
  const last = stepFigures[stepFigures.length - 1]!;
  return { label, baselineRssMiB, steps: stepFigures, rssAt100kMiB: baselineRssMiB.median + (last.rssPerSession.median * 100_000) / 2 ** 20 };
}
