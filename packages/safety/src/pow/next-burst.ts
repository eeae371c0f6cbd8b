import { LRUCache } from 'lru-cache';

export interface NextBurstSettings {
  /** `next` frames from one session within `windowMs` that make a burst. */
  sessionCount: number;
  /** The same for one client address (all its sessions together). */
  addressCount: number;
  windowMs: number;
  /** Addresses tracked at once (least recently seen dropped); sessions are dropped by `forgetSession`. */
  maxAddresses?: number;
}

/** The times of the last `limit` events of one key, oldest first once full. */
class RecentTimes {
  private readonly times: number[] = [];
  private next = 0;
  constructor(private readonly limit: number) {}

  /** Records `now`; true when `limit` events fit in `windowMs` (the oldest kept is that recent). */
  record(now: number, windowMs: number): boolean {
    if (this.times.length < this.limit) {
      this.times.push(now);
      return this.times.length === this.limit && now - this.times[0]! <= windowMs;
    }
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.limit;
    return now - this.times[this.next]! <= windowMs;
  }

  /** Forget the history (after a burst was answered, so one burst asks for one challenge). */
  clear(): void {
    this.times.length = 0;
    this.next = 0;
  }
}

export type BurstSource = 'session' | 'address';

/**
 * Sees a burst of `next` — N within W ms from one session, or M within W from one address —
 * for adaptive proof of work. In memory per gateway: a session lives on one gateway, and
 * addresses are bounded by an LRU (a client spreading over gateways is caught per gateway).
 */
export class NextBurstDetector {
  private readonly sessions = new Map<string, RecentTimes>();
  private readonly addresses: LRUCache<string, RecentTimes>;

  constructor(private readonly settings: NextBurstSettings) {
    this.addresses = new LRUCache({ max: settings.maxAddresses ?? 100_000 });
  }

  /** Records one `next`; returns which limit it crossed, if any (the history of that key restarts). */
  record(session: string, address: string, now: number): BurstSource | undefined {
    let bySession = this.sessions.get(session);
    if (!bySession) this.sessions.set(session, (bySession = new RecentTimes(this.settings.sessionCount)));
    let byAddress = this.addresses.get(address);
    if (!byAddress) this.addresses.set(address, (byAddress = new RecentTimes(this.settings.addressCount)));
    const sessionBurst = bySession.record(now, this.settings.windowMs);
    const addressBurst = byAddress.record(now, this.settings.windowMs);
    if (sessionBurst) bySession.clear();
    if (addressBurst) byAddress.clear();
    if (sessionBurst) return 'session';
    return addressBurst ? 'address' : undefined;
  }

  /** The session ended: drop its history. */
  forgetSession(session: string): void {
    this.sessions.delete(session);
  }

  get trackedSessions(): number {
    return this.sessions.size;
  }
}
