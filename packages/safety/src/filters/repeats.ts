import { LRUCache } from 'lru-cache';
import { wordTokens } from './words.js';

export interface RepeatSettings {
  /** Distinct chats one text may reach within `windowMs`; the one that makes this many is refused. */
  partners: number;
  windowMs: number;
  /** Fingerprints shorter than this are never counted (everyone opens with "hi"). */
  minLength: number;
  /** Fingerprints kept at once, least recently used dropped. */
  maxEntries: number;
}

/** The chats one text went to lately (parallel arrays, at most `partners` long: a scan beats a Map here). */
interface Spread {
  chats: string[];
  times: number[];
}

/** How much of a long text the key keeps; with the length appended, enough to tell spam apart. */
const fingerprintPrefix = 200;

/**
 * A text's letters and digits only, leet-folded (`wordTokens` joined), so `Visit my page!!`,
 * `visit  my page` and `v1sit my page` are one fingerprint. Expects `normalizeText` output.
 */
export function fingerprint(normalized: string): string {
  return wordTokens(normalized).join('');
}

/**
 * Counts, per sender (a client address hash), the distinct chats each text went to within a
 * window: the same text to many partners is a spammer's signature. State crosses chats, so it
 * lives in this gateway's memory, bounded by an LRU of `maxEntries` fingerprints (≈ 300 bytes
 * each): a sender spreading one text over several gateways is counted per gateway.
 */
export class RepeatTracker {
  private readonly spreads: LRUCache<string, Spread>;

  constructor(private readonly settings: RepeatSettings) {
    this.spreads = new LRUCache({ max: settings.maxEntries });
  }

  /** Whether a text of this fingerprint is counted at all. */
  counts(print: string): boolean {
    return print.length >= this.settings.minLength;
  }

  /**
   * Records a text (its `fingerprint`) sent by `sender` into `chat` at `now`; returns the
   * number of distinct chats it reached within the window, this one included (0 when too
   * short to count).
   */
  record(sender: string, chat: string, print: string, now: number): number {
    if (!this.counts(print)) return 0;
    const key = `${sender}\n${print.length}\n${print.length > fingerprintPrefix ? print.slice(0, fingerprintPrefix) : print}`;
    let spread = this.spreads.get(key);
    if (spread === undefined) {
      spread = { chats: [], times: [] };
      this.spreads.set(key, spread);
    }
    const { chats, times } = spread;
    // Drop chats outside the window and this chat's earlier entry; then add it as the newest.
    let kept = 0;
    for (let i = 0; i < chats.length; i++) {
      if (now - times[i]! > this.settings.windowMs || chats[i] === chat) continue;
      chats[kept] = chats[i]!;
      times[kept] = times[i]!;
      kept += 1;
    }
    chats.length = kept;
    times.length = kept;
    chats.push(chat);
    times.push(now);
    // Only the most recent `partners` chats matter for the decision: keep memory flat.
    if (chats.length > this.settings.partners) {
      chats.shift();
      times.shift();
    }
    return chats.length;
  }

  get size(): number {
    return this.spreads.size;
  }
}
