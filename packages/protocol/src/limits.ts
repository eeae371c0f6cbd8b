/** Input limits of the wire protocol; every one is configurable on the gateway. */
export interface ProtocolLimits {
  /** Largest accepted frame in bytes; larger frames close the socket with 1009. */
  maxFrameBytes: number;
  /** Longest message `text`, in characters (code points). */
  maxTextLength: number;
  /** Most interest tags in one `join`. */
  maxInterests: number;
  /** Longest interest tag, in characters, after trimming. */
  maxInterestLength: number;
}

export const defaultLimits: ProtocolLimits = {
  maxFrameBytes: 16 * 1024,
  maxTextLength: 2000,
  maxInterests: 10,
  maxInterestLength: 32,
};

/** Longest client-chosen message id echoed in `ack`. */
export const MAX_MESSAGE_ID_LENGTH = 64;
/** Longest free-text reason of a `report`. */
export const MAX_REPORT_REASON_LENGTH = 200;
/** Longest `chat` id a client may send back (server ids are far shorter). */
export const MAX_CHAT_ID_LENGTH = 128;
/** Most ISO 639-1 codes in `join.lang`. */
export const MAX_LANGUAGES = 3;
/** Longest base64 proof of work accepted in `join`/`next`. */
export const MAX_PROOF_LENGTH = 4096;
