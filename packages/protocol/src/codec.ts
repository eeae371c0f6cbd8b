import { ErrorCode, isClientFrameType } from './codes.js';
import { createClientFrameSchema, type ClientFrame, type JoinFrame, type MessageFrame } from './client-frames.js';
import { MAX_CHAT_ID_LENGTH, MAX_MESSAGE_ID_LENGTH, type ProtocolLimits } from './limits.js';
import type { ServerFrame } from './server-frames.js';
import { isLongerThan } from './text-length.js';

export type DecodeResult =
  | { ok: true; frame: ClientFrame }
  /** `id`: the refused frame's own (when it had a valid one), for the error to echo. */
  | { ok: false; code: ErrorCode; message: string; id?: string };

export interface ClientFrameDecoder {
  decode(raw: string): DecodeResult;
}

function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const first = issues[0];
  if (!first) return 'invalid frame';
  const where = first.path.length > 0 ? first.path.map(String).join('.') : 'frame';
  return `${where}: ${first.message}`;
}

/** A refusal, with the frame's `id` when it had a valid one (an error echoes it, PROTOCOL.md §1). */
function refused(code: ErrorCode, message: string, id: unknown): DecodeResult {
  return typeof id === 'string' && id.length <= MAX_MESSAGE_ID_LENGTH ? { ok: false, code, message, id } : { ok: false, code, message };
}

/** A valid optional `chat` field (v1.1), or false when it is present but not valid. */
function chatField(chat: unknown): string | undefined | false {
  if (chat === undefined) return undefined;
  return typeof chat === 'string' && chat.length > 0 && chat.length <= MAX_CHAT_ID_LENGTH ? chat : false;
}

/**
 * A well-formed `message`, `typing`, `join`, `next` or `leave` decoded by hand, to the same
 * rules as the schema (unknown fields dropped); undefined for the schema to judge.
 */
function decodeWellFormed(type: string, value: object, limits: ProtocolLimits): ClientFrame | undefined {
  switch (type) {
    case 'message': {
      const { text, id } = value as { text?: unknown; id?: unknown };
      const chat = chatField((value as { chat?: unknown }).chat);
      if (typeof text !== 'string' || text.length === 0 || chat === false) return undefined;
      if (id !== undefined && (typeof id !== 'string' || id.length > MAX_MESSAGE_ID_LENGTH)) return undefined;
      const frame: MessageFrame = { type: 'message', text };
      if (id !== undefined) frame.id = id;
      if (chat !== undefined) frame.chat = chat;
      return frame;
    }
    case 'typing': {
      const { typing } = value as { typing?: unknown };
      const chat = chatField((value as { chat?: unknown }).chat);
      if (typeof typing !== 'boolean' || chat === false) return undefined;
      return chat === undefined ? { type: 'typing', typing } : { type: 'typing', typing, chat };
    }
    case 'next': {
      const { chat: rawChat, proof } = value as { chat?: unknown; proof?: unknown };
      const chat = chatField(rawChat);
      // A proof goes through the schema (rare: only after a challenge).
      if (chat === false || proof !== undefined) return undefined;
      return chat === undefined ? { type } : { type, chat };
    }
    case 'leave':
      return { type };
    case 'join':
      return decodeJoin(value as JoinFields, limits);
  }
  return undefined;
}

interface JoinFields {
  interests?: unknown;
  requeue?: unknown;
  lang?: unknown;
  adult?: unknown;
  media?: unknown;
  proof?: unknown;
}

function decodeJoin(
  { interests, requeue, lang, adult, media, proof }: JoinFields,
  limits: ProtocolLimits,
): JoinFrame | undefined {
  // The v1.1 matching and safety fields go through the schema.
  if (lang !== undefined || adult !== undefined || media !== undefined || proof !== undefined) return undefined;
  if (requeue !== undefined && typeof requeue !== 'boolean') return undefined;
  const frame: JoinFrame = { type: 'join' };
  if (interests !== undefined) {
    if (!Array.isArray(interests) || interests.length > limits.maxInterests) return undefined;
    const tags: string[] = [];
    for (const raw of interests as unknown[]) {
      if (typeof raw !== 'string') return undefined;
      const tag = raw.trim().toLowerCase();
      if (tag.length === 0 || tag.length > limits.maxInterestLength) return undefined;
      // Duplicates are dropped, the first occurrence kept (as the schema does).
      if (!tags.includes(tag)) tags.push(tag);
    }
    frame.interests = tags;
  }
  if (requeue !== undefined) frame.requeue = requeue;
  return frame;
}

/** Turns a text frame into a typed client frame, or the error frame the client should get. */
export function createClientFrameDecoder(limits: ProtocolLimits): ClientFrameDecoder {
  const schema = createClientFrameSchema(limits);
  return {
    decode(raw) {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return { ok: false, code: ErrorCode.invalidMessage, message: 'frame is not valid JSON' };
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return { ok: false, code: ErrorCode.invalidMessage, message: 'frame must be a JSON object' };
      }
      const { type, text, id } = value as { type?: unknown; text?: unknown; id?: unknown };
      if (typeof type !== 'string') {
        return { ok: false, code: ErrorCode.invalidMessage, message: 'frame needs a string field "type"' };
      }
      if (!isClientFrameType(type)) {
        return refused(ErrorCode.invalidMessage, `unknown frame type "${type.slice(0, 32)}"`, id);
      }
      if (
        type === 'message' &&
        typeof text === 'string' &&
        isLongerThan(text, limits.maxTextLength)
      ) {
        return refused(ErrorCode.textTooLong, `text is longer than ${limits.maxTextLength} characters`, id);
      }
      // Fast paths for the frames of every chat: well-formed ones need no schema walk.
      const frame = decodeWellFormed(type, value, limits);
      if (frame) return { ok: true, frame };
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        return refused(ErrorCode.invalidMessage, describeIssues(parsed.error.issues), id);
      }
      return { ok: true, frame: parsed.data };
    },
  };
}

export function encodeServerFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}
