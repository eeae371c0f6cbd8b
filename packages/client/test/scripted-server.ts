import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ScriptedConnection {
  socket: WebSocket;
  /** The request path and query the client connected with. */
  url: URL;
  /** Frames the client sent, parsed. */
  received: Record<string, unknown>[];
  send(frame: Record<string, unknown>): void;
  /** Resolves with the next frame from the client of `type`. */
  nextFrame(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/**
 * A real WebSocket server whose side of the protocol each test scripts by hand: the way
 * to test reconnect and resume handshakes precisely, independently of the gateway.
 */
export class ScriptedServer {
  readonly connections: ScriptedConnection[] = [];
  /** Upgrades to refuse (503) before accepting again; simulates a gateway that is down. */
  refuseNext = 0;
  private readonly wss: WebSocketServer;
  private waiters: ((connection: ScriptedConnection) => void)[] = [];

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on('connection', (socket: WebSocket, request: IncomingMessage) => this.onConnection(socket, request));
  }

  static async start(): Promise<ScriptedServer> {
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info, callback) => {
        if (server.refuseNext > 0) {
          server.refuseNext -= 1;
          callback(false, 503);
        } else callback(true);
      },
    });
    const server = new ScriptedServer(wss);
    await once(wss, 'listening');
    return server;
  }

  get url(): string {
    const address = this.wss.address();
    return `ws://127.0.0.1:${address && typeof address === 'object' ? address.port : 0}/ws`;
  }

  private onConnection(socket: WebSocket, request: IncomingMessage): void {
    const received: Record<string, unknown>[] = [];
    const frameWaiters: (() => void)[] = [];
    socket.on('message', (data) => {
      received.push(JSON.parse(data.toString()) as Record<string, unknown>);
      for (const wake of frameWaiters.splice(0)) wake();
    });
    let cursor = 0;
    const connection: ScriptedConnection = {
      socket,
      url: new URL(request.url ?? '/', 'ws://localhost'),
      received,
      send: (frame) => socket.send(JSON.stringify(frame)),
      async nextFrame(type, timeoutMs = 3000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          while (cursor < received.length) {
            const frame = received[cursor++]!;
            if (frame.type === type) return frame;
          }
          if (Date.now() > deadline) throw new Error(`no "${type}" frame from the client within ${timeoutMs} ms`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
            frameWaiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      },
    };
    this.connections.push(connection);
    for (const wake of this.waiters.splice(0)) wake(connection);
  }

  /** Resolves with connection number `index` (0-based) once the client has made it. */
  async connection(index: number, timeoutMs = 5000): Promise<ScriptedConnection> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length <= index) {
      if (Date.now() > deadline) throw new Error(`connection #${index} not made within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.connections[index]!;
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
  }
}
