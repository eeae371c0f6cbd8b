import type { WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import { BanFollower, BanRegistry, banStatement, type AppliedBanEvent, type BanRecord } from '@strangers/moderation';
import { CloseCode } from '@strangers/protocol';
import type { Redis } from '@strangers/redis';
import type { ChatStore } from '../chat/chat-store.js';
import { moderationMetrics } from './moderation-metrics.js';

/** What ending a live session of a newly banned address needs of a connection (chat/connection.ts). */
export interface BannableConnection {
  readonly session: { readonly ipHash: string };
  send(frame: ReturnType<typeof banStatement>): void;
  letGo(code: number, reason: string): void;
  finish(reason: 'reported'): void;
}

/** A permanent shadow ban flags the address for a century. */
const PERMANENT_FLAG_MS = 100 * 365 * 24 * 3600 * 1000;

/**
 * Bans at this gateway: the bans in force kept in memory (BanRegistry, fed by a BanFollower
 * on a connection of its own), checked on every `/ws` connect and resume without a Redis
 * round trip; a banned client gets the `banned` statement and close 4003. A new ban ends the
 * address's live sessions here at once (every gateway follows the stream, so every gateway
 * ends its own): the statement and 4003 to an attached client, and the chat ends with
 * `reported` for the partner; `onBanned` listeners (the room) cut theirs. Shadow bans go to
 * the matcher: `flag` when one is added, `unflag` when one is lifted.
 */
export class BanEnforcement {
  readonly registry = new BanRegistry();
  private readonly follower: BanFollower;
  private readonly banListeners: ((ban: BanRecord) => void)[] = [];

  constructor(
    redis: Redis,
    reader: Redis,
    /** The matcher's event stream, for `flag` and `unflag`. */
    private readonly matcher: Pick<ChatStore, 'publish'>,
    private readonly connections: () => Iterable<BannableConnection>,
    private readonly logger: Logger,
  ) {
    this.follower = new BanFollower({ redis, reader, registry: this.registry, logger, onEvent: (event) => this.onBanEvent(event) });
  }

  /** Loads the bans in force (before the gateway listens), then follows the ban stream. */
  start(): Promise<void> {
    return this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** Told of every new ban (never a shadow ban), after this gateway's `/ws` sessions of its address were ended. */
  onBanned(listener: (ban: BanRecord) => void): void {
    this.banListeners.push(listener);
  }

  /** The ban in force for an address hash, from memory (never a shadow ban: those stay invisible). */
  banOf(ipHash: string): BanRecord | undefined {
    return this.registry.lookup(ipHash).ban;
  }

  /**
   * On an accepted `/ws` socket, before any session is made or resumed: true (and the
   * socket gets the statement and close 4003) when its address is banned.
   */
  refuse(ws: WebSocket, ipHash: string, where: 'connect' | 'resume'): boolean {
    const ban = this.banOf(ipHash);
    if (!ban) return false;
    moderationMetrics.bansEnforced.inc({ where });
    ws.send(JSON.stringify(banStatement(ban)));
    ws.close(CloseCode.banned, 'banned');
    return true;
  }

  private onBanEvent(event: AppliedBanEvent): void {
    if (event.type === 'lift') {
      if (event.ban?.kind === 'shadowban') void this.unflag(event.ban);
      return;
    }
    if (event.ban.kind === 'shadowban') {
      void this.flag(event.ban);
      return;
    }
    this.cutLiveSessions(event.ban);
    for (const listener of this.banListeners) listener(event.ban);
  }

  /**
   * A shadow ban puts the address in the matcher's flagged pool until it ends (its joins, and
   * its session already waiting, meet flagged clients only). Every gateway sends the `flag`
   * event: the matcher keeps the latest end, so the copies change nothing, and one gateway's
   * failed write is covered.
   */
  private async flag(ban: BanRecord): Promise<void> {
    const until = ban.until ?? Date.now() + PERMANENT_FLAG_MS;
    try {
      await this.matcher.publish({ t: 'flag', ipHash: ban.ipHash, until });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, ban: ban.id }, 'shadow ban not sent to the matcher');
    }
  }

  /**
   * A lifted shadow ban takes the address out of the flagged pool at once (`unflag`: the
   * matcher drops the flag whoever set it, docs/moderation.md). Another shadow ban of the
   * address still in force flags it again, after the lift: every gateway sends both in that
   * order, so whatever their interleaving the last word is a flag.
   */
  private async unflag(lifted: BanRecord): Promise<void> {
    try {
      await this.matcher.publish({ t: 'unflag', ipHash: lifted.ipHash });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, ban: lifted.id }, 'shadow ban lift not sent to the matcher');
      return;
    }
    const remaining = this.registry.lookup(lifted.ipHash).shadowban;
    if (remaining) await this.flag(remaining);
  }

  private cutLiveSessions(ban: BanRecord): void {
    const statement = banStatement(ban);
    let cut = 0;
    for (const connection of [...this.connections()]) {
      if (connection.session.ipHash !== ban.ipHash) continue;
      connection.send(statement);
      connection.letGo(CloseCode.banned, 'banned');
      connection.finish('reported');
      cut += 1;
    }
    if (cut > 0) {
      moderationMetrics.bansEnforced.inc({ where: 'live' }, cut);
      this.logger.info({ ban: ban.id, sessions: cut }, 'live sessions of a banned address ended');
    }
  }
}
