import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, envField, parseEnv } from '@strangers/config';

const allowOrBlock = (fallback: 'allow' | 'block') => z.enum(['allow', 'block']).default(fallback);

/**
 * Every environment variable of the safety building blocks. A plain object schema (no
 * refinements) so a service can merge it into its own: `gatewayEnvSchema.extend(safetyEnvSchema.shape)`.
 * Cross-field rules are checked by `safetyConfigFromEnv`. docs/abuse-prevention.md lists them all.
 */
export const safetyEnvSchema = z.object({
  /** `off`: no proof of work; `on`: `welcome` carries a challenge and `join` needs its proof; `adaptive`: only after a burst of `next`. */
  PROOF_OF_WORK: z.enum(['off', 'on', 'adaptive']).default('off'),
  /** Secret that signs challenges; the same on every gateway. Required unless PROOF_OF_WORK=off. */
  POW_HMAC_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Largest secret counter of a welcome challenge: the client tries ≈ half of it on average (SHA-256 each). */
  POW_DIFFICULTY: envField.positiveInt(50_000),
  /** The same, for the fresh challenge after a burst of `next` or an abuse `challenge` action. */
  POW_ADAPTIVE_DIFFICULTY: envField.positiveInt(500_000),
  /** How long a challenge can be solved and its proof used; whole seconds on the wire (ALTCHA's `expiresAt`). */
  POW_EXPIRES_MS: z.coerce.number().int().min(1000).default(300_000),
  /** A burst: this many `next` from one session within NEXT_BURST_WINDOW_MS… */
  NEXT_BURST_COUNT: envField.positiveInt(8),
  /** …or this many from one client address (several tabs, one NAT) within the same window. */
  NEXT_BURST_ADDRESS_COUNT: envField.positiveInt(20),
  NEXT_BURST_WINDOW_MS: envField.positiveInt(30_000),

  /** Links (with or without a scheme, obfuscated, look-alike) in messages. */
  FILTER_LINKS: allowOrBlock('allow'),
  /** E-mail addresses and phone numbers while a chat is young. */
  FILTER_CONTACTS: allowOrBlock('allow'),
  /** A chat is young while it has fewer than this many messages (both directions; 0: no count limit)… */
  FILTER_CONTACTS_MESSAGES: envField.nonNegativeInt(10),
  /** …or is younger than this (0: no time limit). Young while either holds. */
  FILTER_CONTACTS_MS: envField.nonNegativeInt(120_000),
  /** A file of words or phrases to refuse, one a line (`#` comments); unset: no word filter. */
  FILTER_WORDS_FILE: z.string().min(1).optional(),
  /** The same text sent to many partners. */
  FILTER_REPEAT: allowOrBlock('allow'),
  /** Refused from the chat that makes this many distinct partners of one text within the window. */
  FILTER_REPEAT_PARTNERS: z.coerce.number().int().min(2).default(4),
  FILTER_REPEAT_WINDOW_MS: envField.positiveInt(600_000),
  /** Shorter normalised texts ("hi", "m or f?") are everyone's opener: never counted. */
  FILTER_REPEAT_MIN_LENGTH: envField.positiveInt(16),
  /** Bound on the fingerprints kept in memory per gateway (least recently used dropped). */
  FILTER_REPEAT_MAX_ENTRIES: envField.positiveInt(50_000),

  /** POST messages here for a verdict (`{"allow":true|false}`); unset: no hook. */
  MODERATION_HOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Sent as `Authorization: Bearer …` when set. */
  MODERATION_HOOK_TOKEN: z.string().min(1).optional(),
  /** Whole budget of one verdict, queueing included. */
  MODERATION_HOOK_TIMEOUT_MS: envField.positiveInt(300),
  /** What a timeout, an error, a bad answer or a full queue means: `open` delivers, `closed` refuses. */
  MODERATION_HOOK_FAIL: z.enum(['open', 'closed']).default('open'),
  /** Only the first K messages of a chat (both directions) go to the hook; 0: every message. */
  MODERATION_HOOK_MESSAGES: envField.nonNegativeInt(0),
  /** Requests in flight at once per gateway… */
  MODERATION_HOOK_CONCURRENCY: envField.positiveInt(32),
  /** …and waiting behind them; beyond: the fail mode answers at once. */
  MODERATION_HOOK_QUEUE: envField.nonNegativeInt(256),

  /** Score at which an address gets an automatic action; 0 (default): abuse scoring off. 10 suits the default weights. */
  ABUSE_THRESHOLD: envField.nonNegativeInt(0),
  /** `shadow`: the flagged pool for a while; `challenge`: harder proofs of work for a while. */
  ABUSE_ACTION: z.enum(['shadow', 'challenge']).default('shadow'),
  ABUSE_ACTION_MS: envField.positiveInt(3_600_000),
  /** Every signal's count halves in this time, so a score fades once the behaviour stops. */
  ABUSE_HALF_LIFE_MS: envField.positiveInt(300_000),
  /**
   * Weight of each signal beyond its free allowance (score = Σ weight × max(0, count − free)).
   * `skip`: a `next`; `repeat`: a message whose text already went to another partner lately;
   * `blocked`: a message a filter or the hook refused; `report`: a report against the address;
   * `connection`: a new `/ws` connection.
   */
  ABUSE_WEIGHT_SKIP: z.coerce.number().min(0).default(0.1),
  ABUSE_WEIGHT_REPEAT: z.coerce.number().min(0).default(3),
  ABUSE_WEIGHT_BLOCKED: z.coerce.number().min(0).default(1),
  ABUSE_WEIGHT_REPORT: z.coerce.number().min(0).default(4),
  ABUSE_WEIGHT_CONNECTION: z.coerce.number().min(0).default(0.2),
  /**
   * Decayed counts an ordinary user reaches: not scored. A steady r a minute settles at
   * ≈ r × half-life-minutes / ln 2 (× 7.2 at 5 min): 60 skips ≈ 8 `next` a minute, 30 connections ≈ 4 a minute.
   */
  ABUSE_FREE_SKIP: z.coerce.number().min(0).default(60),
  ABUSE_FREE_REPEAT: z.coerce.number().min(0).default(2),
  ABUSE_FREE_BLOCKED: z.coerce.number().min(0).default(3),
  ABUSE_FREE_REPORT: z.coerce.number().min(0).default(1),
  ABUSE_FREE_CONNECTION: z.coerce.number().min(0).default(30),
  /** Bound on the addresses tracked in memory per gateway (least recently seen dropped). */
  ABUSE_MAX_ADDRESSES: envField.positiveInt(100_000),
});

