import { z } from 'zod';
import { addressHashEnvSchema, addressHashKey, checkAddressHashSecret, envField, parseEnv } from '@strangers/config';
import { retentionEnvSchema, retentionFromEnv, type RetentionPolicy } from '@strangers/moderation';
import { isValidRedisUrl } from '@strangers/redis';
import { fileURLToPath } from 'node:url';

/** A moderator: the name recorded in the audit log, and the bearer token that proves it. */
export interface Moderator {
  name: string;
  token: string;
}

/** `name:token,name:token`: names 1-32 of [A-Za-z0-9_.-], tokens at least 16 characters. */
const moderatorTokens = z
  .string()
  .optional()
  .transform((value, context): Moderator[] => {
    const moderators: Moderator[] = [];
    for (const entry of (value ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
      const colon = entry.indexOf(':');
      const name = entry.slice(0, colon);
      const token = entry.slice(colon + 1);
      if (colon < 1 || !/^[A-Za-z0-9_.-]{1,32}$/.test(name) || token.length < 16 || /\s/.test(token)) {
        // Never echo the entry: it holds a secret.
        context.addIssue({ code: 'custom', message: `entry ${moderators.length + 1} is not name:token (name 1-32 of [A-Za-z0-9_.-], token ≥ 16 characters)` });
        return z.NEVER;
      }
      if (moderators.some((m) => m.name === name)) {
        context.addIssue({ code: 'custom', message: `moderator "${name}" is listed twice` });
        return z.NEVER;
      }
      moderators.push({ name, token });
    }
    return moderators;
  });

const commaList = () =>
  z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .optional();

/** Every environment variable the moderation service reads. README's configuration table mirrors it. */
export const moderationEnvSchema = z
  .object({
    REDIS_URL: z
      .string()
      .refine(isValidRedisUrl, 'must be redis://host:port, rediss://…, or redis+cluster://host:port,host:port,…')
      .default('redis://127.0.0.1:6379'),
    REDIS_TLS_CA_FILE: z.string().min(1).optional(),
    MODERATION_PORT: envField.port(8090),
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: envField.logLevel(),
    /** `name:token,…`; unset: the API is off (every /api/ call answers 404). */
    MODERATOR_TOKENS: moderatorTokens,
    /** Base URL of this service as banned users reach it: appeal links are `<PUBLIC_URL>/appeal/<ban id>`. */
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:8090'),
    /** Audit log entries are kept this long. */
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(730),
    /** A temporary ban's record is kept this long after it ends (for appeals and history). */
    BAN_HISTORY_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    /** How often expired reports, appeals and audit entries are deleted. */
    PURGE_INTERVAL_MS: envField.positiveInt(3600_000),
    /** Appeals accepted from one client address per hour. */
    APPEALS_PER_ADDRESS_PER_HOUR: envField.positiveInt(5),
    /** Proxies whose `X-Forwarded-For` is believed (addresses, CIDRs, `loopback`…). Unset: the header is ignored. */
    TRUST_PROXY: commaList(),
    /** The built console (scripts/build-console.ts). */
    CONSOLE_DIR: z.string().min(1).default(() => fileURLToPath(new URL('../dist/console', import.meta.url))),
  })
  .extend(retentionEnvSchema.shape)
  // The appeal rate limit counts by client address, hashed as the gateways hash it.
  .extend(addressHashEnvSchema.shape);

export interface ModerationConfig {
  redisUrl: string;
  redisTlsCaFile?: string;
  port: number;
  host: string;
  logLevel: string;
  moderators: Moderator[];
  publicUrl: string;
  auditRetentionDays: number;
  banHistoryDays: number;
  purgeIntervalMs: number;
  appealsPerAddressPerHour: number;
  ipHashSalt: string;
  trustProxy: string[];
  consoleDir: string;
  /** Report retention, as the gateways record reports with it: shown in the console, documented together. */
  retention: RetentionPolicy;
}

export function loadModerationConfig(env: NodeJS.ProcessEnv = process.env): ModerationConfig {
  const parsed = parseEnv(moderationEnvSchema.superRefine(checkAddressHashSecret), env);
  const config: ModerationConfig = {
    redisUrl: parsed.REDIS_URL,
    port: parsed.MODERATION_PORT,
    host: parsed.HOST,
    logLevel: parsed.LOG_LEVEL,
    moderators: parsed.MODERATOR_TOKENS,
    publicUrl: parsed.PUBLIC_URL.replace(/\/+$/, ''),
    auditRetentionDays: parsed.AUDIT_RETENTION_DAYS,
    banHistoryDays: parsed.BAN_HISTORY_DAYS,
    purgeIntervalMs: parsed.PURGE_INTERVAL_MS,
    appealsPerAddressPerHour: parsed.APPEALS_PER_ADDRESS_PER_HOUR,
    ipHashSalt: addressHashKey(parsed),
    trustProxy: parsed.TRUST_PROXY ?? [],
    consoleDir: parsed.CONSOLE_DIR,
    retention: retentionFromEnv(parsed),
  };
  if (parsed.REDIS_TLS_CA_FILE !== undefined) config.redisTlsCaFile = parsed.REDIS_TLS_CA_FILE;
  return config;
}
