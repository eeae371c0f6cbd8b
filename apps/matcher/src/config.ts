import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { envField, parseEnv } from '@strangers/config';
import { defaultChatBuckets, isClusterUrl, isValidRedisUrl } from '@strangers/redis';
import type { MatchingSettings } from './matching/matching-state.js';

/** Every environment variable the matcher reads. README's configuration table mirrors it. */
export const matcherEnvSchema = z.object({
  /** One server (`redis://`, `rediss://`) or a cluster (`redis+cluster://host:port,host:port,…`). */
  REDIS_URL: z
    .string()
    .refine(isValidRedisUrl, 'must be redis://host:port, rediss://…, or redis+cluster://host:port,host:port,…')
    .default('redis://127.0.0.1:6379'),
  /** PEM file of the CA that signed the Redis server's certificate (`rediss://` URLs); read at startup. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  MATCHER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 chars of [A-Za-z0-9_.-]')
    .default(() => `matcher-${randomBytes(4).toString('hex')}`),
  LOG_LEVEL: envField.logLevel(),
  /** Port of the matcher's /healthz, /readyz and /metrics (0 = any free port). */
  METRICS_PORT: envField.port(9090),
  /** Address that port is bound to: loopback unless a scraper elsewhere needs it (`0.0.0.0`, e.g. in a container). */
  MATCHER_STATUS_HOST: z.string().min(1).default('127.0.0.1'),
  /** A joiner with interests waits this long for a shared one before taking anyone. */
  INTEREST_FALLBACK_MS: envField.nonNegativeInt(3000),
  /**
   * `prefer`: a joiner naming languages is paired with someone sharing one first, and with
   * anyone after LANG_FALLBACK_MS; `strict`: only ever with someone sharing one.
   */
  LANG_MATCH: z.enum(['prefer', 'strict']).default('prefer'),
  /** How long a joiner naming languages waits for a shared one (LANG_MATCH=prefer). */
  LANG_FALLBACK_MS: envField.nonNegativeInt(5000),
  /** Two sessions that parted with `next` are not paired again for this long. */
  NEXT_COOLDOWN_MS: envField.nonNegativeInt(30_000),
  /** How long a report keeps the two sessions apart (sessions rarely live this long). */
  REPORT_BLOCK_MS: envField.positiveInt(24 * 3600 * 1000),
  /** Reports against one client address within REPORT_WINDOW_MS that flag it. */
  REPORT_THRESHOLD: envField.positiveInt(3),
  REPORT_WINDOW_MS: envField.positiveInt(3600 * 1000),
  /** How long a flagged address is only matched with other flagged ones. */
  REPORT_FLAG_MS: envField.positiveInt(3600 * 1000),
  /** Chat buckets (see packages/redis/src/keys.ts); must match the gateways'. Default: 1, or 16 on a cluster. */
  CHAT_BUCKETS: z.coerce.number().int().positive().optional(),
  /** Most events read and committed in one batch. */
  BATCH_SIZE: envField.positiveInt(512),
  /** The active matcher's lease lifetime: a standby takes over at most this long after the leader dies. */
  LEASE_TTL_MS: envField.positiveInt(1500),
  /** How often the leader renews its lease and a standby tries to take it. */
  LEASE_RENEW_MS: envField.positiveInt(500),
  /** Check each join against its session record (`sess:{id}`) so ghosts are never queued or paired. */
  GHOST_CHECK: envField.boolean(true),
  /**
   * How long a pair assignment is remembered, so a session that resumes on another gateway
   * before its assignment reached it gets it again. Keep it above the gateways'
   * RESUME_GRACE_MS; every pair made in this window is held in memory.
   */
  RECENT_PAIR_TTL_MS: envField.positiveInt(30_000),
}).refine((config) => config.LEASE_RENEW_MS * 2 <= config.LEASE_TTL_MS, {
  message: 'LEASE_RENEW_MS must be at most half of LEASE_TTL_MS',
  path: ['LEASE_RENEW_MS'],
});

export type MatcherEnv = z.output<typeof matcherEnvSchema>;

/** The matcher's loaded config, in the gateway's style (apps/gateway/src/config.ts): nested camelCase, files read. */
export interface MatcherConfig {
  redisUrl: string;
  /** CA certificate for `rediss://`, read from REDIS_TLS_CA_FILE. */
  redisTlsCa: Buffer | undefined;
  matcherId: string;
  logLevel: string;
  status: { port: number; host: string };
  chatBuckets: number;
  batchSize: number;
  ghostCheck: boolean;
  lease: { ttlMs: number; renewMs: number };
  matching: MatchingSettings;
}

export function loadMatcherConfig(env: NodeJS.ProcessEnv = process.env): MatcherConfig {
  const parsed = parseEnv(matcherEnvSchema, env);
  return {
    redisUrl: parsed.REDIS_URL,
    redisTlsCa: parsed.REDIS_TLS_CA_FILE === undefined ? undefined : readFileSync(parsed.REDIS_TLS_CA_FILE),
    matcherId: parsed.MATCHER_ID,
    logLevel: parsed.LOG_LEVEL,
    status: { port: parsed.METRICS_PORT, host: parsed.MATCHER_STATUS_HOST },
    chatBuckets: parsed.CHAT_BUCKETS ?? defaultChatBuckets(isClusterUrl(parsed.REDIS_URL)),
    batchSize: parsed.BATCH_SIZE,
    ghostCheck: parsed.GHOST_CHECK,
    lease: { ttlMs: parsed.LEASE_TTL_MS, renewMs: parsed.LEASE_RENEW_MS },
    matching: {
      interestFallbackMs: parsed.INTEREST_FALLBACK_MS,
      langFallbackMs: parsed.LANG_FALLBACK_MS,
      langMatch: parsed.LANG_MATCH,
      nextCooldownMs: parsed.NEXT_COOLDOWN_MS,
      reportBlockMs: parsed.REPORT_BLOCK_MS,
      recentPairTtlMs: parsed.RECENT_PAIR_TTL_MS,
      reports: { threshold: parsed.REPORT_THRESHOLD, windowMs: parsed.REPORT_WINDOW_MS, flagMs: parsed.REPORT_FLAG_MS },
    },
  };
}
