import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Loader } from './loader-pool.js';
import type { Profile } from './profile-options.js';
import { connectPairs, cpuRoles, relayOnce, type RelayRun } from './relay-case.js';
import { spread, type Spread } from './stats.js';
import { startSystem, type SystemOptions } from './systems.js';

/** The fixed rate of the filters-on runs: the product's CPU table rate, so the two compare. */
export const FILTERS_RATE = 10_000;

export interface FiltersFigures {
  rate: number;
  /** Words in the word list the gateways loaded. */
  words: number;
  runs: RelayRun[];
  p99: Spread;
  lost: number;
  cpuPerMessage: Record<string, Spread>;
}

/**
 * Every built-in filter on and refusing (issue 19): links, contacts while the chat is young
 * (its first messages are the bench's), a word list of realistic size, repeats tracked. The
 * bench's messages are ordinary text with a letters-only stamp, so none is refused: what
 * the filters cost is the CPU the gateways spend beyond the same run's filters-off product.
 */
function filterSettings(wordsFile: string): Record<string, string> {
  return {
    FILTER_LINKS: 'block',
    FILTER_CONTACTS: 'block',
    // Young for the whole run: every message is checked for contacts.
    FILTER_CONTACTS_MESSAGES: '0',
    FILTER_CONTACTS_MS: '600000',
    FILTER_WORDS_FILE: wordsFile,
    FILTER_REPEAT: 'block',
  };
}

const WORDS = Array.from({ length: 500 }, (_, index) => `blockedword${index}`);

/** The product with its filters on, at FILTERS_RATE msg/s (the smoke profile's rate when smoking), repeated. */
export async function filtersCase(
  withLoaders: <T>(work: (loaders: Loader[]) => Promise<T>) => Promise<T>,
  options: SystemOptions,
  profile: Profile,
  log: (line: string) => void,
): Promise<FiltersFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'strangers-bench-words-'));
  const wordsFile = join(dir, 'words.txt');
  writeFileSync(wordsFile, `${WORDS.join('\n')}\n`);
  const rate = profile.smoke ? profile.relay.rates[0]! : FILTERS_RATE;
  const system = await startSystem('product', { ...options, gatewayEnv: filterSettings(wordsFile), matcherEnv: { INTEREST_FALLBACK_MS: '600000' } });
  try {
    return await withLoaders(async (loaders) => {
      await connectPairs(system, loaders, profile.relay.pairs);
      const roles = await cpuRoles(system, loaders);
      const runs: RelayRun[] = [];
      for (let rep = 0; rep < profile.relay.reps; rep++) {
        const run = await relayOnce(loaders, rate, profile, undefined, roles);
        runs.push(run);
        log(`  product, filters on ${rate}/s: p99 ${run.p99.toFixed(2)} ms, servers ${run.cpuPerMessage!.servers!.toFixed(1)} µs/msg, lost ${run.lost}/${run.sent}`);
      }
      return {
        rate,
        words: WORDS.length,
        runs,
        p99: spread(runs.map((run) => run.p99)),
        lost: runs.reduce((sum, run) => sum + run.lost, 0),
        cpuPerMessage: Object.fromEntries(Object.keys(roles).map((role) => [role, spread(runs.map((run) => run.cpuPerMessage![role]!))])),
      };
    });
  } finally {
    await system.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
