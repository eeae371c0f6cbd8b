import type { WebSocket } from 'ws';
import { banStatement, type BanRecord } from '@strangers/moderation';
import { CloseCode } from '@strangers/protocol';
import { moderationMetrics } from '../moderation/moderation-metrics.js';
import { stripControls } from './room-text.js';

/** What the room needs of the gateway's ban enforcement (moderation/gateway-moderation.ts). */
export interface RoomBans {
  /** The ban in force for an address hash, from memory (never a shadow ban: those stay invisible). */
  banOf(ipHash: string): BanRecord | undefined;
  /** Told of every new ban (never a shadow ban), on every gateway. */
  onBanned(listener: (ban: BanRecord) => void): void;
}

/**
 * PROTOCOL.md §3's `banned` statement as one plain-text line, for the room's wscat users:
 * the ground and reason, the end, and the appeal link. Controls are stripped (one line).
 */
export function banNoticeText(ban: BanRecord): string {
  const { reason, until, appeal } = banStatement(ban);
  const end = until === undefined ? 'permanently' : `until ${new Date(until).toISOString()}`;
  return stripControls(`* banned ${end}: ${reason} (appeal: ${appeal})`);
}

/** A room socket from a banned address, before it claims a name: the statement line, then close 4003. */
export function refuseBannedRoomSocket(ws: WebSocket, ban: BanRecord): void {
  moderationMetrics.bansEnforced.inc({ where: 'room' });
  ws.send(banNoticeText(ban));
  ws.close(CloseCode.banned, 'banned');
}
