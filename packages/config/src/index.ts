export * from './env.js';
export * from './logger.js';
export * from './service/metrics.js';
export * from './service/runner.js';
export * from './service/status.js';
export * from './address/address-hash.js';
export * from './address/address-key.js';
export * from './address/hash-secret.js';
