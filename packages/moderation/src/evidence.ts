import type { Evidence, EvidenceMessage } from './schemas.js';

/** Bounds on one report's evidence. */
export interface EvidenceLimits {
  /** The last N messages of the chat (both directions). */
  maxMessages: number;
  /** Total UTF-8 bytes of their texts. */
  maxBytes: number;
}

export const defaultEvidenceLimits: EvidenceLimits = { maxMessages: 50, maxBytes: 64 * 1024 };

/**
 * The evidence kept: the newest messages by `seq`, at most `maxMessages` and `maxBytes` of
 * text, oldest first. A message that alone exceeds what is left of the byte cap ends the
 * selection (older ones are not taken past a gap), so what is kept is always the chat's tail.
 */
export function boundEvidence(messages: readonly EvidenceMessage[], limits: EvidenceLimits): Evidence {
  const newestFirst = [...messages].sort((a, b) => b.seq - a.seq);
  const kept: EvidenceMessage[] = [];
  let bytes = 0;
  for (const message of newestFirst) {
    if (kept.length >= limits.maxMessages) break;
    const size = Buffer.byteLength(message.text, 'utf8');
    if (bytes + size > limits.maxBytes) break;
    bytes += size;
    kept.push({ seq: message.seq, ts: message.ts, from: message.from, text: message.text });
  }
  return { messages: kept.reverse(), omitted: messages.length - kept.length };
}
