import { Cluster, Redis as SingleRedis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from '@strangers/config';
import { registerScripts } from './scripts.js';

/**
 * A connection to the product's Redis: one server (`Redis`) or a Redis Cluster (`Cluster`).
 * Both share ioredis' command interface, so callers issue the same commands either way; the
 * code that must behave differently (blocking reads, pipelines across slots) asks
 * `isCluster(client)`.
 */
export type Redis = SingleRedis | Cluster;

export interface RedisClientSettings {
  /**
   * `redis://[user:pass@]host:port[/db]` (or `rediss://` for TLS): one server.
   * `redis+cluster://[user:pass@]host:port,host:port,…` (or `rediss+cluster://`): a Redis
   * Cluster, reached through any of the listed seed nodes (see `parseRedisUrl`).
   */
  url: string;
  logger: Logger;
  /** Name shown in CLIENT LIST and in our logs, e.g. `gateway-1:commands`. */
  connectionName: string;
  /** Batches commands issued in one tick into one write: the hot path's main saving. */
  autoPipelining?: boolean;
  /** Told of every `error` and `reconnecting` event, e.g. to count them in metrics. */
  onEvent?: (event: 'error' | 'reconnecting') => void;
  /**
   * CA certificate(s) to verify the server with, for `rediss://` URLs whose server
   * certificate is not signed by a public CA. AUTH needs no option: user and password in
   * the URL (`redis://user:pass@host`) are sent by ioredis itself.
   */
  tlsCa?: Buffer | string;
}

/** What a Redis URL names: one server, or a cluster's seed nodes plus the shared AUTH/TLS. */
export type RedisTarget =
  | { kind: 'single'; url: string; tls: boolean }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; tls: boolean; username?: string; password?: string };

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/;
const SINGLE_URL = /^rediss?:\/\/[^\s]+$/;
const NODE = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/;

/**
 * Parses `REDIS_URL`. The cluster form lists seed nodes comma-separated in the authority:
 * `redis+cluster://user:pass@10.0.0.1:7000,10.0.0.2:7000` (IPv6 as `[::1]:7000`); ioredis
 * discovers the rest of the cluster from any of them. Throws on anything else.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const cluster = CLUSTER_URL.exec(url);
  if (cluster) {
    const [, scheme, auth, hostList] = cluster;
    const nodes = hostList!.split(',').map((entry) => {
      const match = NODE.exec(entry.trim());
      const port = Number(match?.[3]);
      if (!match || port < 1 || port > 65535) throw new Error(`bad cluster node "${entry}" (want host:port)`);
      return { host: match[1] ?? match[2]!, port };
    });
    const target: RedisTarget = { kind: 'cluster', nodes, tls: scheme === 'rediss' };
    if (auth) {
      const colon = auth.indexOf(':');
      const user = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
      if (user) target.username = user;
      if (colon >= 0) target.password = decodeURIComponent(auth.slice(colon + 1));
    }
    return target;
  }
  if (SINGLE_URL.test(url) && !url.includes('+cluster')) return { kind: 'single', url, tls: url.startsWith('rediss://') };
  throw new Error('must be redis://host:port, rediss://…, or redis+cluster://host:port,host:port,…');
}

/** True for a valid REDIS_URL (either form); for config schemas. */
export function isValidRedisUrl(url: string): boolean {
  try {
    parseRedisUrl(url);
    return true;
  } catch {
    return false;
  }
}

export function isClusterUrl(url: string): boolean {
  return CLUSTER_URL.test(url);
}

export function isCluster(client: Redis): client is Cluster {
  return client instanceof Cluster;
}

/** The settings each client was made with, so `duplicateRedisClient` can make a sibling. */
const settingsOf = new WeakMap<Redis, RedisClientSettings>();

/**
 * One factory for every Redis connection. Choices worth knowing:
 * - `maxRetriesPerRequest: null` plus an offline queue would hold commands forever during
 *   an outage; we keep a bounded retry count so callers get an error they can answer
 *   (`unavailable`) instead of a hang.
 * - Reconnection never gives up (capped backoff): services outlive a Redis restart.
 * - An `error` listener is always attached: ioredis emits one per failed reconnect and an
 *   unhandled `error` event would crash the process.
 * - Cluster: the same options apply to every node connection (`redisOptions`, so AUTH and
 *   TLS too); reads go to masters only (`scaleReads: 'master'`: a replica may lag, and every
 *   read here decides something); MOVED/ASK redirections and failovers are followed by ioredis.
 */
/** A connection name as CLIENT LIST shows it: characters Redis refuses there become `_`. */
export function redisConnectionName(name: string): string {
  return name.replace(/[^\w:.-]/g, '_');
}

export function createRedisClient(settings: RedisClientSettings): Redis {
  const target = parseRedisUrl(settings.url);
  const options: RedisOptions = {
    connectionName: redisConnectionName(settings.connectionName),
    maxRetriesPerRequest: 2,
    enableAutoPipelining: settings.autoPipelining ?? false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    lazyConnect: false,
  };
  let client: Redis;
  if (target.kind === 'single') {
    // ioredis turns TLS on for `rediss://` by itself; only the CA needs passing.
    if (settings.tlsCa !== undefined && target.tls) options.tls = { ca: settings.tlsCa };
    client = new SingleRedis(target.url, options);
  } else {
    const nodeOptions: RedisOptions = { connectionName: options.connectionName, maxRetriesPerRequest: options.maxRetriesPerRequest };
    if (target.tls) nodeOptions.tls = settings.tlsCa === undefined ? {} : { ca: settings.tlsCa };
    if (target.username !== undefined) nodeOptions.username = target.username;
    if (target.password !== undefined) nodeOptions.password = target.password;
    const clusterOptions: ClusterOptions = {
      redisOptions: nodeOptions,
      scaleReads: 'master',
      enableAutoPipelining: options.enableAutoPipelining,
      maxRedirections: 16,
      // A failed-over slot is retried after this delay (up to maxRedirections times)
      // while the cluster promotes a replica: about 3 s, the order of cluster-node-timeout.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
      // Refresh the slot map periodically too, not only on MOVED: a promoted replica is
      // found even by a connection that has nothing to send.
      slotsRefreshInterval: 2000,
      lazyConnect: false,
    };
    client = new Cluster(target.nodes, clusterOptions);
  }
  settingsOf.set(client, settings);
  registerScripts(client);
  const log = settings.logger.child({ redis: settings.connectionName });
  let lastError = '';
  client.on('error', (error: Error) => {
    // One line per distinct error; a down Redis would otherwise log every retry.
    if (error.message !== lastError) log.warn({ err: error.message }, 'redis error');
    lastError = error.message;
  });
  if (settings.onEvent) {
    const onEvent = settings.onEvent;
    client.on('error', () => onEvent('error'));
    client.on('reconnecting', () => onEvent('reconnecting'));
  }
  client.on('ready', () => {
    if (lastError) log.info('redis connection restored');
    lastError = '';
  });
  return client;
}

/**
 * A new client with the settings `client` was made with (same URL, listeners, scripts),
 * named `<name>:<suffix>`: e.g. one blocking-read connection per stream on a cluster.
 */
export function duplicateRedisClient(client: Redis, suffix: string): Redis {
  const settings = settingsOf.get(client);
  if (!settings) throw new Error('duplicateRedisClient: not made by createRedisClient');
  return createRedisClient({ ...settings, connectionName: `${settings.connectionName}:${suffix}` });
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
export async function waitForRedisReady(client: Redis, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    function onReady() {
      clearTimeout(timer);
      resolve();
    }
    client.once('ready', onReady);
  });
}
