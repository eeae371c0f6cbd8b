export * from './ports.js';
export * from './wait.js';
export * from './redis-server.js';
export * from './services.js';
export * from './ws-client.js';
export * from './redis-cluster.js';
export * from './test-redis.js';
export * from './certificates.js';
