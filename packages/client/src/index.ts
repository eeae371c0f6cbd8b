export * from './client.js';
export * from './errors.js';
export * from './backoff.js';
export * from './emitter.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
