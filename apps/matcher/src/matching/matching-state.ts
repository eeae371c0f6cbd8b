import type { JoinEvent, MatcherEvent, RematchEvent } from '@strangers/redis';
import { CommitBatch } from './commit-batch.js';
import { PairingQueue, pairKey, splitPairKey, type JoinOutcome, type Pair, type Regrouped, type WaitingSession } from './pairing.js';
import { RematchBook, type PendingRematch, type RematchRequest } from './rematch-requests.js';

/** Pairing policy and report handling (MatcherConfig.matching). */
export interface MatchingSettings {
  /** A joiner with interests waits this long for a shared one before taking anyone. */
  interestFallbackMs: number;
  /** A joiner naming languages waits this long for a shared one before taking anyone (unless strict). */
  langFallbackMs: number;
  /** `strict`: every session naming languages only meets one sharing a language (LANG_MATCH). */
  langMatch: 'prefer' | 'strict';
  /** Two sessions that parted with `next` are not paired again for this long. */
  nextCooldownMs: number;
  /** How long a report keeps the two sessions apart. */
  reportBlockMs: number;
  /** How long an assignment is remembered for a session that resumes elsewhere (above the gateways' RESUME_GRACE_MS). */
  recentPairTtlMs: number;
  /** `threshold` reports against one address within `windowMs` flag it for `flagMs`. */
  reports: { threshold: number; windowMs: number; flagMs: number };
}

/** Everything the matcher keeps in Redis, as read back when it (re)starts (store/durable-state.ts). */
export interface DurableState {
  /** Longest-waiting first. */
  queue: WaitingSession[];
  apart: { pair: string; until: number }[];
  /** `member` as stored: `ipHash|event id`. */
  reports: { ipHash: string; at: number; member: string }[];
  flagged: { ipHash: string; until: number }[];
  rematches: PendingRematch[];
}

/** A stream entry as read: its id and its event (undefined: deleted while pending, or malformed). */
export interface ReadEvent {
  id: string;
  event: MatcherEvent | undefined;
}

/** Told of what the state decided, for metrics and logs; the state itself does no I/O. */
export interface MatchingObserver {
  paired?(pair: Pair, now: number): void;
  flagged?(ipHash: string, reports: number): void;
  /** A moderator lifted the address's shadow ban: its flag and counted reports are gone. */
  unflagged?(ipHash: string): void;
}

/** A report counted against an address: when, and its member in the stored reports. */
interface CountedReport {
  at: number;
  member: string;
}

/** An assignment kept for a while, under both of its sessions. */
interface RecentPair {
  at: number;
  pair: Pair;
  chat: string;
}

/**
 * The matcher's whole in-memory state and its rules: the queue (pairing.ts), recent pairs
 * and report counts. Pure: events and `now` in, a CommitBatch (the writes to store) out; no
 * I/O, no clock, chat ids from the function it is given. The consumer stores each batch with
 * one fenced commit; if a commit fails it restores the state from Redis (`restore`).
 */
export class MatchingState {
  private queue: PairingQueue;
  private readonly reportsByAddress = new Map<string, CountedReport[]>();
  /**
   * Recent assignments by session: a session that resumed on another gateway re-sends its
   * join (same gen); if it was paired meanwhile, the assignment is sent again to where it is.
   * Kept across restores: the durable state does not hold them.
   */
  private readonly recentPairs = new Map<string, RecentPair>();
  private rematches = new RematchBook();
  /** Joins applied, and joins or queued sessions dropped as ghosts (read by the metrics). */
  readonly counters = { joins: 0, ghosts: 0 };

  constructor(
    private readonly settings: MatchingSettings,
    private readonly newChatId: () => string,
    private readonly observer: MatchingObserver = {},
  ) {
    this.queue = this.newQueue();
  }

  private newQueue(): PairingQueue {
    return new PairingQueue({ interestFallbackMs: this.settings.interestFallbackMs, langFallbackMs: this.settings.langFallbackMs });
  }

  get size(): number {
    return this.queue.size;
  }

  /** Waiting sessions, longest-waiting first. */
  waiting(): WaitingSession[] {
    return this.queue.entries();
  }

  /** When time alone next changes something (a fallback wait ends, a pair is released). */
  nextWakeAt(): number | undefined {
    return this.queue.nextWakeAt();
  }

  /**
   * Replaces the queue and report memory with what Redis holds; `live[i]` says whether
   * `durable.queue[i]` is still waiting (undefined: the ghost check is off). Returns the
   * writes that brings (ghosts dropped, pairs that became possible meanwhile).
   */
  restore(durable: DurableState, live: boolean[] | undefined, now: number): CommitBatch {
    this.queue = this.newQueue();
    this.rematches = new RematchBook();
    const expiredRematches = this.rematches.restore(durable.rematches, now);
    this.reportsByAddress.clear();
    for (const { pair, until } of durable.apart) {
      this.queue.keepApart(...splitPairKey(pair), until);
    }
    // The queue is empty yet: nothing moves.
    for (const { ipHash, until } of durable.flagged) this.queue.flag(ipHash, until, now);
    for (const { ipHash, at, member } of durable.reports) this.recordReport(ipHash, { at, member }, now);
    const batch = new CommitBatch();
    for (const chat of expiredRematches) batch.rematchForgotten(chat);
    durable.queue.forEach((session, i) => {
      if (live === undefined || live[i]) this.applyJoinOutcome(this.queue.join(session, now), batch, now);
      else batch.dequeued(session.sid);
    });
    for (const pair of this.queue.sweep(now)) this.recordPair(pair, batch, now);
    return batch;
  }

