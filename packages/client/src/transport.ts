import { serverFrameSchema, type ClientFrame, type ServerFrame } from '@strangers/protocol';
import { OPEN, type SocketCloseEvent, type SocketMessageEvent, type WebSocketConstructor, type WebSocketLike } from './socket.js';

export interface TransportHandlers {
  /** A frame from the server, valid against the protocol's schema. */
  frame(frame: ServerFrame): void;
  /** A text frame that is not JSON or fails the schema. */
  unreadable(): void;
  /** The socket closed (or never opened) by itself; not called after `close()`. */
  closed(code: number, reason: string): void;
}

/**
 * One WebSocket at a time: opens it, validates what arrives, reports its close. Events of a
 * socket that was replaced or closed here are ignored.
 */
export class Transport {
  private socket: WebSocketLike | undefined;

  constructor(
    private readonly WebSocketClass: WebSocketConstructor | undefined,
    private readonly handlers: TransportHandlers,
  ) {}

  /** Opens a socket to `url`; throws when the URL is malformed or there is no WebSocket class. */
  open(url: string): void {
    if (!this.WebSocketClass) throw new Error('no WebSocket class');
    const socket = new this.WebSocketClass(url);
    this.socket = socket;
    socket.onmessage = (event: SocketMessageEvent) => {
      if (socket === this.socket && typeof event.data === 'string') this.receive(event.data);
    };
    socket.onclose = (event: SocketCloseEvent) => {
      if (socket !== this.socket) return;
      this.socket = undefined;
      this.handlers.closed(event.code, event.reason);
    };
    // A failed connection also fires `close`, which is where it is handled.
    socket.onerror = () => {};
  }

  isOpen(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** Writes a frame; only call while `isOpen()`. */
  send(frame: ClientFrame): void {
    this.socket!.send(JSON.stringify(frame));
  }

  /** Closes the socket without reporting it, sending `farewell` first when it is open. */
  close(code: number, reason: string, farewell?: ClientFrame): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket && farewell && socket.readyState === OPEN) socket.send(JSON.stringify(farewell));
    socket?.close(code, reason);
  }

  private receive(data: string): void {
    let parsed;
    try {
      parsed = serverFrameSchema.safeParse(JSON.parse(data));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) this.handlers.frame(parsed.data);
    else this.handlers.unreadable();
  }
}
