import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { addressHashEnvSchema, addressHashKey, checkAddressHashSecret, envField, parseEnv } from '@strangers/config';
import { loadMediaConfig, type MediaConfig } from '@strangers/media';
import { defaultLimits } from '@strangers/protocol';
import { defaultChatBuckets, isClusterUrl, isValidRedisUrl } from '@strangers/redis';
import { gatewayModerationEnvSchema, moderationSettingsFromEnv, type GatewayModerationSettings } from './moderation/settings.js';
import { safetyConfigFromEnv, safetyEnvSchema, type SafetyConfig } from '@strangers/safety';
import type { GatewayMatchingSettings } from './preferences/matching-settings.js';

/** A comma-separated list; entries trimmed, empty ones dropped. */
const commaList = () =>
  z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .optional();

/** The gateway's own variables; `gatewayEnvSchema` adds the safety ones (packages/safety). */
const gatewayOwnEnvSchema = z.object({
  /** One server (`redis://`, `rediss://`) or a cluster (`redis+cluster://host:port,host:port,…`). */
  REDIS_URL: z
    .string()
    .refine(isValidRedisUrl, 'must be redis://host:port, rediss://…, or redis+cluster://host:port,host:port,…')
    .default('redis://127.0.0.1:6379'),
  PORT: envField.port(8080),
  HOST: z.string().default('0.0.0.0'),
  GATEWAY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 chars of [A-Za-z0-9_.-]')
    .default(() => `gw-${randomBytes(4).toString('hex')}`),
  LOG_LEVEL: envField.logLevel(),
  MAX_FRAME_BYTES: envField.positiveInt(defaultLimits.maxFrameBytes),
  MAX_TEXT_LENGTH: envField.positiveInt(defaultLimits.maxTextLength),
  MAX_INTERESTS: envField.positiveInt(defaultLimits.maxInterests),
  MAX_INTEREST_LENGTH: envField.positiveInt(defaultLimits.maxInterestLength),
  /** Chat buckets (see packages/redis/src/keys.ts); must match the matcher's. Default: 1, or 16 on a cluster. */
  CHAT_BUCKETS: z.coerce.number().int().positive().optional(),
  /** Messages kept per chat for resume. */
  HISTORY_MAX_MESSAGES: envField.positiveInt(500),
  /** Bytes of message text kept per chat for resume (as well as the count); the oldest go first. */
  HISTORY_MAX_BYTES: envField.positiveInt(64 * 1024),
  /** Approximate bound on the matcher's event stream `{m}:events` (a safety net should the matcher stop reading). */
  EVENTS_MAX_LENGTH: envField.positiveInt(1_000_000),
  /** Reports one client address may make per REPORT_WINDOW_MS on this gateway; more: `error rate_limited`, no block. */
  REPORTS_PER_IP: envField.positiveInt(10),
  REPORT_WINDOW_MS: envField.positiveInt(10 * 60_000),
  /** Longest a chat's keys live without ending (a safety net against leaks). */
  CHAT_TTL_SECONDS: envField.positiveInt(24 * 3600),
  /** Approximate bound on each gateway inbox stream. */
  INBOX_MAX_LENGTH: envField.positiveInt(100_000),
  /** How long a session whose connection dropped can be resumed, on any gateway. */
  RESUME_GRACE_MS: envField.positiveInt(15_000),
  /** The grace after a clean close (1000/1001, a closed tab): a reload still resumes, the partner is told soon. */
  RESUME_GRACE_CLEAN_MS: envField.positiveInt(3000),
  /** How often this gateway publishes its session count and reads everyone's. */
  ONLINE_INTERVAL_MS: envField.positiveInt(2000),
  /** Directory of the built web client served at `/` (from src/ or dist/ alike: apps/web/dist). */
  WEB_DIR: z.string().min(1).default(() => fileURLToPath(new URL('../../web/dist', import.meta.url))),
  /** Shared room: approximate bound on the room event stream (what a reconnecting gateway can catch up on). */
  ROOM_EVENTS_MAX_LENGTH: envField.positiveInt(10_000),
  /** Shared room: messages per second one connection may send (token bucket rate)… */
  ROOM_RATE_PER_SECOND: envField.positiveInt(5),
  /** …and the burst it may send at once. */
  ROOM_RATE_BURST: envField.positiveInt(10),
  /** Shared room: ping interval; a client that has not answered the previous ping is dropped. */
  ROOM_HEARTBEAT_MS: envField.positiveInt(30_000),
  /** TTL of this gateway's liveness key; once it lapses, sweepers release its room names. */
  GATEWAY_ALIVE_TTL_MS: envField.positiveInt(3000),
  /** How often the liveness key is refreshed (and dead gateways swept). */
  GATEWAY_ALIVE_INTERVAL_MS: envField.positiveInt(1000),
  /**
   * How long a dead gateway id's streams (control stream, message inboxes) are kept: deleted
   * once the id was unseen and each stream unwritten for this long. Far longer than any outage
   * the product rides out (a gateway back from one still reads its inbox); see
   * `retentionProblem`.
   */
  DEAD_GATEWAY_STREAM_RETENTION_MS: envField.positiveInt(60 * 60_000),
  /** PEM file of the CA that signed the Redis server's certificate (`rediss://` URLs); read at startup. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  /** `/ws`: messages (and every other non-typing frame) per second one connection may send… */
  CHAT_RATE_PER_SECOND: envField.positiveInt(10),
  /** …and the burst it may send at once; over it: `error rate_limited`, the frame is dropped. */
  CHAT_RATE_BURST: envField.positiveInt(20),
  /** `/ws`: typing frames per second and burst; over it they are dropped silently. */
  TYPING_RATE_PER_SECOND: envField.positiveInt(5),
  TYPING_RATE_BURST: envField.positiveInt(10),
  /** Consecutive rate-limited frames after which the connection is closed with 1008. */
  RATE_LIMIT_CLOSE_AFTER: envField.positiveInt(50),
  /** Open WebSocket connections (both paths) on this gateway; more: upgrade refused with 503. */
  MAX_CONNECTIONS: envField.positiveInt(50_000),
  /** Open connections from one client address on this gateway; more: 429. */
  MAX_CONNECTIONS_PER_IP: envField.positiveInt(20),
  /** Upgrade requests per second from one client address (burst twice that); more: 429. */
  UPGRADES_PER_IP_PER_SECOND: envField.positiveInt(5),
  /** Apply the per-address limits to loopback clients too (default: loopback is exempt). */
  LIMIT_LOOPBACK: envField.boolean(false),
  /** Proxies whose `X-Forwarded-For` is believed: addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`. Unset: the header is ignored. */
  TRUST_PROXY: commaList(),
  /** Origins allowed to open WebSockets, e.g. `https://chat.example.com`; unset = all. Refused: 403. */
  ALLOWED_ORIGINS: commaList(),
  /** Serve `/metrics` on a listener of its own at this port (unset: on the public port, as before; `/metrics` then stays there). */
  GATEWAY_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Address of the metrics listener. */
  GATEWAY_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Slowloris bounds: the whole request head must arrive within this… */
  HTTP_HEADERS_TIMEOUT_MS: envField.positiveInt(10_000),
  /** …the whole request within this… */
  HTTP_REQUEST_TIMEOUT_MS: envField.positiveInt(30_000),
  /** …and an idle keep-alive connection is closed after this. */
  HTTP_KEEPALIVE_TIMEOUT_MS: envField.positiveInt(5000),
  /** Open TCP connections (plain HTTP and WebSocket) from one client address; more are closed at once. Trusted proxies and loopback (unless LIMIT_LOOPBACK) are exempt. */
  MAX_HTTP_CONNECTIONS_PER_IP: envField.positiveInt(64),
  /** `/chat/users` and `/online` requests per second from one client address (burst twice that); more: 429. */
  API_REQUESTS_PER_IP_PER_SECOND: envField.positiveInt(5),
  /** How often Redis's INFO memory is sampled for the memory gauges. */
  REDIS_MEMORY_SAMPLE_MS: envField.positiveInt(15_000),
  /** `/ws` ping interval; a connection that missed two pongs is terminated (and enters the resume grace). */
  HEARTBEAT_INTERVAL_MS: envField.positiveInt(15_000),
  /** A `/ws` client with more unsent bytes than this is not reading: it is terminated. */
  MAX_BUFFERED_BYTES: envField.positiveInt(1024 * 1024),
  /** How long after a chat ended by `next` or `left` either side may ask for a `rematch`. */
  REMATCH_WINDOW_MS: envField.positiveInt(60_000),
  /** Adults only: a join with `adult:false`, or without `adult`, is refused with `not_allowed`. */
  ADULTS_ONLY: envField.boolean(false),
  /** A join must say `adult` (else `not_allowed`); without it, unknown ages only meet unknown ages. */
  AGE_REQUIRED: envField.boolean(false),
  /** Age-check provider: every join is POSTed `{session, adult}` and needs `{allowed:true}` back (fail-closed). */
  AGE_CHECK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** How long the provider may take before the join is refused with `unavailable`. */
  AGE_CHECK_TIMEOUT_MS: envField.positiveInt(2000),
}).extend(gatewayModerationEnvSchema.shape);

