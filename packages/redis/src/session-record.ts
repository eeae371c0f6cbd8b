import { z } from 'zod';
import { LeftReason, MediaKind, SessionState } from '@strangers/protocol';
import { AGE_GROUPS, type AgeGroup } from './events.js';
import type { OwnerToken } from './owner-token.js';

/**
 * The session record `sess:{<sid>}` (keys.session): a flat Redis hash, written by the owning
 * gateway on every transition and by the session_* scripts (lua/session_*.lua, whose headers
 * cite these names). Field names, the decoded shape, its schema and its one encoder live here.
 */
export const SessionField = {
  /** The resume token (its own key, keys.resumeToken, maps it back to the session id). */
  token: 'token',
  /**
   * The token before it, still valid until `token` has been used once (PROTOCOL.md §1: a
   * `resumed` frame lost on the way must not lock the client out); '' = none.
   */
  prevToken: 'ptoken',
  /** Hashed client address (report counting). */
  ipHash: 'ipHash',
  state: 'state',
  /** Join generation, bumped on every entry into the queue. */
  gen: 'gen',
  /** JSON list of the session's interests. */
  interests: 'interests',
  /** '1' / '0': back into the queue after a partner leaves. */
  requeue: 'requeue',
  /** The chat link ('' when not paired): chat id, partner session id, partner gateway, shared interests (JSON). */
  chat: 'chat',
  partner: 'partner',
  pgw: 'pgw',
  cint: 'cint',
  /** Why the chat ended while the client was away ('' = nothing to tell). */
  left: 'left',
  /** JSON of what the session is matched by beyond interests: `{lang, age, media}` (issue 20). */
  match: 'match',
  /** JSON of the session's last ended chat `{chat, partner, partnerGateway, reason, endedAt}`, for `rematch`; '' = none. */
  ended: 'ended',
  /** '1' while no socket is attached. */
  detached: 'detached',
  /** Owner token `<gateway>|<boot>` (owner-token.ts); '' = an orphan. */
  owner: 'owner',
  /** An orphan's grace deadline (ms); whoever removes it first owns the orphan. */
  orphan: 'orphan',
} as const;
export type SessionFieldName = (typeof SessionField)[keyof typeof SessionField];

/** A paired session's link to its chat, as the record stores it. */
export interface SessionChatRecord {
  id: string;
  partner: string;
  partnerGateway: string;
  interests: string[];
}

/** What a session is matched by beyond its interests (its last join's `lang`, `adult`, `media`). */
export interface SessionMatchRecord {
  lang: string[];
  age: AgeGroup;
  media: MediaKind;
}

/** A session's last ended chat, kept for `rematch`. */
export interface EndedChatRecord {
  chat: string;
  partner: string;
  /** The partner's gateway as the chat last knew it. */
  partnerGateway: string;
  reason: LeftReason;
  /** When it ended (ms). */
  endedAt: number;
}

export const NO_MATCH_PREFERENCES: SessionMatchRecord = Object.freeze({ lang: [], age: 'unknown', media: 'text' }) as SessionMatchRecord;

const matchRecordSchema = z.object({ lang: z.array(z.string()), age: z.enum(AGE_GROUPS), media: z.enum(MediaKind) });
const endedChatSchema = z.object({
  chat: z.string().min(1),
  partner: z.string().min(1),
  partnerGateway: z.string(),
  reason: z.enum(LeftReason),
  endedAt: z.number(),
});

/** Lenient like the rest of the record: a missing or bad value reads as the default. */
function jsonField<T>(schema: z.ZodType<T>, fallback: T) {
  return z
    .string()
    .default('')
    .transform((raw): T => {
      if (raw === '') return fallback;
      try {
        const parsed = schema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : fallback;
      } catch {
        return fallback;
      }
    });
}

/** The record decoded. */
export interface SessionRecord {
  token: string;
  prevToken: string | undefined;
  ipHash: string;
  state: SessionState;
  gen: number;
  interests: string[];
  requeue: boolean;
  chat: SessionChatRecord | undefined;
  left: LeftReason | undefined;
  match: SessionMatchRecord;
  ended: EndedChatRecord | undefined;
  detached: boolean;
  /** '' = nobody (an orphan, or a record without the field). */
  owner: OwnerToken;
  orphan: number | undefined;
}

/** What a gateway writes: everything but the fields only scripts set (`orphan`) or that it passes separately. */
export type SessionRecordWrite = Omit<SessionRecord, 'detached' | 'owner' | 'orphan'>;

/** Lenient where the gateway always was: a bad list reads as empty, a missing state as idle. */
const jsonList = z
  .string()
  .transform((raw): string[] => {
    try {
      const value: unknown = JSON.parse(raw);
      return Array.isArray(value) ? value.map(String) : [];
    } catch {
      return [];
    }
  })
  .default([]);

