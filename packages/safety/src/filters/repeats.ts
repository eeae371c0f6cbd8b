import { LRUCache } from 'lru-cache';

export interface RepeatSettings {
  /** Distinct chats one text may reach within `windowMs`; the one that makes this many is refused. */
  partners: number;
  windowMs: number;
  /** Fingerprints shorter than this are never counted (everyone opens with "hi"). */
  minLength: number;
  /** Fingerprints kept at once, least recently used dropped. */
  maxEntries: number;
}

interface Spread {
  /** Chat id → when the text was last sent there, at most `partners` of them. */
  chats: Map<string, number>;
}

/** How much of a long text the fingerprint keeps; with the length appended, enough to tell spam apart. */
const fingerprintPrefix = 200;

/**
 * The text with everything but letters and digits dropped, so `Visit my page!!` and
 * `visit my  page` are one fingerprint. Expects `normalizeText` output.
 */
export function fingerprint(normalized: string): string {
  return normalized.replace(/[^\p{L}\p{N}]+/gu, '');
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

  /**
   * Records `normalized` sent by `sender` into `chat` at `now`; returns the number of distinct
   * chats it reached within the window, this one included (0 when too short to count).
   */
  record(sender: string, chat: string, normalized: string, now: number): number {
    const print = fingerprint(normalized);
    if (print.length < this.settings.minLength) return 0;
    const key = `${sender}\n${print.length}\n${print.slice(0, fingerprintPrefix)}`;
    let spread = this.spreads.get(key);
    if (!spread) this.spreads.set(key, (spread = { chats: new Map() }));
    const chats = spread.chats;
    for (const [id, at] of chats) if (now - at > this.settings.windowMs) chats.delete(id);
    chats.delete(chat);
    chats.set(chat, now);
    // Only the most recent `partners` chats matter for the decision: keep memory flat.
    while (chats.size > this.settings.partners) chats.delete(chats.keys().next().value!);
    return chats.size;
  }

  get size(): number {
    return this.spreads.size;
  }
}
