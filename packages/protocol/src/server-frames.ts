import { z } from 'zod';

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
  z.object({ type: z.literal('welcome'), session: z.string(), resumeToken: z.string(), online: z.number().int() }),
  z.object({ type: z.literal('waiting'), online: z.number().int() }),
  z.object({ type: z.literal('paired'), chat: z.string(), interests: z.array(z.string()) }),
  z.object({ type: z.literal('message'), text: z.string(), seq: z.number().int(), ts: z.number().int() }),
  z.object({ type: z.literal('ack'), id: z.string().optional(), seq: z.number().int() }),
  z.object({ type: z.literal('typing'), typing: z.boolean() }),
  z.object({ type: z.literal('partner_left'), reason: leftReason }),
  z.object({ type: z.literal('resumed'), state: sessionState, chat: z.string().optional() }),
  z.object({ type: z.literal('error'), code: errorCode, message: z.string() }),
]);

export type ServerFrame = z.output<typeof serverFrameSchema>;
export type ServerFrameType = ServerFrame['type'];
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;
