import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import type { ClientFrameDecoder } from '@strangers/protocol';
import type { ControlEntry, InboxEntry, Redis } from '@strangers/redis';
import type { Liveness } from '../cluster/liveness.js';
import type { ReportSink } from '../moderation/report-recorder.js';
import type { ChatStore } from './chat-store.js';
import type { ChatConnection, ChatConnectionSettings } from './connection.js';
import { ChatReaper } from './reaper.js';
import { ChatRegistry } from './registry.js';
import { ChatResume } from './resume.js';
import type { SessionStore } from './session-store.js';

export interface ChatServiceSettings extends ChatConnectionSettings {
  /** How long a resume waits for the previous gateway to hand the session over. */
  handoffTimeoutMs: number;
  /** Where `report`s go (moderation/), if anywhere. */
  reports?: ReportSink;
}

/** `last=<seq>` of a resume URL: digits only, else 0 (replay everything kept). */
const LAST_SEQ = /^\d{1,15}$/;

/**
 * The `/ws` product of this gateway, wired together: new sockets (a fresh session, or a
 * resume), and what this module's parts do:
 * - registry.ts: the connection map, routing of control and inbox entries, drain;
 * - resume.ts: the resume paths and both halves of the handoff;
 * - reaper.ts: dead boots, lost assignments, grace expiry, reclaim (on liveness ticks);
 * - connection.ts + session-machine.ts: one session and its socket;
 * - session-store.ts + chat-store.ts: every Redis command of the chat path.
 */
export class ChatService {
  private readonly registry: ChatRegistry;
  private readonly resume: ChatResume;
  private readonly reaper: ChatReaper;

  constructor(
    redis: Redis,
    chats: ChatStore,
    store: SessionStore,
    decoder: ClientFrameDecoder,
    settings: ChatServiceSettings,
    online: () => number,
    logger: Logger,
    liveness: Liveness,
  ) {
    const { handoffTimeoutMs, ...connectionSettings } = settings;
    this.registry = new ChatRegistry(chats, store, { ...connectionSettings, decoder, online, logger }, logger);
    this.reaper = new ChatReaper(redis, this.registry, store, chats, logger);
    this.resume = new ChatResume(redis, this.registry, store, chats, this.reaper, handoffTimeoutMs, logger);
    this.registry.handoffs = this.resume;
    liveness.onTick((lapsed) => {
      if (lapsed) void this.reaper.reclaim();
      void this.reaper.reap();
    });
    // While our command connection was down, another gateway may have taken one of our
    // sessions over without asking (resume.ts does, from a boot with no connection): once
    // it is back, check everything we hold, as after a lapse.
    let disconnected = false;
    redis.on('close', () => {
      disconnected = true;
    });
    redis.on('ready', () => {
      if (!disconnected) return;
      disconnected = false;
      void this.reaper.reclaim();
    });
  }

  get connections(): ReadonlyMap<string, ChatConnection> {
    return this.registry.connections;
  }

  onSocket(ws: WebSocket, request: IncomingMessage, ipHash: string): void {
    const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
    const token = query.get('resume');
    if (token) {
      const lastRaw = query.get('last');
      this.resume.start(ws, token, lastRaw !== null && LAST_SEQ.test(lastRaw) ? Number(lastRaw) : 0, ipHash);
      return;
    }
    this.registry.startFresh(ws, ipHash);
  }

  onControl(entry: ControlEntry): void {
    this.registry.onControl(entry);
  }

  onInbox(entry: InboxEntry): void {
    this.registry.onInbox(entry);
  }

  drain(): Promise<void> {
    return this.registry.drain();
  }
}
