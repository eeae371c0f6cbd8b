import type { WebSocket, RawData } from 'ws';
import type { Logger } from '@strangers/config';
import {
  CloseCode,
  ErrorCode,
  encodeServerFrame,
  type ClientFrame,
  type ClientFrameDecoder,
  type LeftReason,
  type ServerFrame,
} from '@strangers/protocol';
import type { ControlEntry, InboxEntry } from '@strangers/redis';
import type { ChatRelay } from './chat-relay.js';
import { Session, type ChatLink } from './session.js';

export interface ChatConnectionDeps {
  relay: ChatRelay;
  decoder: ClientFrameDecoder;
  gatewayId: string;
  online(): number;
  logger: Logger;
  /** Called once the socket has closed and the session's chat or queue place is released. */
  onClosed(connection: ChatConnection): void;
}

const FRAME_VALID_IN: Record<ClientFrame['type'], readonly Session['state'][]> = {
  join: ['idle'],
  message: ['paired'],
  typing: ['paired'],
  next: ['waiting', 'paired'],
  leave: ['idle', 'waiting', 'paired'],
  report: ['paired'],
};

/**
 * The lifecycle of one `/ws` connection: decodes client frames, runs the session's state
 * machine, and turns inbox entries from Redis into frames for this client.
 *
 * State changes happen synchronously before any Redis call is awaited, so the frames a
 * client sends back to back see each other's effect and their Redis writes go out in order.
 */
export class ChatConnection {
  readonly session: Session;
  private readonly log: Logger;

  constructor(
    private readonly socket: WebSocket,
    ipHash: string,
    private readonly deps: ChatConnectionDeps,
  ) {
    this.session = new Session(ipHash);
    this.log = deps.logger.child({ session: this.session.id });
    socket.on('message', (data, isBinary) => this.onSocketMessage(data, isBinary));
    socket.on('close', () => this.onSocketClose());
    socket.on('error', (error) => this.log.debug({ err: error.message }, 'socket error'));
  }

  /** The first frame; sent once the gateway has registered the connection (it counts as online). */
  welcome(): void {
    this.send({
      type: 'welcome',
      session: this.session.id,
      resumeToken: this.session.resumeToken,
      online: this.deps.online(),
    });
  }

