import { z } from 'zod';
import { isLeftReason, LeftReason, MediaKind, MediaRole } from '@strangers/protocol';
import { fieldsToRecord, recordToFields, type StreamFields } from './streams.js';

/**
 * The service-to-service events carried by streams, with their encoders and zod decoders.
 * Fields are flat strings (a stream entry is a flat field list); lists travel as JSON.
 */

const jsonStringArray = z.string().transform((raw, ctx) => {
  const list = parseStringArray(raw);
  if (list) return list;
  ctx.addIssue({ code: 'custom', message: 'expected a JSON array of strings' });
  return z.NEVER;
});
const int = z.coerce.number().int();
const flag = z.enum(['0', '1']).transform((value) => value === '1');

/** A session's age group as its join said it (`adult` true/false, or not said). */
export const AGE_GROUPS = ['adult', 'minor', 'unknown'] as const;
export type AgeGroup = (typeof AGE_GROUPS)[number];
const ageGroup = z.enum(AGE_GROUPS);
const mediaKind = z.enum(MediaKind);
const AGE_GROUP_SET: ReadonlySet<string> = new Set(AGE_GROUPS);
const MEDIA_KIND_SET: ReadonlySet<string> = new Set(Object.values(MediaKind));

// ---- gateway → matcher: keys.matcherEvents ----

export const matcherEventSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('join'),
    sid: z.string().min(1),
    gw: z.string().min(1),
    /** Per-session join generation: lets everyone tell a stale assignment from a live one. */
    gen: int,
    interests: jsonStringArray,
    ipHash: z.string().default(''),
    /** The partner just left with `next` or `report`: not to be paired again right away. */
    avoid: z.string().optional(),
    /** `avoid` was a report: the two never meet again. */
    block: flag.default(false),
    /** ISO 639-1 codes the session speaks (none: no preference). */
    lang: jsonStringArray.default([]),
    /** Only a shared language will do, whatever the deployment's LANG_MATCH. */
    strict: flag.default(false),
    age: ageGroup.default('unknown'),
    media: mediaKind.default('text'),
  }),
  z.object({ t: z.literal('cancel'), sid: z.string().min(1), gen: int }),
  /** A waiting session's socket dropped: keep its place, pair it with nobody until its join comes again. */
  z.object({ t: z.literal('park'), sid: z.string().min(1), gen: int }),
  /**
   * The session asks to be put back with the stranger of its ended chat `chat` (the gateway
   * checked that it ended by `next` or `left`, and when); `until` is the end of the window,
   * `pgw` the partner's gateway as the chat last knew it (the offer goes there).
   */
  z.object({
    t: z.literal('rematch'),
    sid: z.string().min(1),
    gw: z.string().min(1),
    gen: int,
    chat: z.string().min(1),
    partner: z.string().min(1),
    pgw: z.string().min(1),
    until: int,
    age: ageGroup.default('unknown'),
    media: mediaKind.default('text'),
  }),
  z.object({ t: z.literal('reported'), sid: z.string().min(1), ipHash: z.string() }),
  /** A shadow ban or a gateway's automatic abuse action (packages/safety): the address meets only flagged clients until `until` (ms). */
  z.object({ t: z.literal('flag'), ipHash: z.string().min(1), until: int }),
  /** A moderator lifted the address's shadow ban: its flag goes at once, whoever set it (docs/moderation.md). */
  z.object({ t: z.literal('unflag'), ipHash: z.string().min(1) }),
]);
export type MatcherEvent = z.output<typeof matcherEventSchema>;
export type JoinEvent = Extract<MatcherEvent, { t: 'join' }>;
export type RematchEvent = Extract<MatcherEvent, { t: 'rematch' }>;

/** The matching fields a join may leave out (their defaults: no language, not strict, age unknown, text). */
type JoinDefaults = 'lang' | 'strict' | 'age' | 'media' | 'block';
/** A matcher event as a gateway writes it: a join's defaulted fields optional. */
export type MatcherEventInput = Exclude<MatcherEvent, JoinEvent> | (Omit<JoinEvent, JoinDefaults> & Partial<Pick<JoinEvent, JoinDefaults>>);

export function encodeMatcherEvent(event: MatcherEventInput): string[] {
  switch (event.t) {
    case 'join': {
      // By hand, not with recordToFields: one per join on every gateway.
      const interests = event.interests.length === 0 ? '[]' : JSON.stringify(event.interests);
      const fields = ['t', 'join', 'sid', event.sid, 'gw', event.gw, 'gen', String(event.gen), 'interests', interests, 'ipHash', event.ipHash];
      if (event.avoid !== undefined) fields.push('avoid', event.avoid);
      if (event.block) fields.push('block', '1');
      // Defaults are left out: most joins are plain text with no language.
      if (event.lang && event.lang.length > 0) fields.push('lang', JSON.stringify(event.lang));
      if (event.strict) fields.push('strict', '1');
      if (event.age && event.age !== 'unknown') fields.push('age', event.age);
      if (event.media && event.media !== 'text') fields.push('media', event.media);
      return fields;
    }
    case 'cancel':
    case 'park':
      return recordToFields({ t: event.t, sid: event.sid, gen: event.gen });
    case 'rematch':
      return recordToFields(event);
    case 'reported':
      return recordToFields({ t: event.t, sid: event.sid, ipHash: event.ipHash });
    case 'flag':
      return recordToFields({ t: event.t, ipHash: event.ipHash, until: event.until });
    case 'unflag':
      return recordToFields({ t: event.t, ipHash: event.ipHash });
  }
}

