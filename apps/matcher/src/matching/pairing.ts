import { compatible } from './compatibility.js';
import { KeptApart, pairKey } from './kept-apart.js';

export { pairKey };

/**
 * The pure pairing logic: no I/O, no clock of its own (every call gets `now`), so it can
 * be tested exhaustively with generated operation sequences.
 *
 * Rules (PROTOCOL.md §1 and the matcher issue):
 * - two sessions are compatible (compatibility.ts) when they are different sessions, not in
 *   a `next` cool-down with each other, not separated by a report, and equally flagged
 *   (clients reported often only meet each other);
 * - a session with interests first looks for the longest-waiting compatible session that
 *   shares one; a session is "open" to anyone when it has no interests or has waited
 *   `fallbackMs`; two open compatible sessions may pair without a shared interest;
 * - among candidates the longest-waiting wins.
 * Invariant after every call: no two waiting sessions could be paired under these rules.
 */

export interface WaitingSession {
  sid: string;
  gw: string;
  gen: number;
  interests: string[];
  ipHash: string;
  enqueuedAt: number;
  flagged: boolean;
}

export interface Pair {
  /** The older of the two (it waited longer). */
  a: WaitingSession;
  b: WaitingSession;
  /** Interests both named (may be empty). */
  shared: string[];
}

export interface PairingOptions {
  /** How long a session with interests waits for a shared one before taking anyone. */
  fallbackMs: number;
}

export type JoinOutcome =
  | { kind: 'paired'; pair: Pair }
  | { kind: 'queued'; entry: WaitingSession }
  /** The same join again from another gateway (the session resumed there): place kept. */
  | { kind: 'moved'; entry: WaitingSession }
  | { kind: 'ignored' };

interface QueuedSession extends WaitingSession {
  /** Monotonic position in the queue; ties in `enqueuedAt` never reorder sessions. */
  order: number;
  /** True once open to anyone (no interests, or the fallback wait has passed). */
  open: boolean;
}

export class PairingQueue {
  /** Oldest first: Map iteration follows insertion order. */
  private readonly waiting = new Map<string, QueuedSession>();
  private readonly byInterest = new Map<string, Set<QueuedSession>>();
  private readonly apart = new KeptApart();
  /** hashed address → until (ms): reported often, only matched with each other. */
  private readonly flaggedUntil = new Map<string, number>();
  private nextOrder = 0;

  constructor(private readonly options: PairingOptions) {}

  get size(): number {
    return this.waiting.size;
  }

  has(sid: string): boolean {
    return this.waiting.has(sid);
  }

  /** Waiting sessions, longest-waiting first. */
  entries(): WaitingSession[] {
    return [...this.waiting.values()].map(toPublic);
  }

  isFlagged(ipHash: string, now: number): boolean {
    return ipHash !== '' && (this.flaggedUntil.get(ipHash) ?? 0) > now;
  }

  flag(ipHash: string, until: number): void {
    this.flaggedUntil.set(ipHash, Math.max(until, this.flaggedUntil.get(ipHash) ?? 0));
  }

  /** Keeps two sessions from being paired until `until` (cool-down or report block). */
  keepApart(x: string, y: string, until: number): void {
    this.apart.keep(x, y, until);
  }

  areApart(x: string, y: string, now: number): boolean {
    return this.apart.has(x, y, now);
  }

  /**
   * A session enters the queue. A join older than the one already queued for the session is
   * ignored; the same join from another gateway only moves it (it keeps its place); a newer
   * one replaces it at the back.
   */
  join(session: WaitingSession, now: number): JoinOutcome {
    const existing = this.waiting.get(session.sid);
    if (existing) {
      if (existing.gen > session.gen) return { kind: 'ignored' };
      if (existing.gen === session.gen) {
        if (existing.gw === session.gw) return { kind: 'ignored' };
        existing.gw = session.gw;
        return { kind: 'moved', entry: toPublic(existing) };
      }
      this.remove(existing);
    }
    // Spelled out, not spread: this runs for every join.
    const queued: QueuedSession = {
      sid: session.sid,
      gw: session.gw,
      gen: session.gen,
      interests: session.interests,
      ipHash: session.ipHash,
      enqueuedAt: session.enqueuedAt,
      flagged: session.flagged,
      order: this.nextOrder++,
      open: session.interests.length === 0 || now - session.enqueuedAt >= this.options.fallbackMs,
    };
    const partner = this.findPartner(queued, now);
    if (partner) {
      this.remove(partner);
      return { kind: 'paired', pair: makePair(queued, partner) };
    }
    this.insert(queued);
    return { kind: 'queued', entry: toPublic(queued) };
  }

