import { WebSocket, type RawData } from 'ws';

export type Frame = { type: string } & Record<string, unknown>;

export interface ClosedInfo {
  code: number;
  reason: string;
}

/**
 * A WebSocket test client that records every frame and lets a test wait for the next
 * frame of a given type, with a timeout, instead of sleeping.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly texts: string[] = [];
  closed: ClosedInfo | undefined;
  private cursor = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const text = isBinary ? '' : data.toString();
      this.texts.push(text);
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        this.frames.push({ type: '(text)', text });
      }
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const socket = new WebSocket(url, { headers });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return client;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private changed(timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /**
   * Returns the next unread frame of `type` (any type if omitted), skipping over frames of
   * other types. Frames read here are consumed.
   */
  async next<T extends Frame = Frame>(type?: string, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (!type || frame.type === type) return frame as T;
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${type ?? 'a frame'}`);
      await this.changed(Math.max(1, deadline - Date.now()), `frame ${type ?? '(any)'}; got ${JSON.stringify(this.frames.slice(-3))}`);
    }
  }

  /** Waits until a frame satisfying `match` has been received (at any time). */
  async seen(match: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) before the expected frame`);
      await this.changed(Math.max(1, deadline - Date.now()), 'a matching frame');
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<ClosedInfo> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) await this.changed(Math.max(1, deadline - Date.now()), 'close');
    return this.closed;
  }

  /** Skips everything received so far; later `next` calls see only new frames. */
  drain(): void {
    this.cursor = this.frames.length;
  }

  close(): void {
    this.socket.close();
  }

  terminate(): void {
    this.socket.terminate();
  }
}