/**
 * Every environment variable the gateway reads: its own and the safety settings (proof of
 * work, filters, moderation hook, abuse scoring; docs/abuse-prevention.md). README's
 * configuration table mirrors it.
 */
export const gatewayEnvSchema = gatewayOwnEnvSchema.extend(safetyEnvSchema.shape).extend(addressHashEnvSchema.shape);

/** DEAD_GATEWAY_STREAM_RETENTION_MS must be at least this many times the longest a dead gateway's sessions stay resumable. */
export const RETENTION_MIN_FACTOR = 3;

/**
 * Why the dead-gateway stream retention is too short, or undefined. A gateway cut off from
 * Redis keeps its sessions only while it is back within its liveness TTL plus the resume grace
 * (after that, reapers have orphaned and ended them); its inbox must outlive that by a wide
 * margin. Outages in which no reaper runs (all of Redis down) can be longer still: the default
 * (1 h) covers those; this is only the floor.
 */
export function retentionProblem(env: Pick<GatewayEnv, 'DEAD_GATEWAY_STREAM_RETENTION_MS' | 'GATEWAY_ALIVE_TTL_MS' | 'RESUME_GRACE_MS' | 'RESUME_GRACE_CLEAN_MS'>): string | undefined {
  const floor = RETENTION_MIN_FACTOR * (env.GATEWAY_ALIVE_TTL_MS + Math.max(env.RESUME_GRACE_MS, env.RESUME_GRACE_CLEAN_MS));
  if (env.DEAD_GATEWAY_STREAM_RETENTION_MS >= floor) return undefined;
  return `must be at least ${RETENTION_MIN_FACTOR} × (GATEWAY_ALIVE_TTL_MS + the longer resume grace) = ${floor} ms: a gateway back from an outage must still find its inbox`;
}

