export * from './config.js';
export * from './turn-credentials.js';
