import { ErrorCode, invalidStateMessage, isFrameValidIn, type ClientFrame, type JoinFrame, type LeftReason, type ReportFrame, type ServerFrame } from '@strangers/protocol';
import type { ControlEntry, InboxEntry, PairedEntry } from '@strangers/redis';
import { declaredPreferences, joinPreferences, type PreferencesOutcome } from '../preferences/join-preferences.js';
import type { GatewayMatchingSettings } from '../preferences/matching-settings.js';
import { pairedFrame } from '../preferences/paired-frame.js';
import { decideRematch } from '../preferences/rematch-rules.js';
import type { ReportSink } from '../moderation/report-recorder.js';
import type { CallSignals } from '../media/call-signals.js';
import type { MoveResult } from './chat-store.js';
import { isStaleChatFrame } from './chat-scope.js';
import { InFlight } from './in-flight.js';
import { messageDelivered, metrics } from '../metrics.js';
import type { ChatLink, Session } from './session.js';
import { SessionTransitions, type SessionTransitionDeps } from './session-transitions.js';

/** What a prepared resume hands to its completion (see `SessionMachine.prepareResume`). */
export interface ResumePlan {
  /** The chat moved to this gateway, when the session was paired. */
  moved: (MoveResult & { chat: ChatLink }) | undefined;
  lastSeq: number;
}

/** What the state machine of every `/ws` session needs from the gateway. */
export interface SessionMachineDeps extends SessionTransitionDeps {
  /** Issue 20: the age policy, the rematch window, the ICE hook. */
  matching: GatewayMatchingSettings;
  /** The session is over (left for good, or handed to another gateway): forget it. */
  onFinished(machine: SessionMachine): void;
  /** Records a `report` with its evidence (moderation/report-recorder.ts), before the chat ends. */
  reports?: ReportSink;
  /** Audio/video calls (media/call-signals.ts); absent: `signal` and `ice` are refused. */
  calls?: CallSignals | undefined;
}

/**
 * The state machine of one `/ws` session (PROTOCOL.md §1): what each valid client frame,
 * pair assignment and inbox entry does to the session, which frames the client gets, and
 * which Redis writes follow (through the two stores). The moves themselves (queue, chat,
 * grace) are the base class's, session-transitions.ts. The socket side (decoding, rate
 * limits, backpressure) is the subclass, connection.ts; tests drive this class directly
 * with a frame recorder (test/session-machine.test.ts).
 *
 * The session outlives its socket by the resume grace: a dropped connection starts a timer;
 * the session keeps following its chat (state only) until the client resumes here or
 * elsewhere, or the timer ends it with `disconnected`.
 *
 * State changes happen synchronously before any Redis call is awaited, so the frames a
 * client sends back to back see each other's effect and their Redis writes go out in order.
 */
export abstract class SessionMachine extends SessionTransitions {
  /** Set while a resume replays history: live partner messages wait here, in order. */
  private replayBuffer: InboxEntry[] | undefined;
  /** Counts joins sent to the age-check provider: only the answer to the latest one counts. */
  private ageChecks = 0;
  /** Messages sent to Redis and not answered yet (made on the first): the 1008 cut waits for them. */
  private sendsInFlight: InFlight | undefined;

  /** Set once the session has ended for good (a resume still under way then fails). */
  protected finished = false;

  constructor(
    session: Session,
    protected override readonly deps: SessionMachineDeps,
  ) {
    super(session, deps);
  }

  /** `challenge`: the proof of work a `join` needs first (safety/session-guard.ts). */
  welcome(challenge?: object): void {
    const frame: ServerFrame = { type: 'welcome', session: this.session.id, resumeToken: this.session.resumeToken, online: this.deps.online() };
    this.send(challenge === undefined ? frame : { ...frame, challenge: challenge as Record<string, unknown> });
  }

  /** Ends the session for good: its chat or queue place is released and its record deleted. */
  finish(reason: LeftReason): void {
    this.finished = true;
    this.stopGrace();
    this.leaveEverything(reason);
    this.deps.store.remove(this.session).catch((error: Error) => this.redisFailed(error, 'remove session'));
    this.deps.onFinished(this);
  }

