import type { Logger } from '@strangers/config';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { AbuseScorer } from './abuse/abuse-scorer.js';
import type { SafetyConfig } from './config.js';
import { MessageFilters } from './filters/check-message.js';
import { ModerationHook } from './hook/moderation-hook.js';
import { registerSafetyMetrics, type SafetyMetrics } from './metrics.js';
import { PowGate } from './pow/gate.js';
import { NextBurstDetector } from './pow/next-burst.js';
import { ProofOfWork } from './pow/proof-of-work.js';

/** Everything a gateway needs, built from one config. */
export interface Safety {
  gate: PowGate;
  filters: MessageFilters;
  /** Undefined without MODERATION_HOOK_URL. */
  hook: ModerationHook | undefined;
  /** Scores nothing when ABUSE_THRESHOLD is 0 (record always returns undefined). */
  scorer: AbuseScorer;
  metrics: SafetyMetrics;
}

/**
 * Builds the safety blocks for one gateway: `redis` (single or cluster) records used proofs;
 * the metrics go on `registry` (the gateway's /metrics one).
 */
export function createSafety(config: SafetyConfig, deps: { redis: Redis | Cluster; registry: Registry; logger?: Logger }): Safety {
  const metrics = registerSafetyMetrics(deps.registry);
  const { pow: powSettings } = config;
  const pow =
    powSettings.mode === 'off'
      ? undefined
      : new ProofOfWork({ hmacKey: powSettings.hmacKey!, expiresMs: powSettings.expiresMs, redis: deps.redis, metrics });
  const bursts = powSettings.mode === 'off' ? undefined : new NextBurstDetector({ ...powSettings.burst, maxAddresses: config.abuse.maxAddresses });
  const hookUrl = config.hook.url;
  return {
    gate: new PowGate(powSettings, pow, bursts, metrics),
    filters: new MessageFilters(config.filters, metrics),
    hook: hookUrl === undefined ? undefined : new ModerationHook({ ...config.hook, url: hookUrl }, deps.logger ? { metrics, logger: deps.logger } : { metrics }),
    scorer: new AbuseScorer(config.abuse, { metrics }),
    metrics,
  };
}
