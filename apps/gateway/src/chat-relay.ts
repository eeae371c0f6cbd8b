import type { Redis } from '@strangers/redis';
import { chatBucket, encodeMatcherEvent, encodeTypingEntry, keys, type MatcherEvent } from '@strangers/redis';
import type { LeftReason } from '@strangers/protocol';
import type { ChatLink } from './session.js';

export interface RelaySettings {
  gatewayId: string;
  historyMaxMessages: number;
  chatTtlSeconds: number;
  inboxMaxLength: number;
}

export type SendResult = { stored: true; seq: number } | { stored: false; endedReason: string };

/** How long an ended chat's marker is kept so late sends get a clear answer. */
const ENDED_MARKER_TTL_SECONDS = 60;
/** A partner can move gateways (resume) at most this many times during one send. */
const MAX_ROUTE_RETRIES = 3;

/** Thrown when the sender is not a member of the chat it claims: a server-side bug, never client input. */
export class NotInChatError extends Error {
  override readonly name = 'NotInChatError';
  readonly code = 'ERR_NOT_IN_CHAT';
}

/**
 * Every Redis write a gateway makes for the `/ws` product, each one round trip on the
 * commands connection (auto-pipelined with whatever else is issued in the same tick).
 */
export class ChatRelay {
  constructor(
    private readonly redis: Redis,
    private readonly settings: RelaySettings,
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
      );
      if (status === 1) return { stored: true, seq: Number(detail) };
      if (status === 0) return { stored: false, endedReason: String(detail) };
      if (status === -2) throw new NotInChatError(`session is not a member of chat ${chat.id}`);
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
      if (status !== -1) return;
      chat.partnerGateway = String(detail);
    }
  }

  /**
   * Points the chat at this gateway for `sessionId` (resumed here) and returns the partner
   * messages after `lastSeq` from the chat history, or why the chat ended.
   */
  async move(
    sessionId: string,
    chat: ChatLink,
    lastSeq: number,
  ): Promise<{ ended?: string; missed: { seq: number; ts: number; text: string }[] }> {
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
    if (status === 0) return { ended: String(rest[0]), missed: [] };
    if (status !== 1) return { ended: 'disconnected', missed: [] };
    const missed: { seq: number; ts: number; text: string }[] = [];
    for (let i = 0; i + 2 < rest.length; i += 3) missed.push({ seq: Number(rest[i]), ts: Number(rest[i + 1]), text: String(rest[i + 2]) });
    return { missed };
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

  async publish(event: MatcherEvent): Promise<void> {
    await this.redis.xadd(keys.matcherEvents, '*', ...encodeMatcherEvent(event));
  }
}
