import { randomBytes } from 'node:crypto';
import { startRedisServer, type RedisServerHandle } from '@strangers/testkit';
import { getFreePort, launch, type ServerProcess } from './processes.js';

/** How a load client speaks to a system: the product's JSON protocol, raw ws frames, or Socket.IO. */
export type ClientKind = 'product' | 'raw' | 'socketio';

export type SystemName = 'product' | 'bare-ws' | 'ws-redis' | 'socketio';

export const systemLabels: Record<SystemName, string> = {
  product: 'strangers (product)',
  'bare-ws': 'bare ws, 1 process',
  'ws-redis': 'bare ws + Redis Streams, 2 processes',
  socketio: 'Socket.IO + redis-streams-adapter, 2 servers',
};

/** A running system under test: side A and side B of every pair connect to these URLs. */
export interface System {
  name: SystemName;
  kind: ClientKind;
  urlA: string;
  urlB: string;
  /** The processes doing the relay work (profiled and measured). */
  servers: ServerProcess[];
  matcher?: ServerProcess;
  redis?: RedisServerHandle;
  stop(): Promise<void>;
}

export interface SystemOptions {
  /** Run the product from source through tsx (smoke mode) instead of the built dist. */
  fromSource: boolean;
  /** Extra node flags for the product gateways, e.g. `--cpu-prof`. */
  gatewayNodeArgs?: string[];
  /** Extra settings for the product gateways, e.g. the content filters (filters-case.ts). */
  gatewayEnv?: Record<string, string>;
  matcherEnv?: Record<string, string>;
  /** Extra node flags for the matcher, e.g. `--cpu-prof`. */
  matcherNodeArgs?: string[];
}

/** One secret per bench run, shared by its gateways. */
const benchIpHashSalt = randomBytes(32).toString('hex');

export async function startGatewayProcess(redisUrl: string, id: string, options: SystemOptions): Promise<ServerProcess> {
  const port = await getFreePort();
  return launch({
    name: `gateway ${id}`,
    script: options.fromSource ? 'apps/gateway/src/main.ts' : 'apps/gateway/dist/main.js',
    env: {
      REDIS_URL: redisUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      GATEWAY_ID: id,
      IP_HASH_SALT: benchIpHashSalt,
      // The per-session rate limit is policy, not relay cost: lift it so the fixed rates are what is measured.
      CHAT_RATE_PER_SECOND: '1000000',
      CHAT_RATE_BURST: '1000000',
      ...options.gatewayEnv,
    },
    readyPath: '/readyz',
    port,
    nodeArgs: options.gatewayNodeArgs,
  });
}

export async function startMatcherProcess(redisUrl: string, options: SystemOptions): Promise<ServerProcess> {
  const port = await getFreePort();
  return launch({
    name: 'matcher',
    script: options.fromSource ? 'apps/matcher/src/main.ts' : 'apps/matcher/dist/main.js',
    env: { REDIS_URL: redisUrl, METRICS_PORT: String(port), LOG_LEVEL: 'warn', ...options.matcherEnv },
    readyPath: '/readyz',
    port,
    nodeArgs: options.matcherNodeArgs,
  });
}

async function startYardstick(name: string, file: string, env: Record<string, string>): Promise<ServerProcess> {
  const port = await getFreePort();
  return launch({ name, script: `bench/yardsticks/${file}`, env: { PORT: String(port), ...env }, port });
}

async function stopAll(processes: (ServerProcess | undefined)[], redis?: RedisServerHandle): Promise<void> {
  await Promise.all(processes.map((process) => process?.stop()));
  await redis?.stop();
}

/** Starts one system on its own private redis-server (nothing is shared between runs). */
export async function startSystem(name: SystemName, options: SystemOptions): Promise<System> {
  const ws = (server: ServerProcess, path = '') => `ws://127.0.0.1:${server.port}${path}`;
  if (name === 'bare-ws') {
    const server = await startYardstick('bare ws', 'bare-ws-relay.ts', {});
    return { name, kind: 'raw', urlA: ws(server), urlB: ws(server), servers: [server], stop: () => stopAll([server]) };
  }
  const redis = await startRedisServer();
  if (name === 'ws-redis') {
    const a = await startYardstick('ws-redis a', 'ws-redis-relay.ts', { NODE_ID: 'a', REDIS_URL: redis.url });
    const b = await startYardstick('ws-redis b', 'ws-redis-relay.ts', { NODE_ID: 'b', REDIS_URL: redis.url });
    return { name, kind: 'raw', urlA: ws(a), urlB: ws(b), servers: [a, b], redis, stop: () => stopAll([a, b], redis) };
  }
  if (name === 'socketio') {
    const a = await startYardstick('socket.io a', 'socketio-relay.ts', { REDIS_URL: redis.url });
    const b = await startYardstick('socket.io b', 'socketio-relay.ts', { REDIS_URL: redis.url });
    const http = (server: ServerProcess) => `http://127.0.0.1:${server.port}`;
    return { name, kind: 'socketio', urlA: http(a), urlB: http(b), servers: [a, b], redis, stop: () => stopAll([a, b], redis) };
  }
  const matcher = await startMatcherProcess(redis.url, options);
  const a = await startGatewayProcess(redis.url, 'gw-a', options);
  const b = await startGatewayProcess(redis.url, 'gw-b', options);
  return {
    name,
    kind: 'product',
    urlA: ws(a, '/ws'),
    urlB: ws(b, '/ws'),
    servers: [a, b],
    matcher,
    redis,
    stop: () => stopAll([a, b, matcher], redis),
  };
}
