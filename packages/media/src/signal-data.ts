import { z } from 'zod';

/** Longest ICE candidate line accepted (real ones are ~100-250 characters). */
export const MAX_CANDIDATE_LENGTH = 1024;
/** Printable ASCII only: a candidate is one SDP attribute line, so no CR/LF smuggling a second one in. */
const printableLine = /^[\x20-\x7e]*$/;
/** SDP is lines of text: CR, LF and TAB are the only control characters it may hold. */
const sdpText = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

/** RTCSessionDescriptionInit as a browser serialises it. */
export const sessionDescriptionSchema = z
  .object({
    type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
    sdp: z.string().regex(sdpText, 'control characters in sdp').optional(),
  })
  .refine((description) => description.type === 'rollback' || description.sdp?.startsWith('v=0') === true, {
    message: 'an offer or answer needs an sdp that starts with v=0',
    path: ['sdp'],
  });

/** RTCIceCandidateInit as `RTCIceCandidate.toJSON()` gives it; `candidate: ''` is end-of-candidates. */
export const iceCandidateSchema = z.object({
  candidate: z
    .string()
    .max(MAX_CANDIDATE_LENGTH)
    .regex(printableLine, 'a candidate is one line of printable ASCII')
    .refine((line) => line === '' || line.startsWith('candidate:'), 'must start with "candidate:"'),
  sdpMid: z.string().max(64).regex(printableLine).nullish(),
  sdpMLineIndex: z.number().int().min(0).max(1023).nullish(),
  usernameFragment: z.string().max(256).regex(printableLine).nullish(),
});

/**
 * The `data` of a `signal` frame (PROTOCOL.md §4): an SDP description or an ICE candidate.
 * Parsing strips every other field, so only these reach the partner.
 */
export const signalDataSchema = z.union([sessionDescriptionSchema, iceCandidateSchema]);

export type SessionDescription = z.output<typeof sessionDescriptionSchema>;
export type IceCandidate = z.output<typeof iceCandidateSchema>;
export type SignalData = z.output<typeof signalDataSchema>;

export function isIceCandidate(data: SignalData): data is IceCandidate {
  return 'candidate' in data;
}
