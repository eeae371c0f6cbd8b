/** The key of an unordered pair of sessions, as `{m}:apart` stores it. */
export function pairKey(x: string, y: string): string {
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

/** Pairs of sessions that may not meet until a time: `next` cool-downs and report blocks alike. */
export class KeptApart {
  /** pair key → until (ms). */
  private readonly until = new Map<string, number>();

  keep(x: string, y: string, until: number): void {
    const key = pairKey(x, y);
    this.until.set(key, Math.max(until, this.until.get(key) ?? 0));
  }

  has(x: string, y: string, now: number): boolean {
    return (this.until.get(pairKey(x, y)) ?? 0) > now;
  }

  /** Forgets every pair whose time has come; returns them as [x, y]. */
  expire(now: number): [string, string][] {
    const expired: [string, string][] = [];
    for (const [key, until] of this.until) {
      if (until > now) continue;
      this.until.delete(key);
      const [x = '', y = ''] = key.split('|');
      expired.push([x, y]);
    }
    return expired;
  }

  /** The earliest time a pair is released, or undefined when none is kept apart. */
  earliest(): number | undefined {
    let earliest: number | undefined;
    for (const until of this.until.values()) if (earliest === undefined || until < earliest) earliest = until;
    return earliest;
  }
}