export type SafetyEnv = z.output<typeof safetyEnvSchema>;

export type PowMode = SafetyEnv['PROOF_OF_WORK'];
export type AbuseSignal = 'skip' | 'repeat' | 'blocked' | 'report' | 'connection';
export const abuseSignals: readonly AbuseSignal[] = ['skip', 'repeat', 'blocked', 'report', 'connection'];

export interface PowSettings {
  mode: PowMode;
  /** Undefined only when mode is `off`. */
  hmacKey: string | undefined;
  difficulty: number;
  adaptiveDifficulty: number;
  expiresMs: number;
  burst: { sessionCount: number; addressCount: number; windowMs: number };
}

export interface FilterSettings {
  links: 'allow' | 'block';
  contacts: { mode: 'allow' | 'block'; youngMessages: number; youngMs: number };
  /** The word file's entries, read at startup; empty: no word filter. */
  words: string[];
  repeat: { mode: 'allow' | 'block'; partners: number; windowMs: number; minLength: number; maxEntries: number };
}

export interface HookSettings {
  /** Undefined: no hook. */
  url: string | undefined;
  token: string | undefined;
  timeoutMs: number;
  fail: 'open' | 'closed';
  firstMessages: number;
  concurrency: number;
  queue: number;
}

export interface AbuseSettings {
  threshold: number;
  action: 'shadow' | 'challenge';
  actionMs: number;
  halfLifeMs: number;
  weights: Record<AbuseSignal, number>;
  free: Record<AbuseSignal, number>;
  maxAddresses: number;
}

