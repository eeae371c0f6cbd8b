// zod/mini: the same validation as classic zod, but tree-shakable, so the browser bundle that
// validates server frames (the SDK) does not carry all of zod.
import * as z from 'zod/mini';
import { ErrorCode, LeftReason, MediaKind, MediaRole, SessionState } from './codes.js';

const int = z.number().check(z.int());
const sessionState = z.enum(SessionState);
const leftReason = z.enum(LeftReason);
const errorCode = z.enum(ErrorCode);

/** One RTCIceServer as a browser takes it (PROTOCOL.md §4). */
const iceServer = z.object({
  urls: z.array(z.string()),
  username: z.optional(z.string()),
  credential: z.optional(z.string()),
});

/**
 * `iceTransportPolicy` for the browser's RTCPeerConnection: `relay` when the deployment is
 * relay-only (docs/video.md). An addition to PROTOCOL.md §4: clients that ignore it still work.
 */
const iceTransportPolicy = z.optional(z.enum(['all', 'relay']));

/**
 * Every gateway → client frame. The gateway builds these from typed objects; clients
 * (the SDK, tests) validate what they receive against this schema. Unknown fields are
 * ignored, as PROTOCOL.md says.
 */
export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    session: z.string(),
    resumeToken: z.string(),
    online: int,
    // §3: an ALTCHA challenge object, as altcha-lib makes it.
    challenge: z.optional(z.record(z.string(), z.unknown())),
  }),
  z.object({ type: z.literal('waiting'), online: int }),
  z.object({
    type: z.literal('paired'),
    chat: z.string(),
    interests: z.array(z.string()),
    lang: z.optional(z.array(z.string())),
    rematch: z.optional(z.boolean()),
    media: z.optional(z.enum(MediaKind)),
    role: z.optional(z.enum(MediaRole)),
    ice: z.optional(z.array(iceServer)),
    iceTransportPolicy,
  }),
  z.object({ type: z.literal('message'), text: z.string(), seq: int, ts: int }),
  z.object({ type: z.literal('ack'), id: z.optional(z.string()), seq: int }),
  z.object({ type: z.literal('typing'), typing: z.boolean() }),
  z.object({ type: z.literal('partner_left'), reason: leftReason }),
  z.object({
    type: z.literal('resumed'),
    state: sessionState,
    chat: z.optional(z.string()),
    // v1.1: the next token (earlier ones die once it is used) and whether the history after
    // `last` was still complete.
    resumeToken: z.string(),
    recovered: z.boolean(),
  }),
  z.object({ type: z.literal('rematch_offer'), chat: z.string() }),
  z.object({ type: z.literal('challenge'), challenge: z.record(z.string(), z.unknown()) }),
  z.object({
    type: z.literal('banned'),
    ban: z.string(),
    reason: z.string(),
    until: z.optional(int),
    appeal: z.optional(z.string()),
  }),
  z.object({ type: z.literal('signal'), data: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('ice'), ice: z.array(iceServer), iceTransportPolicy }),
  z.object({ type: z.literal('error'), code: errorCode, message: z.string(), id: z.optional(z.string()) }),
]);

export type ServerFrame = z.output<typeof serverFrameSchema>;
export type ServerFrameType = ServerFrame['type'];
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;