  // ---- client frames ----

  /**
   * A decoded, rate-limited client frame: applied if PROTOCOL.md's valid-when table
   * (packages/protocol frame-validity.ts) allows it in the current state, else `invalid_state`.
   */
  onFrame(frame: ClientFrame): void {
    const id = 'id' in frame ? frame.id : undefined;
    // The call code checks a signal's chat before the state (docs/video.md: a candidate
    // trickling in after Next is `stale_chat`), then the valid-when rule, then the rest.
    if (frame.type === 'signal' && this.deps.calls) {
      this.deps.calls.onSignalFrame(this, frame);
      return;
    }
    // Before the valid-when check: a stale `next` while waiting must not keep or skip anything.
    if (isStaleChatFrame(frame, this.session.chat?.id)) {
      this.sendError(ErrorCode.staleChat, 'that chat is over; nothing was sent', id);
      return;
    }
    if (!isFrameValidIn(frame.type, this.session.state)) {
      this.sendError(ErrorCode.invalidState, invalidStateMessage(frame.type, this.session.state), id);
      return;
    }
    switch (frame.type) {
      case 'join':
        this.onJoin(frame);
        return;
      case 'message':
        this.onMessage(frame.text, frame.id);
        return;
      case 'typing':
        this.onTyping(frame.typing);
        return;
      case 'next':
        this.onNext();
        return;
      case 'report':
        this.onReport(frame);
        return;
      case 'leave':
        this.onLeave();
        return;
      case 'rematch':
        this.onRematch(frame.chat);
        return;
      case 'signal':
      case 'ice':
        if (this.deps.calls && frame.type === 'ice') this.deps.calls.onIceFrame(this);
        else this.sendError(ErrorCode.invalidState, 'audio and video calls are not enabled here');
        return;
    }
  }

  /** Queued at once, unless the deployment's age-check provider must be asked first (preferences/). */
  private onJoin(frame: JoinFrame): void {
    const { agePolicy } = this.deps.matching;
    const apply = (outcome: PreferencesOutcome) => {
      if (!outcome.ok) return this.sendError(outcome.code, outcome.message);
      this.session.interests = frame.interests ?? [];
      this.session.requeue = frame.requeue ?? true;
      this.session.match = outcome.preferences;
      this.enterQueue();
    };
    if (!agePolicy.ageCheck) return apply(declaredPreferences(agePolicy, frame));
    const check = ++this.ageChecks;
    void joinPreferences(agePolicy, this.session.id, frame).then((outcome) => {
      // Only the latest join counts, and only while the session is still idle (not left, not joined meanwhile).
      if (check === this.ageChecks && this.session.state === 'idle') apply(outcome);
    });
  }

  /** Asks the matcher to put this session back with the stranger of its last ended chat. */
  private onRematch(chat: string): void {
    const session = this.session;
    const decision = decideRematch(session.ended, chat, Date.now(), this.deps.matching.rematchWindowMs);
    if (!decision.ok) return this.sendError(decision.code, decision.message);
    const { ended, until } = decision;
    const { age, media } = session.match;
    this.deps.chats
      .publish({ t: 'rematch', sid: session.id, gw: this.deps.gatewayId, gen: session.gen, chat, partner: ended.partner, pgw: ended.partnerGateway, until, age, media })
      .catch((error: Error) => {
        this.redisFailed(error, 'rematch');
        this.sendError(ErrorCode.unavailable, 'rematch not sent: service temporarily unavailable');
      });
  }

  private onMessage(text: string, id: string | undefined): void {
    const chat = this.session.chat!;
    const inFlight = (this.sendsInFlight ??= new InFlight());
    inFlight.begin();
    this.deps.chats.send(this.session.id, chat, text, Date.now()).then(
      (result) => {
        if (result.stored) this.send(id === undefined ? { type: 'ack', seq: result.seq } : { type: 'ack', id, seq: result.seq });
        else this.sendError(ErrorCode.invalidState, 'the chat has ended', id);
        inFlight.end();
      },
      (error: Error) => {
        this.log.warn({ err: error.message }, 'message not stored');
        this.sendError(ErrorCode.unavailable, 'message not sent: service temporarily unavailable', id);
        inFlight.end();
      },
    );
  }

