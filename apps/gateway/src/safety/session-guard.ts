import type { Logger } from '@strangers/config';
import { ErrorCode, isFrameValidIn, type ClientFrame, type MessageFrame, type ServerFrame } from '@strangers/protocol';
import { proofRequiredMessage, type AbuseSignal, type Challenge, type PowSessionState } from '@strangers/safety';
import type { Session } from '../chat/session.js';
import type { GatewaySafety } from './gateway-safety.js';
import type { DecisionContext } from './moderation-queue.js';

/** What a guard needs of its session's connection (chat/connection.ts). */
export interface GuardedSession {
  readonly session: Session;
  /** Applies a frame that passed the guard (the session machine's `onFrame`). */
  runFrame(frame: ClientFrame): void;
  send(frame: ServerFrame): void;
  readonly log: Logger;
}

/** What the guard knows of the current chat, for the filters' "young chat" and the hook's `index`. */
interface ChatCount {
  id: string;
  startedAt: number;
  /** The partner seq last seen delivered, and this client's messages passed since. */
  deliveredSeen: number;
  ownSince: number;
}

/**
 * One session's abuse prevention, between its decoded frames and its state machine:
 * - `join`/`next` owe a proof of work when the gate says so (refused: `error proof_required`
 *   then a `challenge`; the session stays where it is); a burst of `next` asks a harder one;
 * - a `message` passes the content filters (refused: `error blocked` with its `id`, neither
 *   stored nor delivered), then the moderation hook when one is configured;
 * - the abuse signals of its address are reported as they happen.
 *
 * A frame that needs an answer from elsewhere (a proof checked in Redis, the hook's verdict)
 * holds the session's later frames behind it (a per-session chain), so frames still take
 * effect, and messages are stored and acked, in the order the client sent them; other
 * sessions never wait. The chain is bounded by the rate limit times the hook's timeout.
 */
export class SessionGuard {
  private readonly pow: PowSessionState;
  private chain: Promise<void> | undefined;
  private chat: ChatCount | undefined;

  constructor(
    private readonly owner: GuardedSession,
    private readonly safety: GatewaySafety,
  ) {
    const { session } = owner;
    const harder = safety.blocks.scorer.activeAction(session.ipHash, Date.now())?.action === 'challenge';
    this.pow = safety.blocks.gate.initialState(session.gen === 0 && session.state === 'idle', harder);
  }

  /** A fresh session's `welcome`: counts the connection and carries the challenge, if one is due. */
  welcome(send: (challenge: Challenge | undefined) => void): void {
    this.signal('connection');
    if (this.pow.required === 0) {
      send(undefined);
      return;
    }
    this.safety.blocks.gate.welcomeChallenge(this.pow).then(send, (error: Error) => {
      this.owner.log.warn({ err: error.message }, 'welcome challenge not made');
      send(undefined);
    });
  }

  /** A pair assignment was applied: the chat's age counts from now. */
  onPaired(): void {
    const chat = this.owner.session.chat;
    if (chat) this.chat = { id: chat.id, startedAt: Date.now(), deliveredSeen: 0, ownSince: 0 };
  }

  /** The session ended for good. */
  forget(): void {
    this.safety.blocks.gate.forget(this.owner.session.id);
  }

  /** The partner reported this client. */
  onReported(): void {
    this.signal('report');
  }

  private signal(signal: AbuseSignal, message?: DecisionContext['message']): void {
    const { session } = this.owner;
    this.safety.signal(session.ipHash, signal, this, { session: session.id, chat: session.chat?.id, ...(message && { message }) });
  }

  /** An abuse `challenge` action: the next `join`/`next` owes the harder proof, asked for now. */
  requireHarderProof(): void {
    this.safety.blocks.gate.requireHarder(this.pow).then(
      (challenge) => this.sendChallenge(challenge),
      (error: Error) => this.owner.log.warn({ err: error.message }, 'abuse challenge not made'),
    );
  }

  /** Every decoded, rate-limited frame: checked, then applied in order. */
  onFrame(frame: ClientFrame): void {
    if (this.chain === undefined) {
      const held = this.check(frame);
      if (held !== undefined) this.hold(held);
      return;
    }
    this.hold(this.chain.then(() => this.check(frame)));
  }

  private hold(work: Promise<void>): void {
    const link: Promise<void> = work
      .catch((error: Error) => this.owner.log.warn({ err: error.message }, 'frame check failed'))
      .then(() => {
        if (this.chain === link) this.chain = undefined;
      });
    this.chain = link;
  }

