/** The key of an unordered pair of sessions, as `{m}:apart` stores it. */
export function pairKey(x: string, y: string): string {
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

/** The two sessions of a `pairKey`. */
export function splitPairKey(key: string): [string, string] {
  const [x = '', y = ''] = key.split('|');
  return [x, y];
}

/** Pairs of sessions that may not meet until a time: `next` cool-downs and report blocks alike. */
export class KeptApart {
  /** pair key → until (ms). */
  private readonly untilByPair = new Map<string, number>();

  keep(x: string, y: string, until: number): void {
    const key = pairKey(x, y);
    this.untilByPair.set(key, Math.max(until, this.untilByPair.get(key) ?? 0));
  }

  has(x: string, y: string, now: number): boolean {
    return this.until(x, y) > now;
  }

  /** Until when the two are kept apart (0: not at all). */
  until(x: string, y: string): number {
    return this.untilByPair.get(pairKey(x, y)) ?? 0;
  }

  /** Forgets every pair whose time has come; returns them as [x, y]. */
  expire(now: number): [string, string][] {
    const expired: [string, string][] = [];
    for (const [key, until] of this.untilByPair) {
      if (until > now) continue;
      this.untilByPair.delete(key);
      expired.push(splitPairKey(key));
    }
    return expired;
  }

  /** The earliest time a pair is released, or undefined when none is kept apart. */
  earliest(): number | undefined {
    let earliest: number | undefined;
    for (const until of this.untilByPair.values()) if (earliest === undefined || until < earliest) earliest = until;
    return earliest;
  }
}