/**
 * Decodes a matcher event from its flat field list (as a stream entry carries it). Joins are
 * the matcher's hot path, so a well-formed join (as `encodeMatcherEvent` writes it) is
 * checked by hand, to the same rules as the schema; anything else goes through the schema.
 */
export function decodeMatcherEvent(flat: readonly string[]): MatcherEvent | undefined {
  if (flat[0] === 't' && flat[1] === 'join') {
    const join = decodeJoinFields(flat);
    if (join) return join;
  }
  return decodeEntry(matcherEventSchema, fieldsToRecord(flat));
}

/** A join by hand, or undefined for the schema to judge (and usually reject). */
function decodeJoinFields(flat: readonly string[]): JoinEvent | undefined {
  let sid: string | undefined;
  let gw: string | undefined;
  let gen: string | undefined;
  let interests: string | undefined;
  let ipHash = '';
  let avoid: string | undefined;
  let block: string | undefined;
  let lang: string | undefined;
  let strict: string | undefined;
  let age = 'unknown';
  let media = 'text';
  for (let i = 2; i + 1 < flat.length; i += 2) {
    const field = flat[i];
    const value = flat[i + 1]!;
    if (field === 'sid') sid = value;
    else if (field === 'gw') gw = value;
    else if (field === 'gen') gen = value;
    else if (field === 'interests') interests = value;
    else if (field === 'ipHash') ipHash = value;
    else if (field === 'avoid') avoid = value;
    else if (field === 'block') block = value;
    else if (field === 'lang') lang = value;
    else if (field === 'strict') strict = value;
    else if (field === 'age') age = value;
    else if (field === 'media') media = value;
    else if (field === 't') return undefined; // a second type field: the schema decides
    // other fields are dropped, as the schema drops them
  }
  const genNumber = Number(gen);
  if (!sid || !gw || gen === undefined || !Number.isSafeInteger(genNumber) || interests === undefined) return undefined;
  if (block !== undefined && block !== '0' && block !== '1') return undefined;
  if (strict !== undefined && strict !== '0' && strict !== '1') return undefined;
  if (!AGE_GROUP_SET.has(age) || !MEDIA_KIND_SET.has(media)) return undefined;
  const list = interests === '[]' ? [] : parseStringArray(interests);
  const languages = lang === undefined || lang === '[]' ? [] : parseStringArray(lang);
  if (!list || !languages) return undefined;
  const join: JoinEvent = {
    t: 'join',
    sid,
    gw,
    gen: genNumber,
    interests: list,
    ipHash,
    block: block === '1',
    lang: languages,
    strict: strict === '1',
    age: age as AgeGroup,
    media: media as MediaKind,
  };
  if (avoid !== undefined) join.avoid = avoid;
  return join;
}

function parseStringArray(raw: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  } catch {
    // not JSON
  }
  return undefined;
}

// ---- matcher → gateway: keys.gatewayControl ----

const pairedEntrySchema = z.object({
  t: z.literal('paired'),
  to: z.string(),
  gen: int,
  chat: z.string(),
  partner: z.string(),
  pgw: z.string(),
  interests: jsonStringArray,
  /** Languages both named (matched on language), or []. */
  lang: jsonStringArray.default([]),
  media: mediaKind.default('text'),
  /** Audio/video: who sends the WebRTC offer ('' or absent for text). */
  role: z.preprocess((role) => (role === '' ? undefined : role), z.enum(MediaRole).optional()),
  /** Put back together by a rematch of their ended chat. */
  rematch: flag.default(false),
});
export type PairedEntry = z.output<typeof pairedEntrySchema>;
const MEDIA_ROLE_SET: ReadonlySet<string> = new Set(Object.values(MediaRole));

/**
 * Control entries: pair assignments (matcher → gateway), and the resume handoff between
 * gateways: `handoff` asks the owner of a session to let it go to `owner` (a client resumed
 * there); `handed` answers, `ok` false when the session was not there to hand over.
 */
export const controlEntrySchema = z.discriminatedUnion('t', [
  pairedEntrySchema,
  /** The stranger of the ended chat `chat` asked to reconnect (matcher → the partner's gateway). */
  z.object({ t: z.literal('rematch_offer'), to: z.string(), chat: z.string() }),
  z.object({ t: z.literal('handoff'), to: z.string(), owner: z.string(), gw: z.string() }),
  z.object({ t: z.literal('handed'), to: z.string(), ok: flag }),
]);
export type ControlEntry = z.output<typeof controlEntrySchema>;
export type HandoffEntry = Extract<ControlEntry, { t: 'handoff' }>;