  /**
   * Applies a batch of events read from the stream, in order, then the passage of time. Every
   * id is acknowledged in the batch. `live` has one entry per join of the batch: false for a
   * join whose session no longer waits with that gen (a ghost); undefined: the check is off.
   */
  applyEvents(events: readonly ReadEvent[], live: readonly boolean[] | undefined, now: number): CommitBatch {
    const batch = new CommitBatch();
    let join = 0;
    for (const { id, event } of events) {
      if (event) this.apply(event, id, now, batch, event.t !== 'join' || live === undefined || live[join++]!);
      batch.acks.push(id);
    }
    for (const pair of this.queue.sweep(now)) this.recordPair(pair, batch, now);
    this.pruneRecentPairs(now);
    for (const chat of this.rematches.expire(now)) batch.rematchForgotten(chat);
    return batch;
  }

  /** Drops the waiting sessions found gone (`live[i]` for `sessions[i]`, as `waiting()` listed them). */
  dropGhosts(sessions: readonly WaitingSession[], live: readonly boolean[]): CommitBatch {
    const batch = new CommitBatch();
    sessions.forEach((session, i) => {
      if (live[i] || !this.queue.cancel(session.sid, session.gen)) return;
      this.counters.ghosts += 1;
      batch.dequeued(session.sid);
    });
    return batch;
  }

  private apply(event: MatcherEvent, id: string, now: number, batch: CommitBatch, live: boolean): void {
    switch (event.t) {
      case 'join':
        this.join(event, now, batch, live);
        return;
      case 'cancel':
        if (this.queue.cancel(event.sid, event.gen)) batch.dequeued(event.sid);
        return;
      case 'park': {
        const parked = this.queue.park(event.sid, event.gen);
        if (parked) batch.enqueued(parked);
        return;
      }
      case 'rematch':
        this.rematch(event, now, batch);
        return;
      case 'reported':
        this.reported(event.ipHash, id, now, batch);
        return;
      case 'flag':
        // A shadow ban or a gateway's automatic abuse action: the address goes to the flagged pool.
        this.flag(event.ipHash, event.until, now, batch);
        return;
      case 'unflag':
        this.unflag(event.ipHash, now, batch);
        return;
    }
  }

  private join(event: JoinEvent, now: number, batch: CommitBatch, live: boolean): void {
    this.counters.joins += 1;
    if (event.avoid) {
      const until = now + (event.block ? this.settings.reportBlockMs : this.settings.nextCooldownMs);
      this.queue.keepApart(event.sid, event.avoid, until);
      batch.keptApart(pairKey(event.sid, event.avoid), until);
    }
    const recent = this.recentPairs.get(event.sid);
    if (recent && (recent.pair.a.sid === event.sid ? recent.pair.a : recent.pair.b).gen === event.gen) {
      batch.resend(recent.pair, recent.chat, event.sid, event.gw);
      return;
    }
    if (!live) {
      this.counters.ghosts += 1;
      return;
    }
    for (const pending of this.rematches.joined(event.sid, event.gen)) batch.rematchSaved(pending);
    const session: WaitingSession = {
      sid: event.sid,
      gw: event.gw,
      gen: event.gen,
      interests: event.interests,
      ipHash: event.ipHash,
      enqueuedAt: now,
      flagged: this.queue.isFlagged(event.ipHash, now),
      lang: event.lang,
      langStrict: event.lang.length > 0 && (event.strict || this.settings.langMatch === 'strict'),
      age: event.age,
      media: event.media,
      parked: false,
    };
    this.applyJoinOutcome(this.queue.join(session, now), batch, now);
  }

  /**
   * One side asks to be put back with the stranger of an ended chat (the gateway checked the
   * chat, its end reason and the window). The first ask sends the other an offer; the second
   * pairs them, wherever they wait, unless a report keeps them apart.
   */
  private rematch(event: RematchEvent, now: number, batch: CommitBatch): void {
    const queued = this.queue.get(event.sid);
    const request: RematchRequest = { sid: event.sid, gw: event.gw, gen: Math.max(event.gen, queued?.gen ?? 0), age: event.age, media: event.media };
    const outcome = this.rematches.ask(event.chat, event.partner, event.until, request, now);
    if (outcome.kind === 'refused') return;
    const { pending } = outcome;
    // A report block outlasts any `next` cool-down: the two never meet again.
    const blocked = this.queue.apartUntil(event.sid, event.partner) > now + this.settings.nextCooldownMs;
    if (outcome.kind === 'offered' && !blocked) {
      batch.offered(event.partner, event.pgw, event.chat);
    } else if (outcome.kind === 'matched' && !blocked && outcome.first.age === request.age && outcome.first.media === request.media) {
      const first = this.rematchSide(outcome.first, now);
      const second = this.rematchSide(request, now);
      this.recordPair({ a: first, b: second, shared: [], lang: [], rematch: true }, batch, now);
    } else {
      this.rematches.refuse(pending);
    }
    batch.rematchSaved(pending);
  }

