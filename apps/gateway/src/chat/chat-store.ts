import {
  ChatEndReply,
  ChatMoveReply,
  ChatSendReply,
  ChatSignalReply,
  chatBucket,
  decodeControlEntry,
  encodeControlEntry,
  encodeMatcherEvent,
  encodeTypingEntry,
  fieldsToRecord,
  keys,
  type ControlEntry,
  type MatcherEventInput,
  type PairedEntry,
  type Redis,
} from '@strangers/redis';
import { isLeftReason, type LeftReason } from '@strangers/protocol';
import type { ChatLink } from './session.js';

export interface ChatStoreSettings {
  gatewayId: string;
  historyMaxMessages: number;
  /** Bytes of text a chat's history may hold (as well as HISTORY_MAX_MESSAGES). */
  historyMaxBytes: number;
  /** Approximate bound on `{m}:events`, should the matcher stop reading. */
  eventsMaxLength: number;
  chatTtlSeconds: number;
  inboxMaxLength: number;
  chatBuckets: number;
}

export type SendResult = { stored: true; seq: number } | { stored: false; endedReason: string };

/** A partner message read back from the chat history. */
export interface StoredMessage {
  seq: number;
  ts: number;
  text: string;
}

/**
 * `ended`: the chat had ended (and why); else the partner messages the member missed, and
 * whether that is all of them (`recovered` false: the history after `lastSeq` was trimmed).
 */
export type MoveResult = { ended: LeftReason; missed: []; recovered: true } | { ended?: undefined; missed: StoredMessage[]; recovered: boolean };

/** How long an ended chat's marker is kept so late sends get a clear answer. */
const ENDED_MARKER_TTL_SECONDS = 60;
/** A partner can move gateways (resume) at most this many times during one send. */
const MAX_ROUTE_RETRIES = 3;
/** Control stream entries read per XRANGE page (lost assignments). */
const CONTROL_PAGE = 1000;

/** Thrown when the sender is not a member of the chat it claims: a server-side bug, never client input. */
export class NotInChatError extends Error {
  override readonly name = 'NotInChatError';
  readonly code = 'ERR_NOT_IN_CHAT';
}

/**
 * The chat path's Redis commands other than the session record's (session-store.ts): the
 * chat scripts, typing, the matcher's event stream and the control streams between
 * gateways. Each is one round trip on the commands connection (auto-pipelined with whatever
 * else is issued in the same tick).
 */
export class ChatStore {
  constructor(
    private readonly redis: Redis,
    private readonly settings: ChatStoreSettings,
  ) {}

  /** Stores a message (assigning its `seq`) and hands it to the partner's gateway in one script. */
  async send(senderId: string, chat: ChatLink, text: string, ts: number): Promise<SendResult> {
    for (let attempt = 0; attempt <= MAX_ROUTE_RETRIES; attempt++) {
      const [status, detail] = await this.redis.chatSend(
        keys.chat(chat.id),
        keys.chatLog(chat.id),
        keys.gatewayInbox(chatBucket(chat.id), chat.partnerGateway),
        chat.id,
        senderId,
        this.settings.gatewayId,
        chat.partner,
        chat.partnerGateway,
        text,
        ts,
        this.settings.historyMaxMessages,
        this.settings.inboxMaxLength,
        this.settings.chatTtlSeconds,
        this.settings.historyMaxBytes,
      );
      if (status === ChatSendReply.stored) return { stored: true, seq: Number(detail) };
      if (status === ChatSendReply.ended) return { stored: false, endedReason: String(detail) };
      if (status === ChatSendReply.notMember) throw new NotInChatError(`session is not a member of chat ${chat.id}`);
      chat.partnerGateway = String(detail);
    }
    throw new Error(`partner of chat ${chat.id} kept moving gateways`);
  }

  /** Ends the chat (first caller wins) and tells the partner why. */
  async end(enderId: string, chat: ChatLink, reason: LeftReason): Promise<void> {
    for (let attempt = 0; attempt <= MAX_ROUTE_RETRIES; attempt++) {
      const [status, detail] = await this.redis.chatEnd(
        keys.chat(chat.id),
        keys.chatLog(chat.id),
        keys.gatewayInbox(chatBucket(chat.id), chat.partnerGateway),
        chat.id,
        enderId,
        this.settings.gatewayId,
        chat.partner,
        chat.partnerGateway,
        reason,
        this.settings.inboxMaxLength,
        ENDED_MARKER_TTL_SECONDS,
      );
      if (status !== ChatEndReply.partnerMoved) return;
      chat.partnerGateway = String(detail);
    }
  }

  /**
   * Points the chat at this gateway for `sessionId` (resumed here) and returns the partner
   * messages after `lastSeq` from the chat history, or why the chat ended.
   */
  async move(sessionId: string, chat: ChatLink, lastSeq: number): Promise<MoveResult> {
    const reply = await this.redis.chatMove(
      keys.chat(chat.id),
      keys.chatLog(chat.id),
      sessionId,
      this.settings.gatewayId,
      lastSeq,
      chat.partner,
      chat.partnerGateway,
      this.settings.chatTtlSeconds,
    );
    const [status, ...rest] = reply;
    if (status === ChatMoveReply.ended) {
      const reason = String(rest[0]);
      return { ended: isLeftReason(reason) ? reason : 'disconnected', missed: [], recovered: true };
    }
    if (status !== ChatMoveReply.moved) return { ended: 'disconnected', missed: [], recovered: true };
    const missed: StoredMessage[] = [];
    for (let i = 1; i + 2 < rest.length; i += 3) missed.push({ seq: Number(rest[i]), ts: Number(rest[i + 1]), text: String(rest[i + 2]) });
    return { missed, recovered: Number(rest[0]) === 1 };
  }

