import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { addressKey, clientAddress, closeServer, compileProxyTrust, hashAddress, isLoopback, listen, statusRoutes, type Logger, type ProxyTrust } from '@strangers/config';
import { createClientFrameDecoder } from '@strangers/protocol';
import { createRedisClient, waitForRedisReady, type Redis } from '@strangers/redis';
import { ChatService } from './chat/chat-service.js';
import { ChatStore } from './chat/chat-store.js';
import { DeadGatewaySweep } from './cluster/dead-gateway-sweep.js';
import { CallSignals } from './media/call-signals.js';
import { InboxReader } from './chat/inbox-reader.js';
import { SessionStore } from './chat/session-store.js';
import { commandConnectionName, Liveness, newBootId } from './cluster/liveness.js';
import { OnlineCounter } from './cluster/online-counter.js';
import { RedisMemorySampler } from './cluster/redis-memory.js';
import type { GatewayConfig } from './config.js';
import { ConnectionLimits } from './edge/connection-limits.js';
import { KeyedRateLimit } from './edge/keyed-rate-limit.js';
import { createReportLimit } from './edge/report-limit.js';
import { Heartbeat } from './edge/heartbeat.js';
import { capConnectionsPerAddress } from './edge/http-connection-cap.js';
import { createHttpServer } from './edge/http-server.js';
import { setSecurityHeaders } from './edge/security-headers.js';
import { isOriginAllowed } from './edge/origin-check.js';
import { createStaticFiles, type StaticFiles } from './edge/static-files.js';
import { refuseUpgrade } from './edge/upgrade-refusal.js';
import { countRedisEvent, metrics, registry, watchConnections } from './metrics.js';
import { GatewayModeration } from './moderation/gateway-moderation.js';
import { GatewaySafety } from './safety/gateway-safety.js';
import { Room } from './room/room.js';

/**
 * One gateway process, wired together: an HTTP server (status routes, metrics, the web
 * client) whose upgrades pass the edge's admission (edge/) and become `/ws` sessions (chat/)
 * or room members (room/); the Redis connections (commands, blocking inbox reads, the room
 * feed); this boot's liveness (cluster/).
 */
