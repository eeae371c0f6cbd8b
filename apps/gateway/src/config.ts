import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envField, parseEnv } from '@strangers/config';
import { defaultLimits } from '@strangers/protocol';

/** Every environment variable the gateway reads. README's configuration table mirrors it. */
export const gatewayEnvSchema = z.object({
  REDIS_URL: envField.redisUrl(),
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
  /** Chat buckets (see packages/redis/src/keys.ts); must match the matcher's. */
  CHAT_BUCKETS: envField.positiveInt(1),
  /** Messages kept per chat for resume. */
  HISTORY_MAX_MESSAGES: envField.positiveInt(500),
  /** Longest a chat's keys live without ending (a safety net against leaks). */
  CHAT_TTL_SECONDS: envField.positiveInt(24 * 3600),
  /** Approximate bound on each gateway inbox stream. */
  INBOX_MAX_LENGTH: envField.positiveInt(100_000),
  /** Salt of the client-address hash; the same on every gateway so report counts add up. */
  IP_HASH_SALT: z.string().min(8).default('strangers-default-salt'),
  /** How long a session whose connection dropped can be resumed, on any gateway. */
  RESUME_GRACE_MS: envField.positiveInt(15_000),
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
  chatTtlSeconds: number;
  inboxMaxLength: number;
  onlineIntervalMs: number;
  ipHashSalt: string;
  resumeGraceMs: number;
  webDir: string;
  room: {
    eventsMaxLength: number;
    ratePerSecond: number;
    rateBurst: number;
    heartbeatMs: number;
  };
  alive: { ttlMs: number; intervalMs: number };
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = parseEnv(gatewayEnvSchema, env);
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
    chatBuckets: parsed.CHAT_BUCKETS,
    historyMaxMessages: parsed.HISTORY_MAX_MESSAGES,
    chatTtlSeconds: parsed.CHAT_TTL_SECONDS,
    inboxMaxLength: parsed.INBOX_MAX_LENGTH,
    onlineIntervalMs: parsed.ONLINE_INTERVAL_MS,
    ipHashSalt: parsed.IP_HASH_SALT,
    resumeGraceMs: parsed.RESUME_GRACE_MS,
    webDir: parsed.WEB_DIR,
    room: {
      eventsMaxLength: parsed.ROOM_EVENTS_MAX_LENGTH,
      ratePerSecond: parsed.ROOM_RATE_PER_SECOND,
      rateBurst: parsed.ROOM_RATE_BURST,
      heartbeatMs: parsed.ROOM_HEARTBEAT_MS,
    },
    alive: { ttlMs: parsed.GATEWAY_ALIVE_TTL_MS, intervalMs: parsed.GATEWAY_ALIVE_INTERVAL_MS },
  };
}
