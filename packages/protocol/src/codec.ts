import { ErrorCode, isClientFrameType } from './codes.js';
import { createClientFrameSchema, type ClientFrame, type JoinFrame } from './client-frames.js';
import { MAX_MESSAGE_ID_LENGTH, type ProtocolLimits } from './limits.js';
import type { ServerFrame } from './server-frames.js';
import { isLongerThan } from './text-length.js';

export type DecodeResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string };

export interface ClientFrameDecoder {
  decode(raw: string): DecodeResult;
}

function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const first = issues[0];
  if (!first) return 'invalid frame';
  const where = first.path.length > 0 ? first.path.map(String).join('.') : 'frame';
  return `${where}: ${first.message}`;
}

/**
 * A well-formed `message`, `typing`, `join`, `next` or `leave` decoded by hand, to the same
 * rules as the schema (unknown fields dropped); undefined for the schema to judge.
 */
function decodeWellFormed(type: string, value: object, limits: ProtocolLimits): ClientFrame | undefined {
  switch (type) {
    case 'message': {
      const { text, id } = value as { text?: unknown; id?: unknown };
      if (typeof text !== 'string' || text.length === 0) return undefined;
      if (id === undefined) return { type: 'message', text };
      if (typeof id === 'string' && id.length <= MAX_MESSAGE_ID_LENGTH) return { type: 'message', text, id };
      return undefined;
    }
    case 'typing': {
      const { typing } = value as { typing?: unknown };
      return typeof typing === 'boolean' ? { type: 'typing', typing } : undefined;
    }
    case 'next':
    case 'leave':
      return { type };
    case 'join':
      return decodeJoin(value as { interests?: unknown; requeue?: unknown }, limits);
  }
  return undefined;
}

function decodeJoin({ interests, requeue }: { interests?: unknown; requeue?: unknown }, limits: ProtocolLimits): JoinFrame | undefined {
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
      const { type, text } = value as { type?: unknown; text?: unknown };
      if (typeof type !== 'string') {
        return { ok: false, code: ErrorCode.invalidMessage, message: 'frame needs a string field "type"' };
      }
      if (!isClientFrameType(type)) {
        return { ok: false, code: ErrorCode.invalidMessage, message: `unknown frame type "${type.slice(0, 32)}"` };
      }
      if (
        type === 'message' &&
        typeof text === 'string' &&
        isLongerThan(text, limits.maxTextLength)
      ) {
        return {
          ok: false,
          code: ErrorCode.textTooLong,
          message: `text is longer than ${limits.maxTextLength} characters`,
        };
      }
      // Fast paths for the frames of every chat: well-formed ones need no schema walk.
      const frame = decodeWellFormed(type, value, limits);
      if (frame) return { ok: true, frame };
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        return { ok: false, code: ErrorCode.invalidMessage, message: describeIssues(parsed.error.issues) };
      }
      return { ok: true, frame: parsed.data };
    },
  };
}

export function encodeServerFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}