export interface SafetyConfig {
  pow: PowSettings;
  filters: FilterSettings;
  hook: HookSettings;
  abuse: AbuseSettings;
}

/** A word file: one word or phrase a line; blank lines and `#` comments skipped. */
export function parseWordList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}

/** Turns parsed env (of a schema that includes `safetyEnvSchema`) into settings; reads the word file. */
export function safetyConfigFromEnv(env: SafetyEnv, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): SafetyConfig {
  if (env.PROOF_OF_WORK !== 'off' && env.POW_HMAC_KEY === undefined) {
    throw new ConfigError([`POW_HMAC_KEY: required when PROOF_OF_WORK=${env.PROOF_OF_WORK}`]);
  }
  let words: string[] = [];
  if (env.FILTER_WORDS_FILE !== undefined) {
    try {
      words = parseWordList(readFile(env.FILTER_WORDS_FILE));
    } catch (error) {
      throw new ConfigError([`FILTER_WORDS_FILE: cannot read ${env.FILTER_WORDS_FILE}: ${(error as Error).message}`]);
    }
  }
  return {
    pow: {
      mode: env.PROOF_OF_WORK,
      hmacKey: env.POW_HMAC_KEY,
      difficulty: env.POW_DIFFICULTY,
      adaptiveDifficulty: Math.max(env.POW_ADAPTIVE_DIFFICULTY, env.POW_DIFFICULTY),
      expiresMs: env.POW_EXPIRES_MS,
      burst: { sessionCount: env.NEXT_BURST_COUNT, addressCount: env.NEXT_BURST_ADDRESS_COUNT, windowMs: env.NEXT_BURST_WINDOW_MS },
    },
    filters: {
      links: env.FILTER_LINKS,
      contacts: { mode: env.FILTER_CONTACTS, youngMessages: env.FILTER_CONTACTS_MESSAGES, youngMs: env.FILTER_CONTACTS_MS },
      words,
      repeat: {
        mode: env.FILTER_REPEAT,
        partners: env.FILTER_REPEAT_PARTNERS,
        windowMs: env.FILTER_REPEAT_WINDOW_MS,
        minLength: env.FILTER_REPEAT_MIN_LENGTH,
        maxEntries: env.FILTER_REPEAT_MAX_ENTRIES,
      },
    },
    hook: {
      url: env.MODERATION_HOOK_URL,
      token: env.MODERATION_HOOK_TOKEN,
      timeoutMs: env.MODERATION_HOOK_TIMEOUT_MS,
      fail: env.MODERATION_HOOK_FAIL,
      firstMessages: env.MODERATION_HOOK_MESSAGES,
      concurrency: env.MODERATION_HOOK_CONCURRENCY,
      queue: env.MODERATION_HOOK_QUEUE,
    },
    abuse: {
      threshold: env.ABUSE_THRESHOLD,
      action: env.ABUSE_ACTION,
      actionMs: env.ABUSE_ACTION_MS,
      halfLifeMs: env.ABUSE_HALF_LIFE_MS,
      weights: {
        skip: env.ABUSE_WEIGHT_SKIP,
        repeat: env.ABUSE_WEIGHT_REPEAT,
        blocked: env.ABUSE_WEIGHT_BLOCKED,
        report: env.ABUSE_WEIGHT_REPORT,
        connection: env.ABUSE_WEIGHT_CONNECTION,
      },
      free: {
        skip: env.ABUSE_FREE_SKIP,
        repeat: env.ABUSE_FREE_REPEAT,
        blocked: env.ABUSE_FREE_BLOCKED,
        report: env.ABUSE_FREE_REPORT,
        connection: env.ABUSE_FREE_CONNECTION,
      },
      maxAddresses: env.ABUSE_MAX_ADDRESSES,
    },
  };
}

/** Parses the safety settings straight from an environment (tests, or a service without its own schema). */
export function loadSafetyConfig(env: NodeJS.ProcessEnv = process.env): SafetyConfig {
  return safetyConfigFromEnv(parseEnv(safetyEnvSchema, env));
}
