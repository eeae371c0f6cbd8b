import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';

const now = () => performance.now();

/** One delivery as the receiving side saw it: the relayed text and its seq. */
export interface Delivery {
  text: string;
  seq: number;
}

/**
 * One side of a chat for the resume case: keeps what it sent (and the seq each ack gave it),
 * every partner message it received over all its connections, and times its resume. It
 * parses every frame and keeps duplicates on purpose: the case checks the server's
 * exactly-once delivery, so nothing is deduplicated here (unlike the SDK).
 */
export class ResumeClient {
  private socket: WebSocket;
  private token = '';
  chat = '';
  /** True while paired on an open socket: only then does the case send from this side. */
  chatting = false;
  private sent = 0;
  /** Message number → the seq its ack carried. */
  readonly acked = new Map<number, number>();
  readonly received: Delivery[] = [];
  private lastSeq = 0;
  /** performance.now() of the socket's close after the kill, and of the `resumed` frame. */
  closeSeenAt: number | undefined;
  resumedAt: number | undefined;
  /** What the `resumed` frame said (`recovered` unless it says false), or why the resume failed. */
  resumeOutcome: { state: string; chat: string; recovered: boolean } | { failed: string } | undefined;
  private waiters = new Map<string, (frame: Record<string, unknown>) => void>();

  private constructor(
    readonly name: string,
    url: string,
  ) {
    this.socket = this.connect(url);
  }

  /** Opens a fresh session at `url` and resolves on its `welcome`. */
  static async open(name: string, url: string): Promise<ResumeClient> {
    const client = new ResumeClient(name, url);
    const welcome = await client.next('welcome', 30_000);
    client.token = String(welcome.resumeToken);
    return client;
  }

  private connect(url: string): WebSocket {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as Record<string, unknown>));
    socket.on('error', () => {});
    return socket;
  }

  private onFrame(frame: Record<string, unknown>): void {
    switch (frame.type) {
      case 'message': {
        const seq = Number(frame.seq);
        this.received.push({ text: String(frame.text), seq });
        this.lastSeq = Math.max(this.lastSeq, seq);
        break;
      }
      case 'ack':
        this.acked.set(Number(String(frame.id).slice(1)), Number(frame.seq));
        break;
      case 'paired':
        this.chat = String(frame.chat);
        this.chatting = true;
        break;
      case 'resumed':
        this.resumedAt = now();
        this.token = String(frame.resumeToken);
        this.resumeOutcome = { state: String(frame.state), chat: String(frame.chat), recovered: frame.recovered !== false };
        this.chatting = frame.state === 'paired' && frame.chat === this.chat;
        break;
      case 'welcome':
        // A welcome on a resume socket means the session was not found: a new one began.
        if (this.closeSeenAt !== undefined && !this.resumeOutcome) this.resumeOutcome = { failed: 'resume_failed' };
        break;
    }
    const waiter = this.waiters.get(String(frame.type));
    if (waiter) {
      this.waiters.delete(String(frame.type));
      waiter(frame);
    }
  }

  /** Resolves on the next frame of `type`. */
  next(type: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no ${type} frame within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(type, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  join(tag: string): void {
    this.socket.send(JSON.stringify({ type: 'join', interests: [tag], requeue: false }));
  }

  /** Sends the next numbered message; its text names the sender and the number. */
  sendNext(): void {
    const n = ++this.sent;
    this.socket.send(`{"type":"message","text":"${this.name}:${n}","id":"c${n}"}`);
  }

  /**
   * Once the current socket closes (its gateway was killed), resumes at `url` right away
   * with the token and the highest seq seen; resolves on `resumed` (or a failed resume).
   */
  resumeOnClose(url: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.resumeOutcome ??= { failed: `no resumed within ${timeoutMs} ms` };
        resolve();
      }, timeoutMs);
      this.socket.once('close', () => {
        this.closeSeenAt = now();
        this.chatting = false;
        this.socket = this.connect(`${url}?resume=${encodeURIComponent(this.token)}&last=${this.lastSeq}`);
        this.socket.once('close', () => (this.resumeOutcome ??= { failed: 'resume socket closed' }));
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        this.next('resumed', timeoutMs).then(done, () => {});
        this.next('welcome', timeoutMs).then(done, () => {});
      });
    });
  }

  close(): void {
    this.chatting = false;
    this.socket.terminate();
  }
}
