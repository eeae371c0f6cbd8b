import { mediaRoleFor } from '@strangers/media';
import { keys, MATCHER_GROUP } from '@strangers/redis';
import type { Pair, WaitingSession } from './pairing.js';
import type { PendingRematch } from './rematch-requests.js';

/** Bound on a gateway's control stream, for gateways that died and no longer trim it. */
const CONTROL_MAX_LENGTH = 100_000;
/** KEYS[2..7] of the commit script (KEYS[1] is the lease); the control streams follow from KEYS[8]. */
const FIXED_KEYS = [keys.matcherEvents, keys.matcherQueue, keys.matcherApart, keys.matcherReports, keys.matcherFlagged, keys.matcherRematch];
const FIRST_CONTROL_KEY = 2 + FIXED_KEYS.length;

/** Keys and arguments of lua/fenced_commit.lua, without the lease (Lease.commit adds it as KEYS[1] and ARGV[1]). Pure data: no I/O here. */
/** Slots per `paired` in the assignments section: KEYS index, to, gen, chat, partner, pgw, interests, lang, media, role, rematch. */
export const ASSIGNMENT_SLOTS = 11;

export interface CommitScript {
  keys: string[];
  args: (string | number)[];
}

/** Pruning of expired pairing memory and of the applied part of the event stream, done with a commit now and then. */
export interface Prune {
  apartBefore: number;
  flaggedBefore: number;
  reportsBefore: number;
}

/**
 * The writes of one batch of events, applied atomically together with the XACK of those
 * events: either the batch's whole effect is stored and the events are acknowledged, or
 * neither, and a redelivery replays the batch against the state as it was.
 *
 * Built straight into the script's flat argument sections (lua/fenced_commit.lua): a pair
 * costs a few array pushes, no intermediate command arrays or JSON.
 */
export class CommitBatch {
  /** sid → its waiting entry (serialized only at commit: most are paired within the batch), or null = removed. */
  private readonly queueWrites = new Map<string, WaitingSession | null>();
  private readonly apart: (string | number)[] = [];
  private readonly reports: (string | number)[] = [];
  /** ipHash → the latest flag end set in this batch (after its last lift, if any). */
  private readonly flagged = new Map<string, number>();
  /** Addresses whose flag was lifted in this batch; stored before `flagged`, so a flag after the lift stands. */
  private readonly unflagged = new Set<string>();
  /** Stored reports forgotten by a lift (members, `ipHash|event id`); removed after `reports` is stored, which may hold some counted earlier in this batch. */
  private readonly forgottenReports: string[] = [];
  /** ASSIGNMENT_SLOTS per `paired` control entry, the first being its control stream's KEYS index. */
  private readonly assignments: (string | number)[] = [];
  /** 3 slots per `rematch_offer` control entry: KEYS index, to, chat. */
  private readonly offers: (string | number)[] = [];
  /** chat → its pending rematch (JSON at commit), or null = forgotten. */
  private readonly rematchWrites = new Map<string, PendingRematch | null>();
  private readonly controlKeys = new Map<string, number>();
  readonly acks: string[] = [];
  /** New pairs (resent assignments not counted). */
  pairCount = 0;

  get empty(): boolean {
    return (
      this.queueWrites.size === 0 &&
      this.apart.length === 0 &&
      this.reports.length === 0 &&
      this.flagged.size === 0 &&
      this.unflagged.size === 0 &&
      this.forgottenReports.length === 0 &&
      this.assignments.length === 0 &&
      this.offers.length === 0 &&
      this.rematchWrites.size === 0 &&
      this.acks.length === 0
    );
  }

  enqueued(session: WaitingSession): void {
    this.queueWrites.set(session.sid, session);
  }

  dequeued(sid: string): void {
    this.queueWrites.set(sid, null);
  }

  keptApart(pair: string, until: number): void {
    this.apart.push(until, pair);
  }

  /** A report counted; `member` is `ipHash|event id`. */
  reported(member: string, at: number): void {
    this.reports.push(at, member);
  }

  flaggedAddress(ipHash: string, until: number): void {
    this.flagged.set(ipHash, Math.max(until, this.flagged.get(ipHash) ?? 0));
  }

