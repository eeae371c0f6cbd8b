export * from './config.js';
export * from './turn-credentials.js';
export * from './signal-data.js';
export * from './signal-limiter.js';
export * from './signal-rules.js';
export * from './relay-only.js';
