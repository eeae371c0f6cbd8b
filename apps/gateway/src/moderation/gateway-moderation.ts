import type { WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import type { BanRecord } from '@strangers/moderation';
import type { Redis } from '@strangers/redis';
import type { ChatStore } from '../chat/chat-store.js';
import type { SessionStore } from '../chat/session-store.js';
import { BanEnforcement, type BannableConnection } from './ban-enforcement.js';
import { ReportRecorder } from './report-recorder.js';
import type { GatewayModerationSettings } from './settings.js';

export interface GatewayModerationDeps {
  /** The commands connection (reports, the ban snapshot). */
  redis: Redis;
  /** A connection for the ban stream's blocking read only. */
  banReader: Redis;
  /** The matcher's event stream (shadow bans flag and unflag an address). */
  matcherEvents: Pick<ChatStore, 'publish'>;
  sessions: Pick<SessionStore, 'read'>;
  gatewayId: string;
  settings: GatewayModerationSettings;
  logger: Logger;
}

/**
 * The gateway's side of moderation (docs/moderation.md), wired for gateway.ts: `reports`
 * (the session machine's hook for `report`) and the ban enforcement on connect, resume and
 * live sessions, and for the room (`banOf`, `onBanned`). `connections` is set once the chat
 * service exists.
 */
export class GatewayModeration {
  readonly reports: ReportRecorder;
  private readonly bans: BanEnforcement;
  connections: () => Iterable<BannableConnection> = () => [];

  constructor(deps: GatewayModerationDeps) {
    const logger = deps.logger.child({ part: 'moderation' });
    this.reports = new ReportRecorder(deps.redis, deps.sessions, deps.gatewayId, deps.settings, logger);
    this.bans = new BanEnforcement(deps.redis, deps.banReader, deps.matcherEvents, () => this.connections(), logger);
  }

  start(): Promise<void> {
    return this.bans.start();
  }

  stop(): Promise<void> {
    return this.bans.stop();
  }

  /** A `/ws` socket just accepted (`resume` when its URL asks to resume): refused with the statement if its address is banned. */
  refuseBanned(ws: WebSocket, ipHash: string, resume: boolean): boolean {
    return this.bans.refuse(ws, ipHash, resume ? 'resume' : 'connect');
  }

  /** The ban in force for an address hash, from memory (never a shadow ban). */
  banOf(ipHash: string): BanRecord | undefined {
    return this.bans.banOf(ipHash);
  }

  /** Told of every new ban (never a shadow ban), on every gateway. */
  onBanned(listener: (ban: BanRecord) => void): void {
    this.bans.onBanned(listener);
  }
}
