import type { RawData, WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import { CloseCode, isLongerThan } from '@strangers/protocol';
import { compareStreamIds } from '@strangers/redis';
import { refuseBinary, sendOrCut } from '../edge/socket-send.js';
import { TokenBucket } from '../edge/token-bucket.js';
import { metrics } from '../metrics.js';
import type { RoomFeed } from './room-feed.js';
import { roomEventText, welcomeText, type RoomEvent } from './room-events.js';
import type { RoomNames } from './room-names.js';
import { stripControls } from './room-text.js';
import { isReservedRoomName } from './name-fold.js';

export interface RoomConnectionDeps {
  names: RoomNames;
  feed: RoomFeed;
  maxTextLength: number;
  rate: { perSecond: number; burst: number };
  /** Rate-limited messages in a row after which the member is cut with 1008 (as `/ws`). */
  rateLimitCloseAfter: number;
  /** A member whose unsent frames exceed this is too slow for the room and is dropped. */
  maxBufferedBytes: number;
  logger: Logger;
  /** Called once the socket has closed and the name is released (or handed to `releaseLater`). */
  onClosed(connection: RoomConnection): void;
  /** Redis did not answer the release: the room retries it. */
  releaseLater(name: string): void;
}

/** Messages a client may send before its name is claimed; more is flooding. */
const MAX_EARLY_MESSAGES = 16;

/**
 * One `/chat/{user}` connection: claims the name, greets, relays the member's text frames
 * into the room and the room's events to the member, and releases the name on close.
 *
 * States: `claiming` (waiting for Redis; room events and the member's own frames are held
 * back so that nothing precedes `Welcome` or the join notice), `joined`, `refused` (closing
 * without the name), `closed`. `banned` (its address was banned meanwhile): closing, nothing
 * more goes out or in; a name it claims is released (and announced as left).
 */
export class RoomConnection {
  state: 'claiming' | 'joined' | 'refused' | 'closed' = 'claiming';
  /** Resolves once the socket has closed and the name is released (or was never ours). */
  readonly done: Promise<void>;
  /** The id of our join event: earlier room events happened before we arrived. */
  private since = '';
  private readonly heldEvents: RoomEvent[] = [];
  private readonly earlyMessages: string[] = [];
  private readonly bucket: TokenBucket;
  /** Rate-limited messages in a row; a member that keeps going after the notice is cut. */
  private limitedInARow = 0;
  private banned = false;
  private readonly log: Logger;
  private resolveDone!: () => void;

  constructor(
    private readonly socket: WebSocket,
    readonly name: string,
    /** Its client address's keyed hash: a new ban of it cuts this member. */
    readonly ipHash: string,
    private readonly deps: RoomConnectionDeps,
  ) {
    this.bucket = new TokenBucket(deps.rate.perSecond, deps.rate.burst);
    this.log = deps.logger.child({ room: name });
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    socket.on('message', (data, isBinary) => this.onSocketMessage(data, isBinary));
    socket.on('close', () => this.onSocketClose());
    socket.on('error', (error) => this.log.debug({ err: error.message }, 'socket error'));
  }

  /** Claims the name across every gateway, then greets or refuses. */
  async join(): Promise<void> {
    if (isReservedRoomName(this.name)) {
      this.refuse(CloseCode.usernameTaken, 'username reserved');
      return;
    }
    let result;
    try {
      result = await this.deps.names.claim(this.name);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'room name not claimed');
      this.refuse(CloseCode.tryAgainLater, 'room unavailable');
      return;
    }
    // `held` means this gateway holds the name for another of its connections: taken too.
    if (result.status !== 'claimed') {
      this.refuse(CloseCode.usernameTaken, 'username taken');
      return;
    }
    if (this.state === 'closed' || this.banned) {
      // The client left (or was banned) while we were claiming: announce the departure as well.
      this.state = 'closed';
      await this.release();
      return;
    }
    this.state = 'joined';
    this.since = result.eventId;
    this.sendText(welcomeText(this.name));
    for (const event of this.heldEvents.splice(0)) this.deliver(event);
    for (const text of this.earlyMessages.splice(0)) this.publish(text);
  }

  private refuse(code: number, reason: string): void {
    if (this.state === 'closed') {
      this.finish();
      return;
    }
    this.state = 'refused';
    this.close(code, reason);
  }

  /** Its address was just banned: one line stating the ban, then close 4003. */
  cut(notice: string): void {
    if (this.banned || this.state === 'closed' || this.state === 'refused') return;
    this.banned = true;
    this.sendText(notice);
    this.close(CloseCode.banned, 'banned');
  }

  /** A room event from any gateway; never our own events, never what happened before we joined. */
  deliver(event: RoomEvent): void {
    if (this.banned) return;
    if (this.state === 'claiming') {
      this.heldEvents.push(event);
      return;
    }
    if (this.state !== 'joined' || event.name === this.name) return;
    if (compareStreamIds(event.id, this.since) <= 0) return;
    this.sendText(roomEventText(event));
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }

  private sendText(text: string): void {
    // The room cannot wait for one slow reader: past the bound it is dropped, not buffered.
    if (sendOrCut(this.socket, text, this.deps.maxBufferedBytes) === 'cut') {
      this.log.info({ buffered: this.socket.bufferedAmount }, 'slow room member dropped');
    }
  }

  private onSocketMessage(data: RawData, isBinary: boolean): void {
    if (refuseBinary(this.socket, isBinary)) return;
    if (this.state === 'closed' || this.state === 'refused' || this.banned) return;
    const text = stripControls(data.toString());
    if (text === '') return;
    if (isLongerThan(text, this.deps.maxTextLength)) {
      this.sendText(`* not sent: longer than ${this.deps.maxTextLength} characters`);
      return;
    }
    if (!this.bucket.take()) {
      metrics.rateLimitHits.inc({ surface: 'room' });
      if (++this.limitedInARow >= this.deps.rateLimitCloseAfter) {
        this.log.info({ limited: this.limitedInARow }, 'sustained room flooding; connection closed');
        metrics.connectionsCut.inc({ reason: 'abuse' });
        this.close(CloseCode.policyViolation, 'too many messages');
        return;
      }
      this.sendText('* not sent: too many messages, slow down');
      return;
    }
    this.limitedInARow = 0;
    if (this.state === 'claiming') {
      if (this.earlyMessages.length >= MAX_EARLY_MESSAGES) this.close(CloseCode.policyViolation, 'too many messages');
      else this.earlyMessages.push(text);
      return;
    }
    this.publish(text);
  }

  private publish(text: string): void {
    this.deps.feed.publish(this.name, text).catch((error: Error) => {
      this.log.warn({ err: error.message }, 'room message not published');
      this.sendText('* not sent: room temporarily unavailable');
    });
  }

  private onSocketClose(): void {
    const previous = this.state;
    this.state = 'closed';
    if (previous === 'joined') void this.release();
    else if (previous === 'refused') this.finish();
    // While claiming, `join()` finishes the job once Redis answers.
  }

  private async release(): Promise<void> {
    try {
      await this.deps.names.release(this.name);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'room name not released; will retry');
      this.deps.releaseLater(this.name);
    }
    this.finish();
  }

  private finish(): void {
    this.deps.onClosed(this);
    this.resolveDone();
  }
}
