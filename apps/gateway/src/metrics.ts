import { createMetricsRegistry, redisEventCounters } from '@strangers/config';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Session } from './chat/session.js';

/**
 * Every Prometheus metric the gateway exports, on one registry served at `/metrics`.
 * One gateway runs per process, so the registry is module state: call sites stay one line
 * (`metrics.joins.inc()`), and docs/deploying.md explains each metric.
 */
export const registry = createMetricsRegistry();

/** What a connection exposes for the on-scrape gauges; the gateway's connection map holds them. */
interface SessionHolder {
  session: Pick<Session, 'state'>;
  /** False while the client is away within its resume grace (the session lives on). */
  readonly attached: boolean;
}

interface ConnectionMap {
  values(): Iterable<SessionHolder>;
}

let connectionMap: ConnectionMap = new Map<string, SessionHolder>();

const SESSION_STATES: readonly Session['state'][] = ['idle', 'waiting', 'paired'];

export const metrics = {
  connections: new Gauge({
    name: 'strangers_gateway_connections',
    help: 'Open /ws connections on this gateway',
    registers: [registry],
    collect() {
      let open = 0;
      for (const connection of connectionMap.values()) if (connection.attached) open += 1;
      this.set(open);
    },
  }),
  sessions: new Gauge({
    name: 'strangers_gateway_sessions',
    help: 'Sessions on this gateway by state (idle, waiting, paired), detached ones within their resume grace included',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(SESSION_STATES.map((state) => [state, 0]));
      for (const { session } of connectionMap.values()) counts.set(session.state, (counts.get(session.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  }),
  joins: new Counter({
    name: 'strangers_gateway_joins_total',
    help: 'Times a session entered the queue (join, next, report, automatic requeue)',
    registers: [registry],
  }),
  messagesRelayed: new Counter({
    name: 'strangers_gateway_messages_relayed_total',
    help: 'Partner messages delivered to clients of this gateway',
    registers: [registry],
  }),
  relayLatency: new Histogram({
    name: 'strangers_gateway_relay_latency_seconds',
    help: "From the sender's gateway accepting a message to this gateway delivering it",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  rateLimitHits: new Counter({
    name: 'strangers_gateway_rate_limit_hits_total',
    help: 'Frames refused by a rate limit, by surface (chat = /ws, room = /chat/{user}, report = reports per address)',
    labelNames: ['surface'] as const,
    registers: [registry],
  }),
  upgradesRefused: new Counter({
    name: 'strangers_gateway_upgrades_refused_total',
    help: 'WebSocket upgrades refused by admission control, by HTTP status (403 origin, 429 per-address limits, 503 full)',
    labelNames: ['status'] as const,
    registers: [registry],
  }),
  connectionsCut: new Counter({
    name: 'strangers_gateway_connections_cut_total',
    help: 'Connections the gateway cut, by reason (heartbeat, backpressure, abuse)',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  signals: new Counter({
    name: 'strangers_gateway_signals_total',
    help: 'WebRTC signals of audio/video chats, by outcome (relayed to the partner, refused with an error, dropped for a detached or departed partner)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  resumes: new Counter({
    name: 'strangers_gateway_resumes_total',
    help: 'Sessions resumed on this gateway after a reconnect',
    registers: [registry],
  }),
  deadGatewayStreamsDeleted: new Counter({
    name: 'strangers_gateway_dead_gateway_streams_deleted_total',
    help: 'Control streams and message inboxes of dead gateway ids this gateway deleted (past DEAD_GATEWAY_STREAM_RETENTION_MS)',
    registers: [registry],
  }),
  redisUsedMemory: new Gauge({
    name: 'strangers_gateway_redis_used_memory_bytes',
    help: "Redis's used_memory (INFO memory), per Redis node (a cluster's masters), sampled every REDIS_MEMORY_SAMPLE_MS",
    labelNames: ['node'] as const,
    registers: [registry],
  }),
  redisMaxMemory: new Gauge({
    name: 'strangers_gateway_redis_maxmemory_bytes',
    help: "Redis's maxmemory (0: unbounded), per Redis node, sampled with the used memory",
    labelNames: ['node'] as const,
    registers: [registry],
  }),
};

// Exported at zero before the first event, so dashboards and alerts see the series at once.
metrics.rateLimitHits.inc({ surface: 'chat' }, 0);
metrics.rateLimitHits.inc({ surface: 'room' }, 0);
metrics.rateLimitHits.inc({ surface: 'report' }, 0);

/** Lets the on-scrape gauges read the gateway's live connections. */
export function watchConnections(connections: ConnectionMap): void {
  connectionMap = connections;
}

/** A partner message reached its client; `sentAt` is the ms timestamp the sender's gateway stamped. */
export function messageDelivered(sentAt: number): void {
  metrics.messagesRelayed.inc();
  // Clocks of two hosts may differ a little: never record a negative latency.
  metrics.relayLatency.observe(Math.max(0, Date.now() - sentAt) / 1000);
}

/** The `onEvent` option of createRedisClient: counts errors and reconnection attempts. */
export const countRedisEvent = redisEventCounters(registry, {
  errors: 'strangers_gateway_redis_errors_total',
  reconnects: 'strangers_gateway_redis_reconnects_total',
});
