import { createHash } from 'node:crypto';
import { ErrorCode, MediaKind, MediaRole } from '@strangers/protocol';
import type { SignalLimits } from './config.js';
import { isRelayCandidate, relayOnlySdp } from './relay-only.js';
import { isIceCandidate, signalDataSchema, type SignalData } from './signal-data.js';
import type { SignalRateLimiter } from './signal-limiter.js';

/** The sender's session as the gateway holds it when a `signal` frame arrives. */
export interface SignalSender {
  state: 'idle' | 'waiting' | 'paired';
  /** The current chat, when paired. */
  chat: string | undefined;
  /** The current chat's media kind (text chats carry no signals). */
  media: MediaKind | undefined;
}

/** The client's `signal` frame: `chat` as sent (optional), `data` not yet validated. */
export interface SignalFrameInput {
  chat?: string | undefined;
  data: unknown;
}

export interface SignalRuleOptions {
  limits: Pick<SignalLimits, 'maxBytes'>;
  /**
   * The session's signal bucket. Left out when the caller takes the token itself before the
   * frame gets here (the gateway's connection does, so that a rate-limited signal counts
   * toward the 1008 flood close like any other frame).
   */
  limiter?: SignalRateLimiter | undefined;
  /** MEDIA_RELAY_ONLY: only relay candidates reach the partner. */
  relayOnly: boolean;
  now?: number;
}

export type SignalVerdict =
  /** Relay `{type:'signal', data}` to the partner of `chat` (the validated, stripped data). */
  | { ok: true; chat: string; data: SignalData }
  /** Answer `error` with this code; nothing is relayed. */
  | { ok: false; code: ErrorCode; message: string };

const refuse = (code: ErrorCode, message: string): SignalVerdict => ({ ok: false, code, message });

/**
 * What the gateway does with a `signal` frame (PROTOCOL.md §4), in the order the checks
 * run: every frame costs a token, even a refused one (answering garbage costs us too); a
 * `chat` that is not the current one is `stale_chat` whatever the state, since the usual
 * cause is a candidate trickling in just after the chat ended; then state, media kind,
 * size and shape. Routing is never taken from the frame: the verdict's chat is the
 * session's own, and the gateway relays to that chat's partner only.
 */
export function checkSignal(frame: SignalFrameInput, sender: SignalSender, options: SignalRuleOptions): SignalVerdict {
  if (options.limiter && !options.limiter.take(options.now)) return refuse(ErrorCode.rateLimited, 'too many signals; slow down');
  if (frame.chat !== undefined && frame.chat !== sender.chat) {
    return refuse(ErrorCode.staleChat, 'that chat is no longer yours');
  }
  if (sender.state !== 'paired' || sender.chat === undefined) {
    return refuse(ErrorCode.invalidState, `"signal" is not valid while ${sender.state}`);
  }
  if (sender.media !== MediaKind.audio && sender.media !== MediaKind.video) {
    return refuse(ErrorCode.invalidState, 'signals are only for audio and video chats');
  }
  const bytes = Buffer.byteLength(JSON.stringify(frame.data ?? null));
  if (bytes > options.limits.maxBytes) {
    return refuse(ErrorCode.invalidMessage, `signal data over ${options.limits.maxBytes} bytes`);
  }
  const parsed = signalDataSchema.safeParse(frame.data);
  if (!parsed.success) return refuse(ErrorCode.invalidMessage, 'signal data must be an SDP description or an ICE candidate');
  let data = parsed.data;
  if (options.relayOnly) {
    if (isIceCandidate(data)) {
      if (!isRelayCandidate(data)) return refuse(ErrorCode.notAllowed, 'this deployment relays only TURN relay candidates');
    } else if (data.sdp !== undefined) {
      data = { ...data, sdp: relayOnlySdp(data.sdp) };
    }
  }
  return { ok: true, chat: sender.chat, data };
}

/**
 * Who sends the WebRTC offer in an audio/video chat. Derived from the chat id and the two
 * session ids alone, so the two sides' gateways agree without talking to each other, and
 * the two roles always differ. In "perfect negotiation" the `offer` side is the impolite
 * peer (it ignores a colliding offer) and the `answer` side the polite one (it rolls back).
 */
export function mediaRoleFor(chat: string, self: string, partner: string): MediaRole {
  if (self === partner) throw new Error('a session cannot be its own partner');
  const [low, high] = self < partner ? [self, partner] : [partner, self];
  // One hashed bit picks which of the two sorted ids offers, so neither id is always the offerer.
  const bit = createHash('sha256').update(`${chat}\n${low}\n${high}`).digest()[0]! & 1;
  const offerer = bit === 0 ? low : high;
  return self === offerer ? MediaRole.offer : MediaRole.answer;
}

/** The partner's session as its gateway holds it when a relayed signal arrives. */
export interface SignalTarget {
  /** False while the session's connection is gone and it may still resume. */
  attached: boolean;
  chat: string | undefined;
}

/**
 * The delivery rule (docs/video.md): signals are never stored or replayed. A signal for a
 * chat the target is no longer in, or for a target that is detached (resuming), is dropped;
 * clients rely on the ICE restart that follows every resume instead (`needsIceResync`).
 */
export function shouldDeliverSignal(target: SignalTarget, signalChat: string): boolean {
  return target.attached && target.chat === signalChat;
}

/**
 * True when a resume into this chat must be followed by an `ice` frame to both sides: the
 * `offer` side answers it with an ICE restart (after rolling back an unanswered offer), which
 * replaces any signal lost while one side was away.
 */
export function needsIceResync(media: MediaKind | undefined): boolean {
  return media === MediaKind.audio || media === MediaKind.video;
}