export class Gateway {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly redis: Redis;
  private readonly reader: Redis;
  private readonly inbox: InboxReader;
  private readonly online: OnlineCounter;
  private readonly liveness: Liveness;
  private readonly chat: ChatService;
  private readonly room: Room;
  private readonly limits: ConnectionLimits;
  private readonly trust: ProxyTrust | undefined;
  /** `/ws` heartbeat: two unanswered pings and the socket is cut (the session enters its grace). */
  private readonly heartbeat: Heartbeat;
  private readonly staticFiles: StaticFiles;
  /** Reports with evidence, and bans enforced from memory (moderation/). */
  private readonly moderation: GatewayModeration;
  /** `/healthz`, `/readyz`, `/metrics` (packages/config). */
  private readonly statusRoutes: (request: IncomingMessage, response: ServerResponse) => boolean;
  /** `/metrics` (and the other status routes) on a listener of its own, when configured. */
  private readonly metricsServer: Server | undefined;
  /** `/chat/users` and `/online` requests per client address. */
  private readonly apiLimit: KeyedRateLimit;
  private readonly redisMemory: RedisMemorySampler;
  /** Deletes the streams of gateway ids gone for good (cluster/dead-gateway-sweep.ts). */
  private readonly deadGateways: DeadGatewaySweep;
  private started = false;
  private draining = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
  ) {
    const name = `gateway:${config.gatewayId}`;
    const bootId = newBootId();
    const connectionName = commandConnectionName(config.gatewayId, bootId);
    this.redis = createRedisClient({ url: config.redisUrl, logger, connectionName, autoPipelining: true, onEvent: countRedisEvent, tlsCa: config.redisTlsCa });
    this.liveness = new Liveness(this.redis, bootId, config.gatewayId, config.alive, logger);
    const sessions = new SessionStore(this.redis, { owner: this.liveness.owner, recordTtlSeconds: config.chatTtlSeconds });
    const banReader = createRedisClient({ url: config.redisUrl, logger, connectionName: `${name}:bans`, onEvent: countRedisEvent, tlsCa: config.redisTlsCa });
    const chats = new ChatStore(this.redis, config);
    this.moderation = new GatewayModeration({ redis: this.redis, banReader, matcherEvents: chats, sessions, gatewayId: config.gatewayId, settings: config.moderation, logger });
    this.deadGateways = new DeadGatewaySweep(
      this.redis,
      sessions,
      { gatewayId: config.gatewayId, chatBuckets: config.chatBuckets, retentionMs: config.deadGatewayStreamRetentionMs, minIntervalMs: config.alive.intervalMs },
      logger,
    );
    const safety = new GatewaySafety(config.safety, { redis: this.redis, chats, registry, gatewayId: config.gatewayId, logger });
    this.chat = new ChatService(
      this.redis,
      chats,
      sessions,
      createClientFrameDecoder(config.limits),
      {
        gatewayId: config.gatewayId,
        resumeGraceMs: config.resumeGraceMs,
        resumeGraceCleanMs: config.resumeGraceCleanMs,
        handoffTimeoutMs: config.alive.ttlMs,
        chatRate: config.chatRate,
        typingRate: config.typingRate,
        signalRate: { perSecond: config.media.signal.perSecond, burst: config.media.signal.burst },
        calls: new CallSignals(chats, { media: config.media }, logger),
        rateLimitCloseAfter: config.rateLimitCloseAfter,
        maxBufferedBytes: config.maxBufferedBytes,
        safety,
        reportLimit: createReportLimit(
          config.reportLimit.count,
          config.reportLimit.windowMs,
          config.connectionLimits.limitLoopback ? [] : ['127.0.0.1', '::1'].map((address) => hashAddress(address, config.ipHashSalt)),
        ),
        matching: config.matching,
        reports: this.moderation.reports,
      },
      () => this.online.value,
      logger,
      this.liveness,
    );
    this.reader = createRedisClient({ url: config.redisUrl, logger, connectionName: `${name}:inbox`, onEvent: countRedisEvent, tlsCa: config.redisTlsCa });
    this.inbox = new InboxReader(
      this.reader,
      this.redis,
      config.gatewayId,
      config.chatBuckets,
      { onControl: (entry) => this.chat.onControl(entry), onInbox: (entry) => this.chat.onInbox(entry) },
      logger,
    );
    this.room = new Room(this.redis, config, logger, this.liveness, this.moderation);
    this.limits = new ConnectionLimits(config.connectionLimits);
    this.trust = config.trustProxy && config.trustProxy.length > 0 ? compileProxyTrust(config.trustProxy) : undefined;
    watchConnections(this.chat.connections);
    this.moderation.connections = () => this.chat.connections.values();
    this.online = new OnlineCounter(this.redis, config.gatewayId, config.onlineIntervalMs, () => this.wss.clients.size, logger);
    // perMessageDeflate off: chat frames are tiny and compression costs CPU and memory per socket.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxFrameBytes, perMessageDeflate: false });
    this.heartbeat = new Heartbeat(config.heartbeatIntervalMs, 2, this.wss.clients);
    this.staticFiles = createStaticFiles(config.webDir, (path, error) => logger.warn({ path, err: error }, 'a static file could not be read'));
    this.statusRoutes = statusRoutes({ isReady: () => this.ready, registry });
    this.apiLimit = new KeyedRateLimit(config.http.apiRequestsPerIpPerSecond, 2 * config.http.apiRequestsPerIpPerSecond);
    this.redisMemory = new RedisMemorySampler(this.redis, config.redisMemorySampleMs, logger);
    this.server = createHttpServer(config.http, (request, response) => this.onHttpRequest(request, response));
    capConnectionsPerAddress(this.server, config.http.maxConnectionsPerIp, (peer) => this.exemptFromAddressLimits(peer, true));
    this.metricsServer = config.metricsListener
      ? createServer((request, response) => {
          setSecurityHeaders(response);
          if (!this.statusRoutes(request, response)) response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        })
      : undefined;
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head));
  }

  get port(): number {
    const address = this.server.address();
    return address && typeof address === 'object' ? address.port : 0;
  }

  /** The metrics listener's port, or undefined without one. */
  get metricsPort(): number | undefined {
    const address = this.metricsServer?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** Started, not draining, Redis and the inbox reader working: `/readyz` 200, upgrades admitted. */
  get ready(): boolean {
    return this.started && !this.draining && this.redis.status === 'ready' && this.inbox.healthy;
  }

  /**
   * Listens first (a busy port fails at once, as one line), so `/healthz` answers while the
   * gateway waits for Redis; `/readyz` and upgrades say 503 until everything is up.
   */
  async start(): Promise<void> {
    if (!this.config.allowedOrigins) {
      this.logger.warn('ALLOWED_ORIGINS is not set: any website can open chat sockets on this gateway; set it to your site’s origin(s)');
    }
    await listen(this.server, this.config.port, this.config.host);
    if (this.metricsServer && this.config.metricsListener) {
      await listen(this.metricsServer, this.config.metricsListener.port, this.config.metricsListener.host);
    }
    await this.waitForRedis();
    await this.liveness.start();
    await this.moderation.start();
    await this.inbox.start();
    await this.online.start();
    await this.room.start();
    await this.redisMemory.start();
    this.deadGateways.start();
    this.heartbeat.start();
    this.started = true;
  }

  private async waitForRedis(): Promise<void> {
    for (;;) {
      try {
        await waitForRedisReady(this.redis);
        return;
      } catch (error) {
        if (this.draining) throw error;
        this.logger.warn({ err: (error as Error).message }, 'waiting for Redis');
      }
    }
  }

  /**
   * Drain: refuse new connections (`/readyz` turns 503), hand every session over as an
   * orphan and close its socket with 1012 so the client resumes elsewhere, then stop.
   */
  async stop(): Promise<void> {
    this.draining = true;
    this.heartbeat.stop();
    this.redisMemory.stop();
    this.deadGateways.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const metricsClosed = this.metricsServer ? closeServer(this.metricsServer) : Promise.resolve();
    await this.chat.drain();
    await this.room.stop();
    // Close handshakes get a bounded moment before the sockets are cut.
    const deadline = Date.now() + 2000;
    while (this.wss.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const client of this.wss.clients) client.terminate();
    await closed;
    await metricsClosed;
    await this.online.stop();
    await this.inbox.stop();
    await this.moderation.stop();
    await this.liveness.stop();
    await this.redis.quit().catch(() => {});
  }

  private onHttpRequest(request: IncomingMessage, response: ServerResponse): void {
    setSecurityHeaders(response);
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/metrics' && this.metricsServer) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } else if (this.statusRoutes(request, response)) {
      return;
    } else if (path === '/chat/users' || path === '/online') {
      this.onApiRequest(request, response, path);
    } else if (request.method === 'GET' || request.method === 'HEAD') {
      this.staticFiles(request, response);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  /** `/chat/users` (the room's names) and `/online` (`{"online":N}`), rate-limited per client address. */
  private onApiRequest(request: IncomingMessage, response: ServerResponse, path: '/chat/users' | '/online'): void {
    const address = clientAddress(request, this.trust);
    if (!this.exemptFromAddressLimits(address, false) && !this.apiLimit.take(addressKey(address))) {
      response.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1' }).end('too many requests\n');
      return;
    }
    if (path === '/chat/users') {
      this.room.onUsersRequest(response);
      return;
    }
    // The cross-gateway count the gateway keeps anyway (refreshed every ONLINE_INTERVAL_MS): no Redis call.
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(JSON.stringify({ online: this.online.value }));
  }

  /** Loopback (unless LIMIT_LOOPBACK) is never limited per address; for TCP connections, neither are our proxies. */
  private exemptFromAddressLimits(address: string, connection: boolean): boolean {
    if (!this.config.connectionLimits.limitLoopback && isLoopback(address)) return true;
    return connection && this.trust !== undefined && this.trust(address, 0);
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?')[0];
    // Not ready (starting, Redis or the inbox reader down, draining): 503, so a proxy moves
    // the client to a healthy gateway rather than one that can only answer `unavailable`.
    if (!this.ready) {
      metrics.upgradesRefused.inc({ status: '503' });
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    if (path !== '/ws' && !Room.handles(path)) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (!isOriginAllowed(request.headers.origin, this.config.allowedOrigins)) {
      metrics.upgradesRefused.inc({ status: '403' });
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    const address = clientAddress(request, this.trust);
    const admission = this.limits.admit(address);
    if (!admission.ok) {
      metrics.upgradesRefused.inc({ status: String(admission.status) });
      refuseUpgrade(socket, admission.status, admission.reason);
      return;
    }
    this.limits.holdUntilClosed(socket, address);
    if (path === '/ws') {
      this.wss.handleUpgrade(request, socket, head, (ws) => this.onChatSocket(ws, request, address));
      return;
    }
    if (Room.handles(path)) {
      this.room.onUpgrade(request, socket, head, path, hashAddress(address, this.config.ipHashSalt));
      return;
    }
    refuseUpgrade(socket, 404, 'Not Found');
  }

  private onChatSocket(ws: WebSocket, request: IncomingMessage, address: string): void {
    const ipHash = hashAddress(address, this.config.ipHashSalt);
    if (this.moderation.refuseBanned(ws, ipHash, new URL(request.url ?? '/', 'http://gateway').searchParams.has('resume'))) return;
    this.heartbeat.watch(ws);
    this.chat.onSocket(ws, request, ipHash);
  }
}