  /** The address's flag is lifted, flags earlier in this batch included, and its counted reports (`reports`, their members) forgotten. */
  unflaggedAddress(ipHash: string, reports: readonly string[]): void {
    this.flagged.delete(ipHash);
    this.unflagged.add(ipHash);
    for (const member of reports) this.forgottenReports.push(member);
  }

  paired(pair: Pair, chat: string): void {
    this.dequeued(pair.a.sid);
    this.dequeued(pair.b.sid);
    const interests = JSON.stringify(pair.shared);
    const lang = pair.lang.length === 0 ? '[]' : JSON.stringify(pair.lang);
    this.assign(pair.a, pair.b, pair, chat, interests, lang);
    this.assign(pair.b, pair.a, pair, chat, interests, lang);
    this.pairCount += 1;
  }

  /** Sends an earlier assignment again, to `to` only, now on gateway `gw` (it moved there). */
  resend(pair: Pair, chat: string, to: string, gw: string): void {
    const [self, partner] = pair.a.sid === to ? [pair.a, pair.b] : [pair.b, pair.a];
    this.assign({ sid: self.sid, gen: self.gen, gw }, partner, pair, chat, JSON.stringify(pair.shared), JSON.stringify(pair.lang));
  }

  /** A `rematch_offer` for `to` on gateway `gw`: the stranger of `chat` asked to reconnect. */
  offered(to: string, gw: string, chat: string): void {
    this.offers.push(FIRST_CONTROL_KEY + this.controlKey(gw), to, chat);
  }

  rematchSaved(pending: PendingRematch): void {
    this.rematchWrites.set(pending.chat, pending);
  }

  rematchForgotten(chat: string): void {
    this.rematchWrites.set(chat, null);
  }

  /** A `paired` control entry for `self` on its gateway's control stream. */
  private assign(self: { sid: string; gen: number; gw: string }, partner: WaitingSession, pair: Pair, chat: string, interests: string, lang: string): void {
    const media = pair.a.media;
    // Who sends the WebRTC offer: the function the gateways and clients agree on (packages/media).
    const role = media === 'text' ? '' : mediaRoleFor(chat, self.sid, partner.sid);
    this.assignments.push(FIRST_CONTROL_KEY + this.controlKey(self.gw), self.sid, self.gen, chat, partner.sid, partner.gw, interests, lang, media, role, pair.rematch ? '1' : '0');
  }

  private controlKey(gw: string): number {
    let index = this.controlKeys.get(gw);
    if (index === undefined) this.controlKeys.set(gw, (index = this.controlKeys.size));
    return index;
  }

  /** The batch as the commit script's keys and arguments; `trimTo` is the event stream's new MINID, if any. */
  toScript(prune: Prune | undefined, trimTo: string | undefined): CommitScript {
    const scriptKeys: string[] = [...FIXED_KEYS];
    for (const gw of this.controlKeys.keys()) scriptKeys.push(keys.gatewayControl(gw));

    const removed: string[] = [];
    const queued: string[] = [];
    for (const [sid, session] of this.queueWrites) {
      if (session === null) removed.push(sid);
      else queued.push(sid, JSON.stringify(session));
    }
    const rematchRemoved: string[] = [];
    const rematchStored: string[] = [];
    for (const [chat, pending] of this.rematchWrites) {
      if (pending === null) rematchRemoved.push(chat);
      else rematchStored.push(chat, JSON.stringify(pending));
    }
    const flagged: (string | number)[] = [];
    for (const [ipHash, until] of this.flagged) flagged.push(until, ipHash);
    const args: (string | number)[] = [MATCHER_GROUP, CONTROL_MAX_LENGTH];
    const sections = [
      this.acks,
      removed,
      queued,
      this.apart,
      this.reports,
      this.forgottenReports,
      [...this.unflagged],
      flagged,
      this.assignments,
      this.offers,
      rematchRemoved,
      rematchStored,
    ];
    for (const section of sections) {
      args.push(section.length);
      for (const item of section) args.push(item);
    }
    if (prune) args.push('1', prune.apartBefore, prune.flaggedBefore, prune.reportsBefore);
    else args.push('0');
    args.push(trimTo ?? '');
    return { keys: scriptKeys, args };
  }
}
