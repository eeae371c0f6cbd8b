import { z } from 'zod';
import { MAX_MESSAGE_ID_LENGTH, MAX_REPORT_REASON_LENGTH, type ProtocolLimits } from './limits.js';

/**
 * Builds the schema of every client → gateway frame. A factory rather than a constant
 * because text and interest limits are configuration. Unknown fields are stripped, as
 * PROTOCOL.md says they are ignored.
 */
export function createClientFrameSchema(limits: ProtocolLimits) {
  const interest = z
    .string()
    .transform((tag) => tag.trim().toLowerCase())
    .pipe(z.string().min(1).max(limits.maxInterestLength));

  const join = z.object({
    type: z.literal('join'),
    interests: z
      .array(interest)
      .max(limits.maxInterests)
      // Duplicates would only skew matching; keep the first occurrence.
      .transform((tags) => [...new Set(tags)])
      .optional(),
    requeue: z.boolean().optional(),
  });
  const message = z.object({
    type: z.literal('message'),
    // Length in code points is checked by the codec (text_too_long has its own code).
    text: z.string().min(1),
    id: z.string().max(MAX_MESSAGE_ID_LENGTH).optional(),
  });
  const typing = z.object({ type: z.literal('typing'), typing: z.boolean() });
  const next = z.object({ type: z.literal('next') });
  const leave = z.object({ type: z.literal('leave') });
  const report = z.object({
    type: z.literal('report'),
    reason: z.string().max(MAX_REPORT_REASON_LENGTH).optional(),
  });

  return z.discriminatedUnion('type', [join, message, typing, next, leave, report]);
}

export type ClientFrame = z.output<ReturnType<typeof createClientFrameSchema>>;
export type ClientFrameType = ClientFrame['type'];
export type JoinFrame = Extract<ClientFrame, { type: 'join' }>;
export type MessageFrame = Extract<ClientFrame, { type: 'message' }>;