  send(frame: ServerFrame): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encodeServerFrame(frame));
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  private sendError(code: ErrorCode, message: string): void {
    this.send({ type: 'error', code, message });
  }

  private onSocketMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.socket.close(CloseCode.unsupportedData, 'binary frames are not supported');
      return;
    }
    const decoded = this.deps.decoder.decode(data.toString());
    if (!decoded.ok) {
      this.sendError(decoded.code, decoded.message);
      return;
    }
    const frame = decoded.frame;
    if (!FRAME_VALID_IN[frame.type].includes(this.session.state)) {
      this.sendError(ErrorCode.invalidState, `"${frame.type}" is not valid while ${this.session.state}`);
      return;
    }
    switch (frame.type) {
      case 'join':
        this.session.interests = frame.interests ?? [];
        this.session.requeue = frame.requeue ?? true;
        this.enterQueue();
        return;
      case 'message':
        this.sendMessage(frame.text, frame.id);
        return;
      case 'typing':
        this.deps.relay.typing(this.session.chat!, frame.typing).catch((error: Error) => this.redisFailed(error, 'typing'));
        return;
      case 'next':
        if (this.session.state === 'paired') {
          const chat = this.endChat('next');
          this.enterQueue(chat.partner, false);
        } else {
          // Already searching: keep the place in the queue.
          this.send({ type: 'waiting', online: this.deps.online() });
        }
        return;
      case 'report': {
        const chat = this.endChat('reported');
        this.enterQueue(chat.partner, true);
        return;
      }
      case 'leave':
        this.leave('left');
        return;
    }
  }

  private onSocketClose(): void {
    // Until resume exists, a closed socket ends the chat (or the wait) at once.
    this.leave('disconnected');
    this.deps.onClosed(this);
  }

  private leave(reason: LeftReason): void {
    if (this.session.state === 'paired') this.endChat(reason);
    else if (this.session.state === 'waiting') this.leaveQueue();
    this.session.state = 'idle';
  }

  private enterQueue(avoid?: string, block = false): void {
    const session = this.session;
    session.state = 'waiting';
    session.gen += 1;
    const gen = session.gen;
    this.send({ type: 'waiting', online: this.deps.online() });
    this.deps.relay
      .publish({
        t: 'join',
        sid: session.id,
        gw: this.deps.gatewayId,
        gen,
        interests: session.interests,
        ipHash: session.ipHash,
        avoid,
        block,
      })
      .catch((error: Error) => {
        this.log.warn({ err: error.message }, 'could not publish join');
        if (session.state === 'waiting' && session.gen === gen) {
          session.state = 'idle';
          this.sendError(ErrorCode.unavailable, 'could not enter the queue; try again');
        }
      });
  }

  private leaveQueue(): void {
    const { id, gen } = this.session;
    this.deps.relay.publish({ t: 'cancel', sid: id, gen }).catch((error: Error) => this.redisFailed(error, 'cancel'));
  }

  /** Leaves the current chat locally at once; the Redis side follows in order. */
  private endChat(reason: LeftReason): ChatLink {
    const chat = this.session.chat!;
    this.session.chat = undefined;
    this.session.state = 'idle';
    this.deps.relay.end(this.session.id, chat, reason).catch((error: Error) => this.redisFailed(error, 'end chat'));
    return chat;
  }

  private sendMessage(text: string, id: string | undefined): void {
    const chat = this.session.chat!;
    this.deps.relay.send(this.session.id, chat, text, Date.now()).then(
      (result) => {
        if (result.stored) this.send(id === undefined ? { type: 'ack', seq: result.seq } : { type: 'ack', id, seq: result.seq });
        else this.sendError(ErrorCode.invalidState, 'the chat has ended');
      },
      (error: Error) => {
        this.log.warn({ err: error.message }, 'message not stored');
        this.sendError(ErrorCode.unavailable, 'message not sent: service temporarily unavailable');
      },
    );
  }

  private redisFailed(error: Error, what: string): void {
    this.log.warn({ err: error.message }, `${what} failed`);
  }

  /** A pair assignment from the matcher for this session. */
  onPaired(entry: ControlEntry): void {
    const session = this.session;
    if (session.state !== 'waiting' || session.gen !== entry.gen) {
      // Stale: the client left or re-joined after the matcher paired it. End that chat so
      // the partner is told at once and goes back into the queue.
      this.log.debug({ chat: entry.chat }, 'stale pair assignment ended');
      this.deps.relay
        .end(session.id, { id: entry.chat, partner: entry.partner, partnerGateway: entry.pgw, interests: [], lastDeliveredSeq: 0 }, 'left')
        .catch((error: Error) => this.redisFailed(error, 'end stale chat'));
      return;
    }
    session.state = 'paired';
    session.chat = {
      id: entry.chat,
      partner: entry.partner,
      partnerGateway: entry.pgw,
      interests: entry.interests,
      lastDeliveredSeq: 0,
    };
    this.send({ type: 'paired', chat: entry.chat, interests: entry.interests });
  }

  /** A partner message, typing flag or departure, routed here by session id. */
  onInbox(entry: InboxEntry): void {
    const chat = this.session.chat;
    if (!chat || chat.id !== entry.chat) return; // from a chat this session has already left
    switch (entry.t) {
      case 'msg':
        if (entry.seq <= chat.lastDeliveredSeq) return;
        chat.lastDeliveredSeq = entry.seq;
        this.send({ type: 'message', text: entry.text, seq: entry.seq, ts: entry.ts });
        return;
      case 'typing':
        this.send({ type: 'typing', typing: entry.typing });
        return;
      case 'left':
        this.session.chat = undefined;
        this.session.state = 'idle';
        this.send({ type: 'partner_left', reason: entry.reason });
        if (entry.reason === 'reported') {
          this.deps.relay
            .publish({ t: 'reported', sid: this.session.id, ipHash: this.session.ipHash })
            .catch((error: Error) => this.redisFailed(error, 'report count'));
        }
        if (this.session.requeue) this.enterQueue(entry.by, entry.reason === 'reported');
        return;
    }
  }
}
