import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type { ClientKind } from './systems.js';

/** One side of a relay pair, whatever the system speaks. `onText` gets the relayed text only. */
export interface Endpoint {
  send(text: string): void;
  onText: (text: string) => void;
  close(): void;
}

/** The prefix of a relayed chat message as the gateway encodes it (fast path: no JSON.parse). */
const MESSAGE_PREFIX = '{"type":"message","text":"';

/** A lean product client: waits for frames by type without keeping every frame (unlike TestClient). */
export class ProductSocket {
  onFrame: ((frame: Record<string, unknown>, raw: string) => void) | undefined;
  onMessageText: ((text: string) => void) | undefined;
  private waiters: { type: string; resolve: (frame: Record<string, unknown>) => void }[] = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.onData(data.toString()));
    socket.on('error', () => {});
  }

  static open(url: string): Promise<ProductSocket> {
    const client = new ProductSocket(new WebSocket(url, { perMessageDeflate: false }));
    return new Promise((resolve, reject) => {
      client.socket.once('error', reject);
      client.next('welcome', 30_000).then(() => resolve(client), reject);
    });
  }

  private onData(raw: string): void {
    if (this.onMessageText && raw.startsWith(MESSAGE_PREFIX)) {
      this.onMessageText(raw.slice(MESSAGE_PREFIX.length));
      return;
    }
    if (raw.startsWith('{"type":"ack"')) return;
    const frame = JSON.parse(raw) as Record<string, unknown>;
    const index = this.waiters.findIndex((waiter) => waiter.type === frame.type);
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(frame);
    this.onFrame?.(frame, raw);
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  next(type: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} frame within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

function rawEndpoint(url: string): Promise<Endpoint> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const endpoint: Endpoint = {
    send: (text) => socket.send(text),
    onText: () => {},
    close: () => socket.terminate(),
  };
  socket.on('message', (data) => endpoint.onText(data.toString()));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(endpoint));
    socket.once('error', reject);
  });
}

function socketIoEndpoint(url: string, pair: number, side: string): Promise<Endpoint> {
  const socket: Socket = io(url, { transports: ['websocket'], query: { pair: String(pair), side }, forceNew: true, reconnection: false });
  const endpoint: Endpoint = {
    send: (text) => socket.emit('m', text),
    onText: () => {},
    close: () => socket.disconnect(),
  };
  socket.on('m', (text: string) => endpoint.onText(text));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(endpoint));
    socket.once('connect_error', reject);
  });
}

/**
 * Connects both sides of pair `pair` and, for the product, pairs them through the matcher:
 * a tag unique to the pair as the only interest makes the matcher put exactly these two
 * together (the bench matcher runs with a long interest fallback).
 */
export async function connectPair(kind: ClientKind, urlA: string, urlB: string, pair: number): Promise<[Endpoint, Endpoint]> {
  if (kind === 'raw') {
    return Promise.all([rawEndpoint(`${urlA}?pair=${pair}&side=a`), rawEndpoint(`${urlB}?pair=${pair}&side=b`)]);
  }
  if (kind === 'socketio') {
    return Promise.all([socketIoEndpoint(urlA, pair, 'a'), socketIoEndpoint(urlB, pair, 'b')]);
  }
  const [a, b] = await Promise.all([ProductSocket.open(urlA), ProductSocket.open(urlB)]);
  const tag = `bench-${pair}`;
  const pairedA = a.next('paired', 30_000);
  const pairedB = b.next('paired', 30_000);
  a.send({ type: 'join', interests: [tag], requeue: false });
  b.send({ type: 'join', interests: [tag], requeue: false });
  const [frameA, frameB] = await Promise.all([pairedA, pairedB]);
  if (frameA.chat !== frameB.chat) throw new Error(`pair ${pair}: the matcher paired its sides with others`);
  return [a, b].map((client) => {
    const endpoint: Endpoint = {
      send: (text) => client.socket.send(`{"type":"message","text":"${text}"}`),
      onText: () => {},
      close: () => client.close(),
    };
    client.onMessageText = (text) => endpoint.onText(text);
    return endpoint;
  }) as [Endpoint, Endpoint];
}