  /**
   * Hands a call signal, or an ICE resync, to the partner's gateway through its inbox, in order
   * with the messages but never stored (lua/chat_signal.lua), following the partner if it moved.
   * True when handed on; false when the chat has ended (its `left` is on the way) or is not the
   * sender's.
   */
  async signal(senderId: string, chat: ChatLink, kind: 'signal' | 'resync', data: string): Promise<boolean> {
    for (let attempt = 0; attempt <= MAX_ROUTE_RETRIES; attempt++) {
      const [status, detail] = await this.redis.chatSignal(
        keys.chat(chat.id),
        keys.gatewayInbox(chatBucket(chat.id), chat.partnerGateway),
        chat.id,
        senderId,
        chat.partner,
        chat.partnerGateway,
        kind,
        data,
        this.settings.inboxMaxLength,
      );
      if (status !== ChatSignalReply.partnerMoved || detail === '') return status === ChatSignalReply.handedOn;
      chat.partnerGateway = String(detail);
    }
    throw new Error(`partner of chat ${chat.id} kept moving gateways`);
  }

  /** Renews the TTL of a live chat's keys (see `SessionStore.refreshTtl`); an ended chat is left alone. */
  async touch(chat: ChatLink): Promise<void> {
    await this.redis.chatTouch(keys.chat(chat.id), keys.chatLog(chat.id), this.settings.chatTtlSeconds);
  }

  /** Typing is not stored: a plain append to the partner's inbox. */
  async typing(chat: ChatLink, typing: boolean): Promise<void> {
    await this.redis.xadd(
      keys.gatewayInbox(chatBucket(chat.id), chat.partnerGateway),
      'MAXLEN',
      '~',
      this.settings.inboxMaxLength,
      '*',
      ...encodeTypingEntry(chat.partner, chat.id, typing),
    );
  }

  async publish(event: MatcherEventInput): Promise<void> {
    await this.redis.xadd(keys.matcherEvents, 'MAXLEN', '~', this.settings.eventsMaxLength, '*', ...encodeMatcherEvent(event));
  }

  /** A control entry for another gateway (a handoff request or answer, a forwarded pair assignment). */
  async sendControl(gatewayId: string, entry: ControlEntry): Promise<void> {
    await this.redis.xadd(keys.gatewayControl(gatewayId), '*', ...encodeControlEntry(entry));
  }

  /**
   * Deletes the `gateways:online` entry of a dead gateway, once its sessions are reaped.
   * Skipped while its liveness key exists: a gateway restarted under the same id (a new boot)
   * publishes there now. Returns whether it deleted.
   *
   * Its streams stay: a gateway whose key merely lapsed while Redis was away looks dead too,
   * and deleting its inbox at reap time lost acked messages it had not read yet (seen in the
   * Redis outage test). They go once the id has been gone for DEAD_GATEWAY_STREAM_RETENTION_MS
   * (cluster/dead-gateway-sweep.ts).
   */
  async deleteDeadGatewayKeys(gatewayId: string): Promise<boolean> {
    if ((await this.redis.exists(keys.gatewayAlive(gatewayId))) === 1) return false;
    await this.redis.hdel(keys.onlineCounts, gatewayId);
    return true;
  }

  /**
   * The pair assignments in a dead gateway's control stream, by the session they are for.
   *
   * The matcher writes an assignment there in the same commit that takes both sides out of
   * the queue. A gateway that dies between that commit and its next read leaves its session
   * `waiting` in its record while the partner was told `paired`. The matcher re-sends the
   * assignment when the reaper re-announces the orphan's join, but only from memory, which a
   * matcher restart or failover loses; then the orphan would be queued afresh and the partner
   * would wait in a chat nobody answers. The assignment itself is still in the stream, durable
   * and written with the pair, so the reaper (or a resume that finds the owner dead) reads it
   * back from there. This costs nothing while gateways live; persisting the matcher's memory
   * would cost a write per pair on its hot path for the sake of a rare failure.
   *
   * Which entries the dead gateway had already read is unknown (it trimmed now and then), so
   * all are returned; `SessionStore.assign` applies one only to a session still waiting with
   * its gen, which an applied or stale assignment never matches.
   */
  async unreadPairAssignments(gatewayId: string): Promise<Map<string, PairedEntry[]>> {
    const byTo = new Map<string, PairedEntry[]>();
    const stream = keys.gatewayControl(gatewayId);
    for (let start = '-'; ; ) {
      const page = await this.redis.xrange(stream, start, '+', 'COUNT', CONTROL_PAGE);
      for (const [, flat] of page) {
        const entry = decodeControlEntry(fieldsToRecord(flat));
        if (entry?.t !== 'paired') continue;
        const list = byTo.get(entry.to);
        if (list) list.push(entry);
        else byTo.set(entry.to, [entry]);
      }
      if (page.length < CONTROL_PAGE) return byTo;
      start = `(${page[page.length - 1]![0]}`;
    }
  }
}