  /** Removes a session from the queue if the cancel is for its current join. */
  cancel(sid: string, gen: number): boolean {
    const existing = this.waiting.get(sid);
    if (!existing || existing.gen > gen) return false;
    this.remove(existing);
    return true;
  }

  /**
   * Applies the passage of time: sessions whose interest wait ran out become open, expired
   * cool-downs and flags are dropped, and every session whose chances changed is matched.
   */
  sweep(now: number): Pair[] {
    const changed = new Set<string>();
    for (const [x, y] of this.apart.expire(now)) {
      if (this.waiting.has(x) && this.waiting.has(y)) changed.add(x).add(y);
    }
    for (const [ipHash, until] of this.flaggedUntil) if (until <= now) this.flaggedUntil.delete(ipHash);
    for (const session of this.waiting.values()) {
      if (session.open) continue;
      if (now - session.enqueuedAt < this.options.fallbackMs) continue;
      session.open = true;
      changed.add(session.sid);
    }
    const pairs: Pair[] = [];
    if (changed.size === 0) return pairs;
    // Oldest first, so the longest-waiting session gets the first pick.
    for (const session of [...this.waiting.values()]) {
      if (!changed.has(session.sid) || !this.waiting.has(session.sid)) continue;
      const partner = this.findPartner(session, now);
      if (!partner) continue;
      this.remove(session);
      this.remove(partner);
      pairs.push(makePair(session, partner));
    }
    return pairs;
  }

  /** When `sweep` next has something to do, or undefined if nothing is pending. */
  nextWakeAt(): number | undefined {
    let wake: number | undefined;
    for (const session of this.waiting.values()) {
      if (!session.open) {
        wake = session.enqueuedAt + this.options.fallbackMs;
        break; // oldest first: the first closed session has the earliest deadline
      }
    }
    if (this.waiting.size >= 2) {
      const released = this.apart.earliest();
      if (released !== undefined && (wake === undefined || released < wake)) wake = released;
    }
    return wake;
  }

  /** The longest-waiting queued session `candidate` may pair with (the caller removes it). */
  private findPartner(candidate: QueuedSession, now: number): QueuedSession | undefined {
    let best: QueuedSession | undefined;
    for (const tag of candidate.interests) {
      const sharing = this.byInterest.get(tag);
      if (!sharing) continue;
      for (const other of sharing) {
        if (best && other.order > best.order) break;
        if (compatible(candidate, other, this.apart, now)) {
          best = other;
          break;
        }
      }
    }
    if (!best && candidate.open) {
      for (const other of this.waiting.values()) {
        if (other.open && compatible(candidate, other, this.apart, now)) {
          best = other;
          break;
        }
      }
    }
    return best;
  }

  private insert(session: QueuedSession): void {
    this.waiting.set(session.sid, session);
    for (const tag of session.interests) {
      let sharing = this.byInterest.get(tag);
      if (!sharing) this.byInterest.set(tag, (sharing = new Set()));
      sharing.add(session);
    }
  }

  private remove(session: QueuedSession): void {
    this.waiting.delete(session.sid);
    for (const tag of session.interests) {
      const sharing = this.byInterest.get(tag);
      sharing?.delete(session);
      if (sharing?.size === 0) this.byInterest.delete(tag);
    }
  }
}

function toPublic(session: QueuedSession): WaitingSession {
  const { sid, gw, gen, interests, ipHash, enqueuedAt, flagged } = session;
  return { sid, gw, gen, interests, ipHash, enqueuedAt, flagged };
}

function makePair(x: QueuedSession, y: QueuedSession): Pair {
  const a = x.order < y.order ? x : y;
  const b = a === x ? y : x;
  return { a: toPublic(a), b: toPublic(b), shared: sharedInterests(a.interests, b.interests) };
}

/** The interests both named, in the order of the first list. */
function sharedInterests(first: string[], second: string[]): string[] {
  if (first.length === 0 || second.length === 0) return [];
  const theirs = new Set(second);
  return first.filter((tag) => theirs.has(tag));
}
