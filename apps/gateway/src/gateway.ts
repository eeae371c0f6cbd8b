import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import { CloseCode, createClientFrameDecoder, type ClientFrameDecoder } from '@strangers/protocol';
import { createRedisClient, waitForRedisReady, type Redis } from '@strangers/redis';
import { ChatConnection } from './chat-connection.js';
import { ChatRelay } from './chat-relay.js';
import { hashAddress, peerAddress } from './client-address.js';
import type { GatewayConfig } from './config.js';
import { InboxReader } from './inbox-reader.js';
import { OnlineCounter } from './online-counter.js';
import { serveStaticFile } from './static-files.js';
import { Room } from './room/room.js';

/**
 * One gateway process: an HTTP server whose upgrades become chat connections, two Redis
 * connections (commands; blocking inbox reads) and the bookkeeping that ties sessions to
 * inbox entries.
 */
export class Gateway {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly redis: Redis;
  private readonly reader: Redis;
  private readonly inbox: InboxReader;
  private readonly online: OnlineCounter;
  private readonly relay: ChatRelay;
  private readonly decoder: ClientFrameDecoder;
  private readonly room: Room;
  private readonly connections = new Map<string, ChatConnection>();
  private draining = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
  ) {
    const name = `gateway:${config.gatewayId}`;
    this.redis = createRedisClient({ url: config.redisUrl, logger, connectionName: `${name}:commands`, autoPipelining: true });
    this.relay = new ChatRelay(this.redis, config);
    this.decoder = createClientFrameDecoder(config.limits);
    this.reader = createRedisClient({ url: config.redisUrl, logger, connectionName: `${name}:inbox` });
    this.inbox = new InboxReader(
      this.reader,
      this.redis,
      config.gatewayId,
      config.chatBuckets,
      {
        onControl: (entry) => {
          const connection = this.connections.get(entry.to);
          if (connection) connection.onPaired(entry);
          else this.onPairedForGone(entry);
        },
        onInbox: (entry) => this.connections.get(entry.to)?.onInbox(entry),
      },
      logger,
    );
    this.room = new Room(this.redis, config, logger);
    this.online = new OnlineCounter(this.redis, config.gatewayId, config.onlineIntervalMs, () => this.connections.size, logger);
    // perMessageDeflate off: chat frames are tiny and compression costs CPU and memory per socket.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxFrameBytes, perMessageDeflate: false });
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
    await this.inbox.start();
    await this.online.start();
    await this.room.start();
    await new Promise<void>((resolve) => this.server.listen(this.config.port, this.config.host, resolve));
  }

  /** Drain: refuse new connections, close ours with 1012 so clients go elsewhere, then stop. */
  async stop(): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections.values()) connection.close(CloseCode.serviceRestart, 'gateway restarting');
    // Give close handshakes (and the Redis writes they trigger) a bounded moment.
    const deadline = Date.now() + 5000;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const client of this.wss.clients) client.terminate();
    await this.room.stop();
    await closed;
    await this.online.stop();
    await this.inbox.stop();
    await this.redis.quit().catch(() => {});
  }

  private onHttpRequest(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = this.ready;
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/chat/users') {
      this.room.onUsersRequest(response);
    } else if (request.method === 'GET' || request.method === 'HEAD') {
      serveStaticFile(this.config.webDir, request, response);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?')[0];
    if (this.draining) {
      rejectUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    if (path === '/ws') {
      this.wss.handleUpgrade(request, socket, head, (ws) => this.onChatSocket(ws, request));
      return;
    }
    if (Room.handles(path)) {
      this.room.onUpgrade(request, socket, head, path);
      return;
    }
    rejectUpgrade(socket, 404, 'Not Found');
  }

  private onChatSocket(ws: WebSocket, request: IncomingMessage): void {
    const connection = new ChatConnection(ws, hashAddress(peerAddress(request), this.config.ipHashSalt), {
      relay: this.relay,
      decoder: this.decoder,
      gatewayId: this.config.gatewayId,
      online: () => this.online.value,
      logger: this.logger,
      onClosed: (closed) => this.connections.delete(closed.session.id),
    });
    this.connections.set(connection.session.id, connection);
    connection.welcome();
  }

  /** The matcher paired a session that has since disconnected: end that chat for the partner. */
  private onPairedForGone(entry: { to: string; chat: string; partner: string; pgw: string }): void {
    this.relay
      .end(entry.to, { id: entry.chat, partner: entry.partner, partnerGateway: entry.pgw, interests: [], lastDeliveredSeq: 0 }, 'disconnected')
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'could not end chat of a gone session'));
  }
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