  private onTyping(typing: boolean): void {
    this.deps.chats.typing(this.session.chat!, typing).catch((error: Error) => this.redisFailed(error, 'typing'));
  }

  private onNext(): void {
    if (this.session.state === 'paired') {
      const chat = this.endChat('next');
      this.enterQueue(chat.partner, false);
    } else {
      // Already searching: keep the place in the queue.
      this.send({ type: 'waiting', online: this.deps.online() });
    }
  }

  private onReport(frame: ReportFrame): void {
    // Before endChat: the evidence read must reach Redis ahead of chat_end, which deletes the history.
    const { id: sid, ipHash } = this.session;
    this.deps.reports?.record({ reporter: { sid, ipHash }, chat: this.session.chat!, category: frame.category ?? 'other', reason: frame.reason ?? '', at: Date.now() });
    const chat = this.endChat('reported');
    this.enterQueue(chat.partner, true);
  }

  private onLeave(): void {
    this.leaveEverything('left');
    this.persist();
  }

  /** Resolves once every message sent so far has its answer (ack or error) on its way to the client. */
  protected sendsSettled(): Promise<void> {
    return this.sendsInFlight?.settled() ?? Promise.resolve();
  }

  // ---- what Redis tells us (routed here by the registry) ----

  /** The stranger of this session's last ended chat asked to reconnect: offered if still relevant. */
  onRematchOffer(entry: Extract<ControlEntry, { t: 'rematch_offer' }>): void {
    if (this.session.state !== 'paired' && this.session.ended?.chat === entry.chat) this.send({ type: 'rematch_offer', chat: entry.chat });
  }

  /** A pair assignment from the matcher for this session (a rematch may also find it idle). */
  onPaired(entry: PairedEntry): void {
    const session = this.session;
    const expecting = session.state === 'waiting' || (entry.rematch && session.state === 'idle');
    if (!expecting || session.gen !== entry.gen) {
      if (session.chat?.id === entry.chat) return; // the same assignment again (re-sent after a move)
      // Stale: the client left or re-joined after the matcher paired it. End that chat so
      // the partner is told at once and goes back into the queue.
      this.log.debug({ chat: entry.chat }, 'stale pair assignment ended');
      const stale = { id: entry.chat, partner: entry.partner, partnerGateway: entry.pgw, interests: [], lastDeliveredSeq: 0 };
      this.deps.chats.end(session.id, stale, 'left').catch((error: Error) => this.redisFailed(error, 'end stale chat'));
      return;
    }
    session.state = 'paired';
    session.missedLeft = undefined;
    session.chat = { id: entry.chat, partner: entry.partner, partnerGateway: entry.pgw, interests: entry.interests, lastDeliveredSeq: 0 };
    this.persist();
    this.send({ ...pairedFrame(entry, this.deps.matching.iceFor), ...this.deps.calls?.pairedIce(session, entry.media) });
  }

  /** A partner message, typing flag or departure, routed here by session id. */
  onInbox(entry: InboxEntry): void {
    const chat = this.session.chat;
    if (!chat || chat.id !== entry.chat) return; // from a chat this session has already left
    if (this.replayBuffer && entry.t !== 'typing') {
      // A signal that reaches a session still resuming was sent while it was away: dropped,
      // as for a detached one (docs/video.md; the ice resync after the resume restarts ICE).
      if (entry.t === 'signal') this.deps.calls?.onInbox(this, entry);
      else this.replayBuffer.push(entry);
      return;
    }
    switch (entry.t) {
      case 'msg':
        // While detached, leave it in the chat history for the resume to replay.
        if (!this.attached || entry.seq <= chat.lastDeliveredSeq) return;
        chat.lastDeliveredSeq = entry.seq;
        this.send({ type: 'message', text: entry.text, seq: entry.seq, ts: entry.ts });
        messageDelivered(entry.ts);
        return;
      case 'typing':
        this.send({ type: 'typing', typing: entry.typing });
        return;
      case 'signal':
      case 'resync':
        this.deps.calls?.onInbox(this, entry);
        return;
      case 'left':
        this.onPartnerLeft(entry.reason, entry.by);
        return;
    }
  }

