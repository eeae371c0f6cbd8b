export * from './client.js';
export * from './keys.js';
export * from './scripts.js';
export * from './replies.js';
export * from './streams.js';
export * from './events.js';
export * from './owner-token.js';
export * from './session-record.js';
