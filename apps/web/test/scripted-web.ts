import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** One page's WebSocket, scripted by the test. */
export interface ScriptedSocket {
  socket: WebSocket;
  /** Every frame the page sent, parsed. */
  received: Record<string, unknown>[];
  send(frame: Record<string, unknown>): void;
  /** Resolves with the next frame of `type` the page sent. */
  nextFrame(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/**
 * A real HTTP server with the built web client and a `/ws` whose side of the protocol the
 * test scripts by hand: for the page's handling of frames the gateways do not send yet.
 * `files` overrides or adds static answers (e.g. `terms.json`, `online`).
 */
export class ScriptedWeb {
  private waiting: ((socket: ScriptedSocket) => void)[] = [];
  private readonly ready: ScriptedSocket[] = [];

  private constructor(
    private readonly http: Server,
    readonly files: Map<string, { status: number; body: string }>,
  ) {}

  static async start(webDir: string): Promise<ScriptedWeb> {
    const files = new Map<string, { status: number; body: string }>();
    const http = createServer(async (request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      const override = files.get(path);
      if (override) {
        response.writeHead(override.status, { 'content-type': 'application/json' }).end(override.body);
        return;
      }
      const file = normalize(join(webDir, path === '/' ? 'index.html' : path));
      if (!file.startsWith(webDir)) return void response.writeHead(403).end();
      try {
        const body = await readFile(file);
        response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        response.writeHead(404).end();
      }
    });
    const web = new ScriptedWeb(http, files);
    const wss = new WebSocketServer({ noServer: true });
    http.on('upgrade', (request, socket, head) => {
      wss.handleUpgrade(request, socket, head, (ws) => web.accept(ws));
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    return web;
  }

  get url(): string {
    const address = this.http.address();
    return `http://127.0.0.1:${address && typeof address === 'object' ? address.port : 0}/`;
  }

  /** The next page socket to connect (or one already connected and not yet taken). */
  async socket(timeoutMs = 10_000): Promise<ScriptedSocket> {
    const ready = this.ready.shift();
    if (ready) return ready;
    return new Promise((resolve, reject) => {
      const take = (socket: ScriptedSocket) => {
        clearTimeout(timer);
        resolve(socket);
      };
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((waiter) => waiter !== take);
        reject(new Error(`no page connected within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push(take);
    });
  }

  async stop(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
  }

  private accept(socket: WebSocket): void {
    const received: Record<string, unknown>[] = [];
    let wake: (() => void) | undefined;
    socket.on('message', (data) => {
      received.push(JSON.parse(data.toString()) as Record<string, unknown>);
      wake?.();
    });
    let cursor = 0;
    const scripted: ScriptedSocket = {
      socket,
      received,
      send: (frame) => socket.send(JSON.stringify(frame)),
      async nextFrame(type, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          while (cursor < received.length) {
            const frame = received[cursor++]!;
            if (frame.type === type) return frame;
          }
          if (Date.now() > deadline) throw new Error(`no "${type}" frame from the page within ${timeoutMs} ms`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      },
    };
    const waiter = this.waiting.shift();
    if (waiter) waiter(scripted);
    else this.ready.push(scripted);
  }
}