  private onPartnerLeft(reason: LeftReason, partner: string): void {
    if (this.session.chat) this.recordEnded(this.session.chat, reason);
    this.session.chat = undefined;
    this.session.state = 'idle';
    if (reason === 'reported') {
      this.deps.chats
        .publish({ t: 'reported', sid: this.session.id, ipHash: this.session.ipHash })
        .catch((error: Error) => this.redisFailed(error, 'report count'));
    }
    if (!this.attached) {
      // Told after the resume; an absent client is not put back into the queue.
      this.session.missedLeft = reason;
      this.persist();
      return;
    }
    this.send({ type: 'partner_left', reason });
    if (this.session.requeue) this.enterQueue(partner, reason === 'reported');
    else this.persist();
  }

  // ---- resume: the session's half (resume.ts decides where a session resumes) ----
  //
  // In two steps so that nothing is attached before every write has succeeded: `prepareResume`
  // runs while the session is still detached (its grace running), `completeResume` once the
  // new socket is attached. A failure in between leaves the session as it was: detached,
  // resumable again with the same token (`abandonResume`).

  /**
   * The Redis half of a resume with token `used`: moves the chat to this gateway (reading the
   * partner messages after `lastSeq`; live ones are buffered meanwhile) and stores the next
   * resume token. Throws if a write fails; the caller then calls `abandonResume`.
   */
  protected async prepareResume(lastSeq: number, used: string): Promise<ResumePlan> {
    const session = this.session;
    const chat = session.state === 'paired' ? session.chat : undefined;
    let moved: ResumePlan['moved'];
    if (chat) {
      this.replayBuffer ??= [];
      moved = { chat, ...(await this.deps.chats.move(session.id, chat, lastSeq)) };
    }
    const tokens = session.tokensAfterResume(used);
    await this.deps.store.rotateTokens(session, tokens);
    session.applyTokens(tokens);
    return { moved, lastSeq };
  }

  /** The resume did not complete: what arrived meanwhile is handled as for any detached session. */
  protected abandonResume(): void {
    const buffered = this.replayBuffer;
    this.replayBuffer = undefined;
    for (const entry of buffered ?? []) this.onInbox(entry);
  }

  /**
   * The socket is attached: `resumed` (with the next token), then the partner messages the
   * client missed, then what arrived live meanwhile (de-duplicated by `seq`), in that order.
   */
  protected completeResume(plan: ResumePlan): void {
    metrics.resumes.inc();
    const session = this.session;
    const buffered = this.replayBuffer ?? [];
    this.replayBuffer = undefined;
    const { moved } = plan;
    const resumeToken = session.resumeToken;
    if (moved && session.chat === moved.chat) {
      const chat = moved.chat;
      chat.lastDeliveredSeq = plan.lastSeq;
      this.send({ type: 'resumed', state: moved.ended ? 'idle' : 'paired', chat: chat.id, resumeToken, recovered: moved.recovered });
      for (const message of moved.missed) this.onInbox({ t: 'msg', to: session.id, chat: chat.id, seq: message.seq, text: message.text, ts: message.ts });
      for (const entry of buffered) this.onInbox(entry);
      if (moved.ended) this.onPartnerLeft(moved.ended, chat.partner);
      else {
        this.persist();
        this.deps.calls?.afterResume(this);
      }
      return;
    }
    for (const entry of buffered) this.onInbox(entry);
    const chat = session.state === 'paired' ? session.chat : undefined;
    this.send(
      chat
        ? { type: 'resumed', state: 'paired', chat: chat.id, resumeToken, recovered: true }
        : { type: 'resumed', state: session.state === 'paired' ? 'idle' : session.state, resumeToken, recovered: true },
    );
    if (session.state === 'waiting') this.rejoin();
    if (session.missedLeft) {
      const reason = session.missedLeft;
      session.missedLeft = undefined;
      this.send({ type: 'partner_left', reason });
      if (session.requeue) this.enterQueue();
    }
    this.persist();
  }
}
