import { z } from 'zod';
import { envField } from '@strangers/config';
import { defaultEvidenceLimits, retentionEnvSchema, retentionFromEnv, type EvidenceLimits, type RetentionPolicy } from '@strangers/moderation';

/**
 * The gateway's moderation variables: the report retention (shared with the moderation
 * service, packages/moderation's retentionEnvSchema) and the evidence bounds. README's
 * configuration table and docs/moderation.md mirror it.
 */
export const gatewayModerationEnvSchema = retentionEnvSchema.extend({
  /** Messages of the reported chat kept as evidence (its last N, both directions). */
  EVIDENCE_MAX_MESSAGES: envField.positiveInt(defaultEvidenceLimits.maxMessages),
  /** Bytes of message text kept as evidence per report. */
  EVIDENCE_MAX_BYTES: envField.positiveInt(defaultEvidenceLimits.maxBytes),
});

export interface GatewayModerationSettings {
  retention: RetentionPolicy;
  evidence: EvidenceLimits;
}

/** From an already parsed environment (the gateway's env schema includes this one). */
export function moderationSettingsFromEnv(env: z.output<typeof gatewayModerationEnvSchema>): GatewayModerationSettings {
  return {
    retention: retentionFromEnv(env),
    evidence: { maxMessages: env.EVIDENCE_MAX_MESSAGES, maxBytes: env.EVIDENCE_MAX_BYTES },
  };
}