const checkedGatewayEnvSchema = gatewayEnvSchema.superRefine((env, context) => {
  const retention = retentionProblem(env);
  if (retention) context.addIssue({ code: 'custom', path: ['DEAD_GATEWAY_STREAM_RETENTION_MS'], message: retention });
  checkAddressHashSecret(env, context);
});

export type GatewayEnv = z.output<typeof gatewayEnvSchema>;

export interface GatewayConfig {
  redisUrl: string;
  port: number;
  host: string;
  gatewayId: string;
  logLevel: string;
  limits: {
    maxFrameBytes: number;
    maxTextLength: number;
    maxInterests: number;
    maxInterestLength: number;
  };
  chatBuckets: number;
  historyMaxMessages: number;
  historyMaxBytes: number;
  eventsMaxLength: number;
  reportLimit: { count: number; windowMs: number };
  chatTtlSeconds: number;
  inboxMaxLength: number;
  onlineIntervalMs: number;
  ipHashSalt: string;
  resumeGraceMs: number;
  resumeGraceCleanMs: number;
  webDir: string;
  room: {
    eventsMaxLength: number;
    ratePerSecond: number;
    rateBurst: number;
    heartbeatMs: number;
  };
  alive: { ttlMs: number; intervalMs: number };
  /** DEAD_GATEWAY_STREAM_RETENTION_MS (cluster/dead-gateway-sweep.ts). */
  deadGatewayStreamRetentionMs: number;
  /** CA certificate for `rediss://`, read from REDIS_TLS_CA_FILE. */
  redisTlsCa: Buffer | undefined;
  chatRate: { perSecond: number; burst: number };
  typingRate: { perSecond: number; burst: number };
  rateLimitCloseAfter: number;
  connectionLimits: { maxConnections: number; maxConnectionsPerIp: number; upgradesPerIpPerSecond: number; limitLoopback: boolean };
  trustProxy: string[] | undefined;
  allowedOrigins: string[] | undefined;
  heartbeatIntervalMs: number;
  maxBufferedBytes: number;
  /** Report retention and evidence bounds (moderation/settings.ts). */
  moderation: GatewayModerationSettings;
  /** Proof of work, filters, moderation hook, abuse scoring (the word file already read). */
  safety: SafetyConfig;
  /** A metrics listener of its own, or undefined: `/metrics` on the public port. */
  metricsListener: { port: number; host: string } | undefined;
  http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number; maxConnectionsPerIp: number; apiRequestsPerIpPerSecond: number };
  redisMemorySampleMs: number;
  matching: GatewayMatchingSettings;
  /** Audio/video calls: TURN credentials and signal limits (packages/media's own variables, docs/video.md). */
  media: MediaConfig;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = parseEnv(checkedGatewayEnvSchema, env);
  return {
    redisUrl: parsed.REDIS_URL,
    port: parsed.PORT,
    host: parsed.HOST,
    gatewayId: parsed.GATEWAY_ID,
    logLevel: parsed.LOG_LEVEL,
    limits: {
      maxFrameBytes: parsed.MAX_FRAME_BYTES,
      maxTextLength: parsed.MAX_TEXT_LENGTH,
      maxInterests: parsed.MAX_INTERESTS,
      maxInterestLength: parsed.MAX_INTEREST_LENGTH,
    },
    chatBuckets: parsed.CHAT_BUCKETS ?? defaultChatBuckets(isClusterUrl(parsed.REDIS_URL)),
    historyMaxMessages: parsed.HISTORY_MAX_MESSAGES,
    historyMaxBytes: parsed.HISTORY_MAX_BYTES,
    eventsMaxLength: parsed.EVENTS_MAX_LENGTH,
    reportLimit: { count: parsed.REPORTS_PER_IP, windowMs: parsed.REPORT_WINDOW_MS },
    chatTtlSeconds: parsed.CHAT_TTL_SECONDS,
    inboxMaxLength: parsed.INBOX_MAX_LENGTH,
    onlineIntervalMs: parsed.ONLINE_INTERVAL_MS,
    ipHashSalt: addressHashKey(parsed),
    resumeGraceMs: parsed.RESUME_GRACE_MS,
    resumeGraceCleanMs: parsed.RESUME_GRACE_CLEAN_MS,
    webDir: parsed.WEB_DIR,
    room: {
      eventsMaxLength: parsed.ROOM_EVENTS_MAX_LENGTH,
      ratePerSecond: parsed.ROOM_RATE_PER_SECOND,
      rateBurst: parsed.ROOM_RATE_BURST,
      heartbeatMs: parsed.ROOM_HEARTBEAT_MS,
    },
    alive: { ttlMs: parsed.GATEWAY_ALIVE_TTL_MS, intervalMs: parsed.GATEWAY_ALIVE_INTERVAL_MS },
    deadGatewayStreamRetentionMs: parsed.DEAD_GATEWAY_STREAM_RETENTION_MS,
    redisTlsCa: parsed.REDIS_TLS_CA_FILE === undefined ? undefined : readFileSync(parsed.REDIS_TLS_CA_FILE),
    chatRate: { perSecond: parsed.CHAT_RATE_PER_SECOND, burst: parsed.CHAT_RATE_BURST },
    typingRate: { perSecond: parsed.TYPING_RATE_PER_SECOND, burst: parsed.TYPING_RATE_BURST },
    rateLimitCloseAfter: parsed.RATE_LIMIT_CLOSE_AFTER,
    connectionLimits: {
      maxConnections: parsed.MAX_CONNECTIONS,
      maxConnectionsPerIp: parsed.MAX_CONNECTIONS_PER_IP,
      upgradesPerIpPerSecond: parsed.UPGRADES_PER_IP_PER_SECOND,
      limitLoopback: parsed.LIMIT_LOOPBACK,
    },
    trustProxy: parsed.TRUST_PROXY,
    allowedOrigins: parsed.ALLOWED_ORIGINS,
    heartbeatIntervalMs: parsed.HEARTBEAT_INTERVAL_MS,
    maxBufferedBytes: parsed.MAX_BUFFERED_BYTES,
    moderation: moderationSettingsFromEnv(parsed),
    safety: safetyConfigFromEnv(parsed),
    metricsListener: parsed.GATEWAY_METRICS_PORT === undefined ? undefined : { port: parsed.GATEWAY_METRICS_PORT, host: parsed.GATEWAY_METRICS_HOST },
    http: {
      headersTimeoutMs: parsed.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: parsed.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: parsed.HTTP_KEEPALIVE_TIMEOUT_MS,
      maxConnectionsPerIp: parsed.MAX_HTTP_CONNECTIONS_PER_IP,
      apiRequestsPerIpPerSecond: parsed.API_REQUESTS_PER_IP_PER_SECOND,
    },
    redisMemorySampleMs: parsed.REDIS_MEMORY_SAMPLE_MS,
    matching: {
      agePolicy: {
        adultsOnly: parsed.ADULTS_ONLY,
        ageRequired: parsed.AGE_REQUIRED,
        ageCheck: parsed.AGE_CHECK_URL === undefined ? undefined : { url: parsed.AGE_CHECK_URL, timeoutMs: parsed.AGE_CHECK_TIMEOUT_MS },
      },
      rematchWindowMs: parsed.REMATCH_WINDOW_MS,
    },
    media: loadMediaConfig(env),
  };
}
