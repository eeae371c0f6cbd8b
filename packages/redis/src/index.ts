export * from './client.js';
export * from './keys.js';
export * from './scripts.js';
export * from './streams.js';
export * from "./events.js";
