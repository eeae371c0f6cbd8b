import { z } from 'zod';
import {
  MAX_CHAT_ID_LENGTH,
  MAX_LANGUAGES,
  MAX_MESSAGE_ID_LENGTH,
  MAX_PROOF_LENGTH,
  MAX_REPORT_REASON_LENGTH,
  type ProtocolLimits,
} from './limits.js';
import { MediaKind, ReportCategory } from './codes.js';

/** The chat id a chat-scoped frame was written for (PROTOCOL.md §1, v1.1). */
const chat = z.string().min(1).max(MAX_CHAT_ID_LENGTH).optional();
/** base64 of `{"challenge":…,"solution":…}` (PROTOCOL.md §3). */
const proof = z.string().min(1).max(MAX_PROOF_LENGTH).optional();

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
  // ISO 639-1: two letters, compared lower-case.
  const language = z
    .string()
    .transform((code) => code.trim().toLowerCase())
    .pipe(z.string().regex(/^[a-z]{2}$/, 'an ISO 639-1 code (two letters)'));

  const join = z.object({
    type: z.literal('join'),
    interests: z
      .array(interest)
      .max(limits.maxInterests)
      // Duplicates would only skew matching; keep the first occurrence.
      .transform((tags) => [...new Set(tags)])
      .optional(),
    requeue: z.boolean().optional(),
    lang: z
      .array(language)
      .max(MAX_LANGUAGES)
      .transform((codes) => [...new Set(codes)])
      .optional(),
    adult: z.boolean().optional(),
    media: z.enum(MediaKind).optional(),
    proof,
  });
  const message = z.object({
    type: z.literal('message'),
    // Length in code points is checked by the codec (text_too_long has its own code).
    text: z.string().min(1),
    id: z.string().max(MAX_MESSAGE_ID_LENGTH).optional(),
    chat,
  });
  const typing = z.object({ type: z.literal('typing'), typing: z.boolean(), chat });
  const next = z.object({ type: z.literal('next'), chat, proof });
  const leave = z.object({ type: z.literal('leave') });
  const report = z.object({
    type: z.literal('report'),
    category: z.enum(ReportCategory).optional(),
    reason: z.string().max(MAX_REPORT_REASON_LENGTH).optional(),
    chat,
  });

  /** v1.1: back with the stranger of an ended chat (PROTOCOL.md §1); valid when idle or waiting. */
  const rematch = z.object({ type: z.literal('rematch'), chat: z.string().min(1).max(MAX_CHAT_ID_LENGTH) });

  return z.discriminatedUnion('type', [join, message, typing, next, leave, report, rematch]);
}

export type ClientFrame = z.output<ReturnType<typeof createClientFrameSchema>>;
export type ClientFrameType = ClientFrame['type'];
export type JoinFrame = Extract<ClientFrame, { type: 'join' }>;
export type MessageFrame = Extract<ClientFrame, { type: 'message' }>;
export type ReportFrame = Extract<ClientFrame, { type: 'report' }>;
export type RematchFrame = Extract<ClientFrame, { type: 'rematch' }>;
