import { groupKey, interestsOpen, languageOpen, shared, type AgeGroup, type MediaKind, type Widening } from './compatibility.js';
import { KeptApart, pairKey, splitPairKey } from './kept-apart.js';
import { GroupIndex, Lane, unlist, type Listing } from './queue-index.js';

export { pairKey, splitPairKey };

/**
 * The pure pairing logic: no I/O, no clock of its own (every call gets `now`), so it can
 * be tested exhaustively with generated operation sequences. The rules are compatibility.ts's;
 * this keeps the queue and finds, for a session, the partner those rules give it.
 * Invariant after every call: no two waiting (unparked) sessions could be paired.
 */

export interface WaitingSession {
  sid: string;
  gw: string;
  gen: number;
  interests: string[];
  ipHash: string;
  enqueuedAt: number;
  flagged: boolean;
  lang: string[];
  langStrict: boolean;
  age: AgeGroup;
  media: MediaKind;
  /** Its socket dropped while waiting: it keeps its place but is not paired until it resumes. */
  parked: boolean;
}

export interface Pair {
  /** The older of the two (it waited longer). */
  a: WaitingSession;
  b: WaitingSession;
  /** Interests both named (may be empty). */
  shared: string[];
  /** Languages both named (may be empty). */
  lang: string[];
  /** Put back together by a rematch of their ended chat (both asked). */
  rematch?: boolean;
}

export type PairingOptions = Widening;

export type JoinOutcome =
  | { kind: 'paired'; pair: Pair }
  | { kind: 'queued'; entry: WaitingSession }
  /** The same join again (the session resumed, maybe on another gateway): place kept, unparked. */
  | { kind: 'moved'; entry: WaitingSession }
  | { kind: 'ignored' };

/** What a flag or its lift did to the queue: the sessions that changed pool (as they are now), and the pairs that made. */
export interface Regrouped {
  moved: WaitingSession[];
  pairs: Pair[];
}

interface QueuedSession extends WaitingSession {
  /** Monotonic position in the queue; ties in `enqueuedAt` never reorder sessions. */
  order: number;
  interestsOpen: boolean;
  languageOpen: boolean;
  group: GroupIndex<QueuedSession>;
  listings: Listing<QueuedSession>[];
}

export class PairingQueue {
  /** Oldest first: Map iteration follows insertion order. */
  private readonly waiting = new Map<string, QueuedSession>();
  private readonly groups = new Map<string, GroupIndex<QueuedSession>>();
  /** Sessions still waiting for a shared interest / language, oldest first (they open in this order). */
  private readonly interestsClosed = new Set<QueuedSession>();
  private readonly languageClosed = new Set<QueuedSession>();
  private readonly apart = new KeptApart();
  /** hashed address → until (ms): flagged (reported often, shadow-banned, an automatic abuse action), only matched with each other. */
  private readonly flaggedUntil = new Map<string, number>();
  private nextOrder = 0;

  constructor(private readonly options: PairingOptions) {}

  get size(): number {
    return this.waiting.size;
  }

  has(sid: string): boolean {
    return this.waiting.has(sid);
  }

  get(sid: string): WaitingSession | undefined {
    const session = this.waiting.get(sid);
    return session && toPublic(session);
  }

  /** Waiting sessions, longest-waiting first. */
  entries(): WaitingSession[] {
    return [...this.waiting.values()].map(toPublic);
  }

  isFlagged(ipHash: string, now: number): boolean {
    return ipHash !== '' && (this.flaggedUntil.get(ipHash) ?? 0) > now;
  }

  /**
   * Flags an address until `until` (the latest end is kept): its joins go to the flagged pool,
   * and so do its sessions already waiting, at their place in the queue.
   */
  flag(ipHash: string, until: number, now: number): Regrouped {
    this.flaggedUntil.set(ipHash, Math.max(until, this.flaggedUntil.get(ipHash) ?? 0));
    return this.isFlagged(ipHash, now) ? this.regroup(ipHash, true, now) : { moved: [], pairs: [] };
  }

  /** The flag goes at once (a moderator lifted the shadow ban): the address's waiting sessions rejoin the ordinary pool at their place. */
  unflag(ipHash: string, now: number): Regrouped {
    this.flaggedUntil.delete(ipHash);
    return this.regroup(ipHash, false, now);
  }

  /** Keeps two sessions from being paired until `until` (cool-down or report block). */
  keepApart(x: string, y: string, until: number): void {
    this.apart.keep(x, y, until);
  }

  /** Until when two sessions are kept apart (0: they are not). */
  apartUntil(x: string, y: string): number {
    return this.apart.until(x, y);
  }