export const sessionRecordSchema = z
  .object({
    token: z.string().min(1),
    ptoken: z.string().default(''),
    ipHash: z.string().default(''),
    state: z.enum(SessionState).default('idle'),
    gen: z.coerce.number().int().default(0),
    interests: jsonList,
    requeue: z
      .string()
      .optional()
      .transform((raw) => raw !== '0'),
    chat: z.string().default(''),
    partner: z.string().default(''),
    pgw: z.string().default(''),
    cint: jsonList,
    left: z.union([z.literal(''), z.enum(LeftReason)]).default(''),
    match: jsonField<SessionMatchRecord>(matchRecordSchema, NO_MATCH_PREFERENCES),
    ended: jsonField<EndedChatRecord | undefined>(endedChatSchema, undefined),
    detached: z
      .string()
      .optional()
      .transform((raw) => raw === '1'),
    owner: z.string().default(''),
    orphan: z.coerce.number().optional(),
  })
  .transform(
    (hash): SessionRecord => ({
      token: hash.token,
      prevToken: hash.ptoken || undefined,
      ipHash: hash.ipHash,
      state: hash.state,
      gen: hash.gen,
      interests: hash.interests,
      requeue: hash.requeue,
      chat: hash.chat ? { id: hash.chat, partner: hash.partner, partnerGateway: hash.pgw, interests: hash.cint } : undefined,
      left: hash.left || undefined,
      match: hash.match,
      ended: hash.ended,
      detached: hash.detached,
      owner: hash.owner,
      orphan: hash.orphan,
    }),
  );

/** Decodes `HGETALL sess:{sid}`; undefined when there is no record (no token) or it is malformed. */
export function decodeSessionRecord(hash: Record<string, string>): SessionRecord | undefined {
  const parsed = sessionRecordSchema.safeParse(hash);
  return parsed.success ? parsed.data : undefined;
}

const flag = (value: boolean): string => (value ? '1' : '0');
const list = (value: readonly string[]): string => (value.length === 0 ? '[]' : JSON.stringify(value));

/**
 * How each field's value is written: the one encoder. `encodeSessionRecord` writes a whole
 * record with it, the gateway's session writes the changed fields with it.
 */
export const encodeSessionField = {
  token: (token: string): string => token,
  ptoken: (token: string | undefined): string => token ?? '',
  ipHash: (ipHash: string): string => ipHash,
  state: (state: SessionState): string => state,
  gen: (gen: number): string => String(gen),
  interests: list,
  requeue: flag,
  chat: (chat: SessionChatRecord | undefined): string => chat?.id ?? '',
  partner: (chat: SessionChatRecord | undefined): string => chat?.partner ?? '',
  pgw: (chat: SessionChatRecord | undefined): string => chat?.partnerGateway ?? '',
  cint: (chat: SessionChatRecord | undefined): string => (chat ? JSON.stringify(chat.interests) : '[]'),
  left: (left: LeftReason | undefined): string => left ?? '',
  match: (match: SessionMatchRecord): string => (match === NO_MATCH_PREFERENCES ? '' : JSON.stringify(match)),
  ended: (ended: EndedChatRecord | undefined): string => (ended ? JSON.stringify(ended) : ''),
  detached: flag,
  owner: (owner: OwnerToken): string => owner,
  orphan: (deadline: number): string => String(deadline),
} satisfies Record<SessionFieldName, (value: never) => string>;

/** A whole record as HSET's field-value list (`detached` and `owner` only when given). */
export function encodeSessionRecord(record: SessionRecordWrite, extra: { detached?: boolean; owner?: OwnerToken } = {}): string[] {
  const f = SessionField;
  const e = encodeSessionField;
  // prettier-ignore
  const fields = [
    f.token, e.token(record.token),
    f.prevToken, e.ptoken(record.prevToken),
    f.ipHash, e.ipHash(record.ipHash),
    f.state, e.state(record.state),
    f.gen, e.gen(record.gen),
    f.interests, e.interests(record.interests),
    f.requeue, e.requeue(record.requeue),
    f.chat, e.chat(record.chat),
    f.partner, e.partner(record.chat),
    f.pgw, e.pgw(record.chat),
    f.cint, e.cint(record.chat),
    f.left, e.left(record.left),
    f.match, e.match(record.match),
    f.ended, e.ended(record.ended),
  ];
  if (extra.detached !== undefined) fields.push(f.detached, e.detached(extra.detached));
  if (extra.owner !== undefined) fields.push(f.owner, e.owner(extra.owner));
  return fields;
}
