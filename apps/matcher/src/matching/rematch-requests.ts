import type { AgeGroup, MediaKind } from './compatibility.js';

/** One side's `rematch`: put me back with the stranger of that ended chat. */
export interface RematchRequest {
  sid: string;
  /** The gateway the session asked on. */
  gw: string;
  /** The session's join generation as last known: what its gateway checks a `paired` against. */
  gen: number;
  age: AgeGroup;
  media: MediaKind;
}

/** The rematch of one ended chat, as `{m}:rematch` stores it (JSON under the chat id). */
export interface PendingRematch {
  chat: string;
  /** The end of the rematch window (ms), set by the gateway from when the chat ended. */
  until: number;
  requests: RematchRequest[];
  /** Both asked and were paired, or it was refused: nothing more happens for this chat. */
  done: boolean;
}

export type RematchOutcome =
  | { kind: 'refused'; pending?: PendingRematch }
  /** The first side asked: the other gets an offer. */
  | { kind: 'offered'; pending: PendingRematch }
  /** Both have asked: `first` is the side that asked earlier. */
  | { kind: 'matched'; pending: PendingRematch; first: RematchRequest };

/**
 * Pending rematches by ended chat (pure: the matching state stores what changes). One offer
 * per ended chat: a side asking again changes nothing, and once the two are paired (or
 * refused) the chat is done until its window ends.
 */
export class RematchBook {
  private readonly byChat = new Map<string, PendingRematch>();
  /** Session → the chats it has an open request in (for its gen, and to void them when it is paired). */
  private readonly chatsBySession = new Map<string, Set<string>>();

  get size(): number {
    return this.byChat.size;
  }

  entries(): PendingRematch[] {
    return [...this.byChat.values()];
  }

  /** Replaces the book with what Redis holds; returns the chats whose window is over (to forget). */
  restore(pending: readonly PendingRematch[], now: number): string[] {
    this.byChat.clear();
    this.chatsBySession.clear();
    const expired: string[] = [];
    for (const entry of pending) {
      if (entry.until <= now) {
        expired.push(entry.chat);
        continue;
      }
      this.byChat.set(entry.chat, entry);
      if (!entry.done) for (const request of entry.requests) this.index(request.sid, entry.chat);
    }
    return expired;
  }

  ask(chat: string, partner: string, until: number, request: RematchRequest, now: number): RematchOutcome {
    if (until <= now) return { kind: 'refused' };
    let pending = this.byChat.get(chat);
    if (pending?.done || pending?.requests.some((asked) => asked.sid === request.sid)) return { kind: 'refused' };
    if (!pending) this.byChat.set(chat, (pending = { chat, until, requests: [], done: false }));
    const first = pending.requests.find((asked) => asked.sid === partner);
    if (!first) {
      pending.requests.push(request);
      this.index(request.sid, chat);
      return { kind: 'offered', pending };
    }
    pending.requests.push(request);
    this.close(pending);
    return { kind: 'matched', pending, first };
  }

  /** Closes a chat's rematch without a pairing (a block between the two). */
  refuse(pending: PendingRematch): void {
    this.close(pending);
  }

  /** The session joined again: a rematch pairing must carry its new gen. Returns the chats changed. */
  joined(sid: string, gen: number): PendingRematch[] {
    const chats = this.chatsBySession.get(sid);
    if (!chats) return [];
    const changed: PendingRematch[] = [];
    for (const chat of chats) {
      const pending = this.byChat.get(chat);
      const request = pending?.requests.find((asked) => asked.sid === sid);
      if (!pending || !request || request.gen >= gen) continue;
      request.gen = gen;
      changed.push(pending);
    }
    return changed;
  }

  /** The session was paired with someone else: its open requests are void. Returns the chats changed. */
  paired(sid: string): PendingRematch[] {
    const chats = this.chatsBySession.get(sid);
    if (!chats) return [];
    this.chatsBySession.delete(sid);
    const changed: PendingRematch[] = [];
    for (const chat of chats) {
      const pending = this.byChat.get(chat);
      if (!pending) continue;
      pending.requests = pending.requests.filter((asked) => asked.sid !== sid);
      changed.push(pending);
    }
    return changed;
  }

  /** Forgets the chats whose window is over; returns their ids. */
  expire(now: number): string[] {
    const expired: string[] = [];
    for (const [chat, pending] of this.byChat) {
      if (pending.until > now) continue;
      this.close(pending);
      this.byChat.delete(chat);
      expired.push(chat);
    }
    return expired;
  }

  private close(pending: PendingRematch): void {
    pending.done = true;
    for (const { sid } of pending.requests) {
      const chats = this.chatsBySession.get(sid);
      chats?.delete(pending.chat);
      if (chats?.size === 0) this.chatsBySession.delete(sid);
    }
  }

  private index(sid: string, chat: string): void {
    let chats = this.chatsBySession.get(sid);
    if (!chats) this.chatsBySession.set(sid, (chats = new Set()));
    chats.add(chat);
  }
}
