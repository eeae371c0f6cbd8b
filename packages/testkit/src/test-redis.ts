import { startRedisCluster, type RedisClusterHandle } from './redis-cluster.js';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';
import type { TestCertificates } from './certificates.js';

/** Which Redis the integration suites run against: `TEST_REDIS=cluster`, or one server (default). */
export function testTopology(): 'single' | 'cluster' {
  return process.env.TEST_REDIS === 'cluster' ? 'cluster' : 'single';
}

/**
 * What a suite needs of its Redis, whichever the topology: `url` (REDIS_URL for the
 * services: `redis://…` or `redis+cluster://…`, `rediss…` with TLS), `client()` for
 * assertions, `kill()` (SIGKILL the server, or every node: an outage) and `start()`, `stop()`.
 * A suite that must act on one node of a cluster narrows on `topology`.
 */
export type TestRedisHandle = ({ topology: 'single' } & RedisServerHandle) | ({ topology: 'cluster' } & RedisClusterHandle);

export interface TestRedisOptions {
  /** Extra `redis-server` arguments (every node's, on a cluster), e.g. `['--appendonly', 'yes']`. */
  args?: string[];
  /** Every node requires this password; `url` carries it. */
  password?: string;
  /** Every node serves TLS only; `url` is `rediss://` or `rediss+cluster://`. */
  tls?: TestCertificates;
}

/**
 * Starts the suite's private Redis in the topology `TEST_REDIS` asks for: one
 * `redis-server`, or a 3-master cluster (no replicas) so keys spread over shards.
 */
export async function startTestRedis(options: TestRedisOptions = {}): Promise<TestRedisHandle> {
  if (testTopology() === 'cluster') return { topology: 'cluster', ...(await startRedisCluster({ masters: 3, ...options })) };
  return { topology: 'single', ...(await startRedisServer(options)) };
}

/** The port of every node: the one server's, or each cluster node's. */
export function nodePorts(redis: TestRedisHandle): number[] {
  return redis.topology === 'cluster' ? redis.nodes.map((node) => node.port) : [redis.port];
}
