import type { ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/**
 * A service's Prometheus registry, with the process metrics (CPU, memory, handles, GC) and
 * event-loop lag under their standard names. One per process: both apps keep it as module state.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Answers a `GET /metrics` in the Prometheus text format. */
export function serveMetrics(registry: Registry, response: ServerResponse): void {
  registry.metrics().then(
    (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
    (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${error.message}\n`),
  );
}

/** Metric names of a service's Redis connection counters: spelled out by each app, so a name greps to its definition. */
export interface RedisEventMetricNames {
  errors: `${string}_redis_errors_total`;
  reconnects: `${string}_redis_reconnects_total`;
}

/** What createRedisClient's `onEvent` reports. */
export type RedisConnectionEvent = 'error' | 'reconnecting';

/**
 * The two counters of a service's Redis connections (errors, reconnection attempts) on
 * `registry`; returns the `onEvent` option of createRedisClient that counts them.
 */
export function redisEventCounters(registry: Registry, names: RedisEventMetricNames): (event: RedisConnectionEvent) => void {
  const errors = new Counter({
    name: names.errors,
    help: 'Errors reported by the Redis connections (failed connects, broken sockets)',
    registers: [registry],
  });
  const reconnects = new Counter({
    name: names.reconnects,
    help: 'Reconnection attempts of the Redis connections',
    registers: [registry],
  });
  return (event) => {
    if (event === 'error') errors.inc();
    else reconnects.inc();
  };
}