  /** A side of a rematch as a waiting session: taken out of the queue if it waits there, with its current gen. */
  private rematchSide(request: RematchRequest, now: number): WaitingSession {
    const queued = this.queue.get(request.sid);
    if (queued && queued.gen >= request.gen) {
      this.queue.cancel(queued.sid, queued.gen);
      return { ...queued, age: request.age, media: request.media, parked: false };
    }
    return {
      sid: request.sid,
      gw: request.gw,
      gen: request.gen,
      interests: [],
      ipHash: '',
      enqueuedAt: now,
      flagged: false,
      lang: [],
      langStrict: false,
      age: request.age,
      media: request.media,
      parked: false,
    };
  }

  private reported(ipHash: string, id: string, now: number, batch: CommitBatch): void {
    if (!ipHash) return;
    const member = `${ipHash}|${id}`;
    batch.reported(member, now);
    const count = this.recordReport(ipHash, { at: now, member }, now);
    if (count < this.settings.reports.threshold) return;
    this.flag(ipHash, now + this.settings.reports.flagMs, now, batch);
    this.observer.flagged?.(ipHash, count);
  }

  /** The address's joins go to the flagged pool until `until`, and so do its sessions already waiting. */
  private flag(ipHash: string, until: number, now: number, batch: CommitBatch): void {
    batch.flaggedAddress(ipHash, until);
    this.applyRegrouped(this.queue.flag(ipHash, until, now), batch, now);
  }

  /**
   * A moderator lifted the address's shadow ban. The rule (docs/moderation.md): a person
   * decided, so the flag goes entirely, whoever set it (the shadow ban, a gateway's automatic
   * action, this matcher's report count), and so do the reports counted against the address;
   * its waiting sessions rejoin the ordinary pool at their place.
   */
  private unflag(ipHash: string, now: number, batch: CommitBatch): void {
    const reports = this.reportsByAddress.get(ipHash) ?? [];
    this.reportsByAddress.delete(ipHash);
    batch.unflaggedAddress(ipHash, reports.map((report) => report.member));
    this.applyRegrouped(this.queue.unflag(ipHash, now), batch, now);
    this.observer.unflagged?.(ipHash);
  }

  /** Sessions that changed pool are stored again (their `flagged` changed); then the pairs that made. */
  private applyRegrouped({ moved, pairs }: Regrouped, batch: CommitBatch, now: number): void {
    for (const session of moved) batch.enqueued(session);
    for (const pair of pairs) this.recordPair(pair, batch, now);
  }

  private applyJoinOutcome(outcome: JoinOutcome, batch: CommitBatch, now: number): void {
    if (outcome.kind === 'queued' || outcome.kind === 'moved') batch.enqueued(outcome.entry);
    else if (outcome.kind === 'paired') this.recordPair(outcome.pair, batch, now);
  }

  private recordPair(pair: Pair, batch: CommitBatch, now: number): void {
    const chat = this.newChatId();
    batch.paired(pair, chat);
    // Paired now: rematch requests they still had open are void.
    for (const pending of this.rematches.paired(pair.a.sid)) batch.rematchSaved(pending);
    for (const pending of this.rematches.paired(pair.b.sid)) batch.rematchSaved(pending);
    this.observer.paired?.(pair, now);
    const recent: RecentPair = { at: now, pair, chat };
    // Deleted first, so the map's order stays time order (pruneRecentPairs relies on it).
    this.recentPairs.delete(pair.a.sid);
    this.recentPairs.delete(pair.b.sid);
    this.recentPairs.set(pair.a.sid, recent);
    this.recentPairs.set(pair.b.sid, recent);
  }

  /** Forgets assignments older than the longest a resume can take. */
  private pruneRecentPairs(now: number): void {
    for (const [sid, recent] of this.recentPairs) {
      if (now - recent.at > this.settings.recentPairTtlMs) this.recentPairs.delete(sid);
      else break; // insertion order is time order
    }
  }

  /** Counts a report within the window ending `now`; returns how many the address has. */
  private recordReport(ipHash: string, report: CountedReport, now: number): number {
    const since = now - this.settings.reports.windowMs;
    const reports = (this.reportsByAddress.get(ipHash) ?? []).filter((counted) => counted.at > since);
    reports.push(report);
    this.reportsByAddress.set(ipHash, reports);
    return reports.length;
  }
}
