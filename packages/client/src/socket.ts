/**
 * The part of a WHATWG WebSocket the SDK uses: the browser's `WebSocket`, Node 22's global
 * one and the `ws` package all fit. Handlers are assigned as `on*` properties because every
 * implementation supports those identically.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

/**
 * A WebSocket class. Handler parameters are typed `never` above so that the browser's,
 * Node's and `ws`'s own event types are all assignable; the SDK reads only the fields below.
 */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SocketMessageEvent {
  data: unknown;
}

export interface SocketCloseEvent {
  code: number;
  reason: string;
}

/** `readyState` value of an open socket (the same constant in every implementation). */
export const OPEN = 1;

/** The global WebSocket class when the runtime has one (browsers, Node ≥ 22). */
export function globalWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
}

/** `url` with the resume parameters of PROTOCOL.md "Resume" set (replacing any already there). */
export function resumeUrl(url: string, token: string, lastSeq: number): string {
  const resumed = new URL(url);
  resumed.searchParams.set('resume', token);
  resumed.searchParams.set('last', String(lastSeq));
  return resumed.toString();
}
