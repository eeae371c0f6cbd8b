export * from './codes.js';
export * from './limits.js';
export * from './client-frames.js';
export * from './server-frames.js';
export * from './codec.js';
export * from './frame-validity.js';
export * from './text-length.js';