/**
 * Decodes a control entry. Pair assignments are the hot path (one per session paired), so a
 * well-formed `paired` (as `encodeControlEntry` writes it) is checked by hand, to the same
 * rules as the schema; anything else goes through the schema.
 */
export function decodeControlEntry(fields: StreamFields): ControlEntry | undefined {
  if (fields.t === 'paired') {
    const { to, chat, partner, pgw, interests, lang, media = 'text', role, rematch = '0' } = fields;
    const gen = Number(fields.gen);
    if (to !== undefined && chat !== undefined && partner !== undefined && pgw !== undefined && interests !== undefined && Number.isSafeInteger(gen)) {
      const list = interests === '[]' ? [] : parseStringArray(interests);
      const languages = lang === undefined || lang === '[]' ? [] : parseStringArray(lang);
      const valid = MEDIA_KIND_SET.has(media) && (role === undefined || role === '' || MEDIA_ROLE_SET.has(role)) && (rematch === '0' || rematch === '1');
      if (list && languages && valid) {
        const entry: PairedEntry = { t: 'paired', to, gen, chat, partner, pgw, interests: list, lang: languages, media: media as MediaKind, rematch: rematch === '1' };
        // As the schema has it: a written '' (text chats) is the key with no value.
        if (role !== undefined) entry.role = role === '' ? undefined : (role as MediaRole);
        return entry;
      }
    }
  }
  return decodeEntry(controlEntrySchema, fields);
}

export function encodeControlEntry(entry: ControlEntry): string[] {
  switch (entry.t) {
    case 'paired': {
      const { role, ...rest } = entry;
      const fields = recordToFields({ ...rest, interests: JSON.stringify(entry.interests), lang: JSON.stringify(entry.lang), rematch: entry.rematch ? '1' : '0' });
      if (role !== undefined) fields.push('role', role);
      return fields;
    }
    case 'rematch_offer':
    case 'handoff':
      return recordToFields(entry);
    case 'handed':
      return recordToFields({ ...entry, ok: entry.ok ? '1' : '0' });
  }
}

// ---- gateway → gateway: keys.gatewayInbox (written by chat_send / chat_end / typing) ----

export const inboxEntrySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('msg'), to: z.string(), chat: z.string(), seq: int, text: z.string(), ts: int }),
  z.object({ t: z.literal('typing'), to: z.string(), chat: z.string(), typing: flag }),
  z.object({
    t: z.literal('left'),
    to: z.string(),
    chat: z.string(),
    reason: z.enum(LeftReason),
    by: z.string(),
  }),
  // Audio/video chats (lua/chat_signal.lua): never stored; `data` is the signal's JSON, as
  // the sender's gateway checked it. `resync`: the partner resumed, send fresh ICE servers.
  z.object({ t: z.literal('signal'), to: z.string(), chat: z.string(), data: z.string() }),
  z.object({ t: z.literal('resync'), to: z.string(), chat: z.string() }),
]);
export type InboxEntry = z.output<typeof inboxEntrySchema>;

export function encodeTypingEntry(to: string, chat: string, typing: boolean): string[] {
  return ['t', 'typing', 'to', to, 'chat', chat, 'typing', typing ? '1' : '0'];
}

/**
 * Decodes an inbox entry. Every kind is on a hot path (partner messages, typing, and one
 * `left` per chat), so well-formed entries are checked by hand, to the same rules as the
 * schema; anything else goes through the schema.
 */
export function decodeInboxEntry(fields: StreamFields): InboxEntry | undefined {
  const { to, chat } = fields;
  if (to !== undefined && chat !== undefined) {
    switch (fields.t) {
      case 'msg': {
        const { text } = fields;
        const seq = Number(fields.seq);
        const ts = Number(fields.ts);
        if (text !== undefined && Number.isSafeInteger(seq) && Number.isSafeInteger(ts)) return { t: 'msg', to, chat, seq, text, ts };
        break;
      }
      case 'typing':
        if (fields.typing === '0' || fields.typing === '1') return { t: 'typing', to, chat, typing: fields.typing === '1' };
        break;
      case 'signal':
        if (fields.data !== undefined) return { t: 'signal', to, chat, data: fields.data };
        break;
      case 'resync':
        return { t: 'resync', to, chat };
      case 'left': {
        const { reason, by } = fields;
        if (by !== undefined && reason !== undefined && isLeftReason(reason)) {
          return { t: 'left', to, chat, reason, by };
        }
        break;
      }
    }
  }
  return decodeEntry(inboxEntrySchema, fields);
}

/** Decodes with a schema; a malformed entry is reported rather than thrown. */
export function decodeEntry<S extends z.ZodType>(schema: S, fields: StreamFields): z.output<S> | undefined {
  const parsed = schema.safeParse(fields);
  return parsed.success ? parsed.data : undefined;
}
