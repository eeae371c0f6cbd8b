import type { Cluster, Redis } from 'ioredis';
import { startRedisCluster } from './redis-cluster.js';
import { startRedisServer } from './redis-server.js';

/** Which Redis the integration suites run against: `TEST_REDIS=cluster`, or one server (default). */
export function testTopology(): 'single' | 'cluster' {
  return process.env.TEST_REDIS === 'cluster' ? 'cluster' : 'single';
}

/** What a suite needs of its Redis, whichever the topology. */
export interface TestRedisHandle {
  topology: 'single' | 'cluster';
  /** REDIS_URL for the services: `redis://…` or `redis+cluster://…`. */
  url: string;
  /** A client for assertions (a cluster client on a cluster); closed by `stop()`. */
  client(): Redis | Cluster;
  /** SIGKILL (every node of) the Redis: an outage; `start()` brings it back. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the suite's private Redis in the topology `TEST_REDIS` asks for: one
 * `redis-server`, or a 3-master cluster (no replicas) so keys spread over shards.
 */
export async function startTestRedis(): Promise<TestRedisHandle> {
  if (testTopology() === 'cluster') return { topology: 'cluster', ...(await startRedisCluster({ masters: 3 })) };
  return { topology: 'single', ...(await startRedisServer()) };
}
