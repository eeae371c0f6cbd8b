// zod/mini: the same validation as classic zod, but tree-shakable, so the browser bundle that
// validates server frames (the SDK) does not carry all of zod.
import * as z from 'zod/mini';

const int = z.number().check(z.int());
const sessionState = z.enum(['idle', 'waiting', 'paired']);
const leftReason = z.enum(['left', 'next', 'disconnected', 'reported']);
const errorCode = z.enum([
  'invalid_message',
  'invalid_state',
  'rate_limited',
  'text_too_long',
  'resume_failed',
  'unavailable',
]);

/**
 * Every gateway → client frame. The gateway builds these from typed objects; clients
 * (the SDK, tests) validate what they receive against this schema.
 */
export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), session: z.string(), resumeToken: z.string(), online: int }),
  z.object({ type: z.literal('waiting'), online: int }),
  z.object({ type: z.literal('paired'), chat: z.string(), interests: z.array(z.string()) }),
  z.object({ type: z.literal('message'), text: z.string(), seq: int, ts: int }),
  z.object({ type: z.literal('ack'), id: z.optional(z.string()), seq: int }),
  z.object({ type: z.literal('typing'), typing: z.boolean() }),
  z.object({ type: z.literal('partner_left'), reason: leftReason }),
  z.object({ type: z.literal('resumed'), state: sessionState, chat: z.optional(z.string()) }),
  z.object({ type: z.literal('error'), code: errorCode, message: z.string() }),
]);

export type ServerFrame = z.output<typeof serverFrameSchema>;
export type ServerFrameType = ServerFrame['type'];
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;