  /** Applies the frame, or refuses it; a promise when the answer must wait (later frames wait behind it). */
  private check(frame: ClientFrame): Promise<void> | undefined {
    const { session } = this.owner;
    // Not valid now, or for a chat that is not the current one: the machine answers that.
    const staleChat = 'chat' in frame && frame.chat !== undefined && frame.chat !== session.chat?.id;
    if (!isFrameValidIn(frame.type, session.state) || staleChat) {
      this.owner.runFrame(frame);
      return undefined;
    }
    switch (frame.type) {
      case 'join':
        return this.admit(frame.proof, () => this.owner.runFrame(frame));
      case 'next':
        return this.admit(frame.proof, () => {
          this.owner.runFrame(frame);
          this.afterNext();
        });
      case 'message':
        return this.checkMessage(frame);
      default:
        this.owner.runFrame(frame);
        return undefined;
    }
  }

  /** Runs `apply` if no proof is due, or once the frame's proof is accepted. */
  private admit(proof: string | undefined, apply: () => void): Promise<void> | undefined {
    if (this.pow.required === 0) {
      apply();
      return undefined;
    }
    return this.safety.blocks.gate.admit(this.pow, proof).then((result) => {
      if (result.ok) {
        apply();
        return;
      }
      this.owner.send({ type: 'error', code: ErrorCode.proofRequired, message: proofRequiredMessage(result.reason) });
      this.sendChallenge(result.challenge);
    });
  }

  private afterNext(): void {
    const { session } = this.owner;
    this.signal('skip');
    this.safety.blocks.gate.onNext(this.pow, session.id, session.ipHash, Date.now()).then(
      (burst) => {
        if (burst) this.sendChallenge(burst.challenge);
      },
      (error: Error) => this.owner.log.warn({ err: error.message }, 'burst challenge not made'),
    );
  }

  private sendChallenge(challenge: Challenge): void {
    this.owner.send({ type: 'challenge', challenge: challenge as unknown as Record<string, unknown> });
  }

  private checkMessage(frame: MessageFrame): Promise<void> | undefined {
    const { session } = this.owner;
    const link = session.chat!;
    const now = Date.now();
    const count = this.countFor(link.id, link.lastDeliveredSeq, now);
    const chatMessages = link.lastDeliveredSeq + count.ownSince;
    const { filters, hook } = this.safety.blocks;
    const result = filters.checkMessage(frame.text, { sender: session.ipHash, chat: link.id, chatMessages, chatStartedAt: count.startedAt, now });
    const evidence = { seq: chatMessages + 1, ts: now, text: frame.text };
    if (result.repeatedTo >= 2) this.signal('repeat', evidence);
    if (!result.ok) {
      this.refuse(frame, result.reason, evidence);
      return undefined;
    }
    count.ownSince += 1;
    if (hook === undefined || !hook.wants(chatMessages)) {
      this.owner.runFrame(frame);
      return undefined;
    }
    return hook.check({ chat: link.id, sender: session.ipHash, index: chatMessages, text: frame.text, ts: now }).then((verdict) => {
      if (!verdict.allow) {
        this.refuse(frame, 'this message was not allowed by moderation', evidence);
        return;
      }
      // The partner may have left while the hook thought: never send into another chat.
      if (session.chat !== link) {
        this.owner.send(withId({ type: 'error', code: ErrorCode.invalidState, message: 'the chat has ended' }, frame.id));
        return;
      }
      this.owner.runFrame(frame);
    });
  }

  private refuse(frame: MessageFrame, reason: string, evidence: DecisionContext['message']): void {
    this.signal('blocked', evidence);
    this.owner.send(withId({ type: 'error', code: ErrorCode.blocked, message: `message not sent: ${reason}` }, frame.id));
  }

  /** The current chat's counters (a chat first seen here, e.g. after a resume, counts its age from now). */
  private countFor(chatId: string, delivered: number, now: number): ChatCount {
    let count = this.chat;
    if (count === undefined || count.id !== chatId) count = this.chat = { id: chatId, startedAt: now, deliveredSeen: delivered, ownSince: 0 };
    if (count.deliveredSeen !== delivered) {
      // The partner's latest delivered seq counts every message before it, ours included.
      count.deliveredSeen = delivered;
      count.ownSince = 0;
    }
    return count;
  }
}

function withId(frame: Extract<ServerFrame, { type: 'error' }>, id: string | undefined): ServerFrame {
  return id === undefined ? frame : { ...frame, id };
}
