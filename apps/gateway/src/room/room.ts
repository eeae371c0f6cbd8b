import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '@strangers/config';
import type { BanRecord } from '@strangers/moderation';
import { CloseCode } from '@strangers/protocol';
import { createRedisClient, type Redis } from '@strangers/redis';
import type { GatewayConfig } from '../config.js';
import type { Liveness } from '../cluster/liveness.js';
import { Heartbeat } from '../edge/heartbeat.js';
import { CachedValue } from '../edge/cached-value.js';
import { refuseUpgrade } from '../edge/upgrade-refusal.js';
import { banNoticeText, refuseBannedRoomSocket, type RoomBans } from './room-bans.js';
import { RoomFeed } from './room-feed.js';
import { RoomConnection } from './room-connection.js';
import type { RoomEvent } from './room-events.js';
import { RoomNames, roomNameFromPath } from './room-names.js';
import { RoomSweeper } from './room-sweeper.js';
import { moderationMetrics } from '../moderation/moderation-metrics.js';

/** How long `stop()` waits for members' names to be released before giving up. */
const STOP_GRACE_MS = 5000;
/** How long one read of `chat-users` answers `/chat/users`. */
const USER_LIST_TTL_MS = 1000;

/**
 * The shared room (PROTOCOL.md §2) on this gateway: `/chat/{user}` upgrades, the members
 * connected here, the feed every gateway reads, this gateway's liveness and the sweeper
 * that releases dead gateways' names. Bans apply here as on `/ws`, from memory: a banned
 * address is refused on connect, and a new ban cuts its members (one line, close 4003).
 */
export class Room {
  private readonly wss: WebSocketServer;
  private readonly reader: Redis;
  private readonly names: RoomNames;
  private readonly feed: RoomFeed;
  private readonly sweeper: RoomSweeper;
  private readonly members = new Set<RoomConnection>();
  /** Names whose release Redis did not answer; retried every liveness tick. */
  private readonly unreleased = new Set<string>();
  /** The ws README's heartbeat: a member that did not answer the last ping is gone. */
  private readonly heartbeat: Heartbeat;
  /** `/chat/users`: one SMEMBERS per second at most, however many ask. */
  private readonly userList: CachedValue<string[]>;

  constructor(
    redis: Redis,
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
    /** This gateway's heartbeat, shared with the `/ws` sessions (started by the gateway). */
    private readonly liveness: Liveness,
    private readonly bans: RoomBans,
  ) {
    bans.onBanned((ban) => this.cutBanned(ban));
    this.reader = createRedisClient({ url: config.redisUrl, logger, connectionName: `gateway:${config.gatewayId}:room`, tlsCa: config.redisTlsCa });
    liveness.onTick((lapsed) => this.onLivenessTick(lapsed));
    this.names = new RoomNames(redis, this.liveness.owner, config.room.eventsMaxLength);
    this.feed = new RoomFeed(this.reader, redis, config.room.eventsMaxLength, (event) => this.onRoomEvent(event), logger);
    this.sweeper = new RoomSweeper(redis, this.names, logger);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxFrameBytes, perMessageDeflate: false });
    this.heartbeat = new Heartbeat(config.room.heartbeatMs, 1, this.wss.clients);
    this.userList = new CachedValue(USER_LIST_TTL_MS, () => this.names.list());
  }

  /** True for every path this room answers, valid name or not. */
  static handles(path: string | undefined): path is string {
    return path !== undefined && path.startsWith('/chat/');
  }

  async start(): Promise<void> {
    await this.feed.start();
    this.heartbeat.start();
  }

  /** Closes members with 1012 and releases their names (each announced as left), then stops. */
  async stop(): Promise<void> {
    this.heartbeat.stop();
    for (const member of this.members) member.close(CloseCode.serviceRestart, 'gateway restarting');
    const released = Promise.all([...this.members].map((member) => member.done));
    await Promise.race([released, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
    for (const member of this.members) member.terminate();
    await this.feed.stop();
  }

  /** A `/chat/{user}` upgrade the gateway admitted; `ipHash` is its client address's keyed hash. */
  onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, path: string, ipHash: string): void {
    const name = roomNameFromPath(path);
    if (name === undefined) {
      refuseUpgrade(socket, 400, 'Bad Request', 'room names are 1-32 characters of A-Z a-z 0-9 _ . -\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      // Before any name is claimed: a banned client never appears in the room.
      const ban = this.bans.banOf(ipHash);
      if (ban) {
        refuseBannedRoomSocket(ws, ban);
        return;
      }
      this.heartbeat.watch(ws);
      const member = new RoomConnection(ws, name, ipHash, {
        names: this.names,
        feed: this.feed,
        maxTextLength: this.config.limits.maxTextLength,
        rate: { perSecond: this.config.room.ratePerSecond, burst: this.config.room.rateBurst },
        rateLimitCloseAfter: this.config.rateLimitCloseAfter,
        maxBufferedBytes: this.config.maxBufferedBytes,
        logger: this.logger,
        onClosed: (closed) => this.members.delete(closed),
        releaseLater: (unreleased) => this.unreleased.add(unreleased),
      });
      this.members.add(member);
      void member.join();
    });
  }

  /** `GET /chat/users`: the connected names, on every gateway, as a JSON array (at most a second old). */
  onUsersRequest(response: ServerResponse): void {
    this.userList.get().then(
      (names) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(names)),
      (error: Error) => {
        this.logger.warn({ err: error.message }, 'room names not listed');
        response.writeHead(503, { 'content-type': 'text/plain' }).end('room unavailable\n');
      },
    );
  }

  /** A new ban (on every gateway): this gateway's members from the address get the statement line and close 4003. */
  private cutBanned(ban: BanRecord): void {
    const notice = banNoticeText(ban);
    let cut = 0;
    for (const member of this.members) {
      if (member.ipHash !== ban.ipHash) continue;
      member.cut(notice);
      cut += 1;
    }
    if (cut > 0) {
      moderationMetrics.bansEnforced.inc({ where: 'room_live' }, cut);
      this.logger.info({ ban: ban.id, members: cut }, 'room members of a banned address cut');
    }
  }

  private onRoomEvent(event: RoomEvent): void {
    for (const member of this.members) member.deliver(event);
  }

  private onLivenessTick(lapsed: boolean): void {
    if (lapsed) {
      this.reclaim();
      // A sweeper that saw us dead just before our refresh may release a name after this
      // re-claim; one more pass once such a sweep has surely finished repairs that.
      setTimeout(() => this.reclaim(), 2 * this.config.alive.intervalMs).unref();
    }
    this.retryReleases();
    void this.sweeper.sweep();
  }

  /** After our liveness lapsed, sweepers may have released our members' names: take them back. */
  private reclaim(): void {
    for (const member of this.members) {
      if (member.state !== 'joined') continue;
      this.names.claim(member.name).then(
        (result) => {
          if (result.status === 'taken') member.close(CloseCode.usernameTaken, 'username taken');
        },
        (error: Error) => this.logger.debug({ err: error.message }, 'room name not re-claimed'),
      );
    }
  }

  private retryReleases(): void {
    for (const name of this.unreleased) {
      this.names.release(name).then(
        () => this.unreleased.delete(name),
        () => {},
      );
    }
  }
}
