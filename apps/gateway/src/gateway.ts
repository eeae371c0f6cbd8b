import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import { createClientFrameDecoder } from '@strangers/protocol';
import { createRedisClient, waitForRedisReady, type Redis } from '@strangers/redis';
import { ChatService } from './chat/chat-service.js';
import { ChatStore } from './chat/chat-store.js';
import { InboxReader } from './chat/inbox-reader.js';
import { SessionStore } from './chat/session-store.js';
import { Liveness } from './cluster/liveness.js';
import { OnlineCounter } from './cluster/online-counter.js';
import type { GatewayConfig } from './config.js';
import { clientAddress, compileProxyTrust, hashAddress, type ProxyTrust } from './edge/client-address.js';
import { ConnectionLimits } from './edge/connection-limits.js';
import { Heartbeat } from './edge/heartbeat.js';
import { isOriginAllowed } from './edge/origin-check.js';
import { createStaticFiles, type StaticFiles } from './edge/static-files.js';
import { refuseUpgrade } from './edge/upgrade-refusal.js';
import { countRedisEvent, metrics, serveMetrics, watchConnections } from './metrics.js';
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
  private draining = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
  ) {
    const name = `gateway:${config.gatewayId}`;
    this.redis = createRedisClient({ url: config.redisUrl, logger, connectionName: `${name}:commands`, autoPipelining: true, onEvent: countRedisEvent, tlsCa: config.redisTlsCa });
    this.liveness = new Liveness(this.redis, config.gatewayId, config.alive, logger);
    this.chat = new ChatService(
      this.redis,
      new ChatStore(this.redis, config),
      new SessionStore(this.redis, { owner: this.liveness.owner, recordTtlSeconds: config.chatTtlSeconds }),
      createClientFrameDecoder(config.limits),
      {
        gatewayId: config.gatewayId,
        resumeGraceMs: config.resumeGraceMs,
        resumeGraceCleanMs: config.resumeGraceCleanMs,
        handoffTimeoutMs: config.alive.ttlMs,
        chatRate: config.chatRate,
        typingRate: config.typingRate,
        rateLimitCloseAfter: config.rateLimitCloseAfter,
        maxBufferedBytes: config.maxBufferedBytes,
        matching: config.matching,
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
    this.room = new Room(this.redis, config, logger, this.liveness);
    this.limits = new ConnectionLimits(config.connectionLimits);
    this.trust = config.trustProxy && config.trustProxy.length > 0 ? compileProxyTrust(config.trustProxy) : undefined;
    watchConnections(this.chat.connections);
    this.online = new OnlineCounter(this.redis, config.gatewayId, config.onlineIntervalMs, () => this.wss.clients.size, logger);
    // perMessageDeflate off: chat frames are tiny and compression costs CPU and memory per socket.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxFrameBytes, perMessageDeflate: false });
    this.heartbeat = new Heartbeat(config.heartbeatIntervalMs, 2, this.wss.clients);
    this.staticFiles = createStaticFiles(config.webDir);
    this.server = createServer((request, response) => this.onHttpRequest(request, response));
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head));
  }

  get port(): number {
    const address = this.server.address();
    return address && typeof address === 'object' ? address.port : 0;
  }

  get ready(): boolean {
    return !this.draining && this.redis.status === 'ready' && this.inbox.healthy;
  }

  async start(): Promise<void> {
    await waitForRedisReady(this.redis);
    await this.liveness.start();
    await this.inbox.start();
    await this.online.start();
    await this.room.start();
    this.heartbeat.start();
    await new Promise<void>((resolve) => this.server.listen(this.config.port, this.config.host, resolve));
  }

  /**
   * Drain: refuse new connections (`/readyz` turns 503), hand every session over as an
   * orphan and close its socket with 1012 so the client resumes elsewhere, then stop.
   */
  async stop(): Promise<void> {
    this.draining = true;
    this.heartbeat.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.chat.drain();
    await this.room.stop();
    // Close handshakes get a bounded moment before the sockets are cut.
    const deadline = Date.now() + 2000;
    while (this.wss.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const client of this.wss.clients) client.terminate();
    await closed;
    await this.online.stop();
    await this.inbox.stop();
    await this.liveness.stop();
    await this.redis.quit().catch(() => {});
  }

  private onHttpRequest(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = this.ready;
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      serveMetrics(response);
    } else if (path === '/chat/users') {
      this.room.onUsersRequest(response);
    } else if (request.method === 'GET' || request.method === 'HEAD') {
      this.staticFiles(request, response);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?')[0];
    if (this.draining) {
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
      this.room.onUpgrade(request, socket, head, path);
      return;
    }
    refuseUpgrade(socket, 404, 'Not Found');
  }

  private onChatSocket(ws: WebSocket, request: IncomingMessage, address: string): void {
    this.heartbeat.watch(ws);
    this.chat.onSocket(ws, request, hashAddress(address, this.config.ipHashSalt));
  }
}
