import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '@strangers/config';
import { registerScripts } from './scripts.js';

export interface RedisClientSettings {
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

/**
 * One factory for every Redis connection. Choices worth knowing:
 * - `maxRetriesPerRequest: null` plus an offline queue would hold commands forever during
 *   an outage; we keep a bounded retry count so callers get an error they can answer
 *   (`unavailable`) instead of a hang.
 * - Reconnection never gives up (capped backoff): services outlive a Redis restart.
 * - An `error` listener is always attached: ioredis emits one per failed reconnect and an
 *   unhandled `error` event would crash the process.
 */
export function createRedisClient(settings: RedisClientSettings): Redis {
  const options: RedisOptions = {
    connectionName: settings.connectionName.replace(/[^\w:.-]/g, '_'),
    maxRetriesPerRequest: 2,
    enableAutoPipelining: settings.autoPipelining ?? false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    lazyConnect: false,
  };
  // ioredis turns TLS on for `rediss://` by itself; only the CA needs passing.
  if (settings.tlsCa !== undefined && settings.url.startsWith('rediss://')) options.tls = { ca: settings.tlsCa };
  const client = new Redis(settings.url, options);
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

export type { Redis } from 'ioredis';