  /**
   * A session enters the queue. A join older than the one already queued for the session is
   * ignored; the same join again (its session resumed) unparks it and, from another gateway,
   * moves it, keeping its place; a newer one replaces it at the back.
   */
  join(session: WaitingSession, now: number): JoinOutcome {
    const existing = this.waiting.get(session.sid);
    if (existing) {
      if (existing.gen > session.gen) return { kind: 'ignored' };
      if (existing.gen === session.gen) return this.rejoin(existing, session.gw, now);
      this.remove(existing);
    }
    const queued = this.enter(session, now);
    const partner = queued.parked ? undefined : this.findPartner(queued, now);
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

  /** Its socket dropped: keeps the session's place but pairs it with nobody until its join comes again. */
  park(sid: string, gen: number): WaitingSession | undefined {
    const existing = this.waiting.get(sid);
    if (!existing || existing.gen !== gen || existing.parked) return undefined;
    existing.parked = true;
    return toPublic(existing);
  }

  /**
   * Applies the passage of time: sessions whose preference waits ran out become open, expired
   * cool-downs and flags are dropped, and every session whose chances changed is matched.
   */
  sweep(now: number): Pair[] {
    const changed = new Set<QueuedSession>();
    for (const [x, y] of this.apart.expire(now)) {
      const first = this.waiting.get(x);
      const second = this.waiting.get(y);
      if (first && second) changed.add(first).add(second);
    }
    for (const [ipHash, until] of this.flaggedUntil) if (until <= now) this.flaggedUntil.delete(ipHash);
    for (const session of this.interestsClosed) {
      if (now - session.enqueuedAt < this.options.interestFallbackMs) break; // the rest opens later
      this.interestsClosed.delete(session);
      this.open(session, Lane.interestsOpened);
      changed.add(session);
    }
    for (const session of this.languageClosed) {
      if (now - session.enqueuedAt < this.options.langFallbackMs) break;
      this.languageClosed.delete(session);
      this.open(session, Lane.languageOpened);
      changed.add(session);
    }
    return this.matchChanged(changed, now);
  }

  /** Matches the sessions whose chances changed, oldest first, so the longest-waiting gets the first pick. */
  private matchChanged(changed: Iterable<QueuedSession>, now: number): Pair[] {
    const pairs: Pair[] = [];
    for (const session of [...changed].sort((x, y) => x.order - y.order)) {
      if (session.parked || this.waiting.get(session.sid) !== session) continue;
      const partner = this.findPartner(session, now);
      if (!partner) continue;
      this.remove(session);
      this.remove(partner);
      pairs.push(makePair(session, partner));
    }
    return pairs;
  }

  /** Moves the waiting sessions of an address to the pool of `flagged`, keeping their places, and matches them there. */
  private regroup(ipHash: string, flagged: boolean, now: number): Regrouped {
    if (ipHash === '') return { moved: [], pairs: [] };
    // A scan of the queue: flags and lifts are rare beside joins, which an index by address would slow.
    const moved: QueuedSession[] = [];
    for (const session of this.waiting.values()) if (session.ipHash === ipHash && session.flagged !== flagged) moved.push(session);
    for (const session of moved) {
      unlist(session, session.listings);
      this.leaveGroup(session);
      session.flagged = flagged;
      session.group = this.groupOf(session);
      session.group.size += 1;
      this.list(session, undefined);
    }
    return { moved: moved.map(toPublic), pairs: this.matchChanged(moved, now) };
  }

  /** When `sweep` next has something to do, or undefined if nothing is pending. */
  nextWakeAt(): number | undefined {
    let wake: number | undefined;
    const consider = (at: number | undefined) => {
      if (at !== undefined && (wake === undefined || at < wake)) wake = at;
    };
    for (const session of this.interestsClosed) {
      consider(session.enqueuedAt + this.options.interestFallbackMs);
      break; // oldest first: the earliest deadline
    }
    for (const session of this.languageClosed) {
      consider(session.enqueuedAt + this.options.langFallbackMs);
      break;
    }
    if (this.waiting.size >= 2) consider(this.apart.earliest());
    return wake;
  }

  /** The same join again: unparked, moved to `gw`; matched if it was parked (its chances changed). */
  private rejoin(existing: QueuedSession, gw: string, now: number): JoinOutcome {
    if (existing.gw === gw && !existing.parked) return { kind: 'ignored' };
    existing.gw = gw;
    if (existing.parked) {
      existing.parked = false;
      const partner = this.findPartner(existing, now);
      if (partner) {
        this.remove(existing);
        this.remove(partner);
        return { kind: 'paired', pair: makePair(existing, partner) };
      }
    }
    return { kind: 'moved', entry: toPublic(existing) };
  }

  /**
   * The oldest session `candidate` may take, by the order of compatibility.ts: sharing a
   * language (and an interest, first), else, when it is open on language, sharing an
   * interest, else anyone open on both. The group holds only sessions of its media, age and
   * flag; the lists only sessions whose preferences allow the pairing; the test left is the
   * rest of the hard constraints.
   */
  private findPartner(candidate: QueuedSession, now: number): QueuedSession | undefined {
    // Its own group (looked up once, when it entered): only sessions of its media, age and flag.
    const group = candidate.group;
    if (group.size === 0) return undefined;
    const accept = (other: QueuedSession) => other !== candidate && !other.parked && !this.apart.has(candidate.sid, other.sid, now);
    let best: QueuedSession | undefined;
    const { lang, interests } = candidate;
    for (const code of lang) for (const tag of interests) best = group.byLanguageInterest.oldest(`${code}|${tag}`, accept, best) ?? best;
    if (best) return best;
    if (candidate.interestsOpen) for (const code of lang) best = group.byLanguageInterestsOpen.oldest(code, accept, best) ?? best;
    if (best || !candidate.languageOpen) return best;
    for (const tag of interests) best = group.byInterestLanguageOpen.oldest(tag, accept, best) ?? best;
    if (best || !candidate.interestsOpen) return best;
    return group.open.oldest('', accept, undefined);
  }

  private groupOf(session: Pick<WaitingSession, 'media' | 'age' | 'flagged'>): GroupIndex<QueuedSession> {
    const key = groupKey(session);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new GroupIndex()));
    return group;
  }

  private enter(session: WaitingSession, now: number): QueuedSession {
    const group = this.groupOf(session);
    // Spelled out, not spread: this runs for every join.
    return {
      sid: session.sid,
      gw: session.gw,
      gen: session.gen,
      interests: session.interests,
      ipHash: session.ipHash,
      enqueuedAt: session.enqueuedAt,
      flagged: session.flagged,
      lang: session.lang,
      langStrict: session.langStrict,
      age: session.age,
      media: session.media,
      parked: session.parked,
      order: this.nextOrder++,
      interestsOpen: interestsOpen(session, now, this.options),
      languageOpen: languageOpen(session, now, this.options),
      group,
      listings: [],
    };
  }

  private insert(session: QueuedSession): void {
    this.waiting.set(session.sid, session);
    session.group.size += 1;
    this.list(session, Lane.joined);
    if (!session.interestsOpen) this.interestsClosed.add(session);
    if (!session.languageOpen && !session.langStrict) this.languageClosed.add(session);
  }

  /** Lists a session in every list of its group that its preferences allow now; no lane: at its place in queue order (it moved here). */
  private list(session: QueuedSession, lane: Lane | undefined): void {
    const { group, listings, lang, interests } = session;
    for (const code of lang) for (const tag of interests) group.byLanguageInterest.add(`${code}|${tag}`, session, lane, listings);
    if (session.interestsOpen) this.listInterestsOpen(session, lane);
    if (session.languageOpen) this.listLanguageOpen(session, lane);
    if (session.interestsOpen && session.languageOpen) group.open.add('', session, lane, listings);
  }

  /** A preference wait of a queued session ended. */
  private open(session: QueuedSession, lane: Lane): void {
    if (lane === Lane.interestsOpened) {
      session.interestsOpen = true;
      this.listInterestsOpen(session, lane);
    } else {
      session.languageOpen = true;
      this.listLanguageOpen(session, lane);
    }
    if (session.interestsOpen && session.languageOpen) session.group.open.add('', session, lane, session.listings);
  }

  private listInterestsOpen(session: QueuedSession, lane: Lane | undefined): void {
    for (const code of session.lang) session.group.byLanguageInterestsOpen.add(code, session, lane, session.listings);
  }

  private listLanguageOpen(session: QueuedSession, lane: Lane | undefined): void {
    for (const tag of session.interests) session.group.byInterestLanguageOpen.add(tag, session, lane, session.listings);
  }

  private remove(session: QueuedSession): void {
    if (this.waiting.get(session.sid) !== session) return; // a joiner paired at once was never inserted
    this.waiting.delete(session.sid);
    this.interestsClosed.delete(session);
    this.languageClosed.delete(session);
    unlist(session, session.listings);
    this.leaveGroup(session);
  }

  private leaveGroup(session: QueuedSession): void {
    session.group.size -= 1;
    if (session.group.size === 0) this.groups.delete(groupKey(session));
  }
}

function toPublic(session: QueuedSession): WaitingSession {
  const { sid, gw, gen, interests, ipHash, enqueuedAt, flagged, lang, langStrict, age, media, parked } = session;
  return { sid, gw, gen, interests, ipHash, enqueuedAt, flagged, lang, langStrict, age, media, parked };
}

function makePair(x: QueuedSession, y: QueuedSession): Pair {
  const a = x.order < y.order ? x : y;
  const b = a === x ? y : x;
  return { a: toPublic(a), b: toPublic(b), shared: shared(a.interests, b.interests), lang: shared(a.lang, b.lang) };
}
