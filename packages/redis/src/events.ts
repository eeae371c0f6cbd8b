import { z } from 'zod';
import { isLeftReason, LeftReason } from '@strangers/protocol';
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
  }),
  z.object({ t: z.literal('cancel'), sid: z.string().min(1), gen: int }),
  z.object({ t: z.literal('reported'), sid: z.string().min(1), ipHash: z.string() }),
]);
export type MatcherEvent = z.output<typeof matcherEventSchema>;
export type JoinEvent = Extract<MatcherEvent, { t: 'join' }>;

export function encodeMatcherEvent(event: MatcherEvent): string[] {
  switch (event.t) {
    case 'join': {
      // By hand, not with recordToFields: one per join on every gateway.
      const interests = event.interests.length === 0 ? '[]' : JSON.stringify(event.interests);
      const fields = ['t', 'join', 'sid', event.sid, 'gw', event.gw, 'gen', String(event.gen), 'interests', interests, 'ipHash', event.ipHash];
      if (event.avoid !== undefined) fields.push('avoid', event.avoid);
      if (event.block) fields.push('block', '1');
      return fields;
    }
    case 'cancel':
      return recordToFields({ t: event.t, sid: event.sid, gen: event.gen });
    case 'reported':
      return recordToFields({ t: event.t, sid: event.sid, ipHash: event.ipHash });
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
    else if (field === 't') return undefined; // a second type field: the schema decides
    // other fields are dropped, as the schema drops them
  }
  const genNumber = Number(gen);
  if (!sid || !gw || gen === undefined || !Number.isSafeInteger(genNumber) || interests === undefined) return undefined;
  if (block !== undefined && block !== '0' && block !== '1') return undefined;
  const list = interests === '[]' ? [] : parseStringArray(interests);
  if (!list) return undefined;
  const join: JoinEvent = { t: 'join', sid, gw, gen: genNumber, interests: list, ipHash, block: block === '1' };
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
});
export type PairedEntry = z.output<typeof pairedEntrySchema>;

/**
 * Control entries: pair assignments (matcher → gateway), and the resume handoff between
 * gateways: `handoff` asks the owner of a session to let it go to `owner` (a client resumed
 * there); `handed` answers, `ok` false when the session was not there to hand over.
 */
export const controlEntrySchema = z.discriminatedUnion('t', [
  pairedEntrySchema,
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
    const { to, chat, partner, pgw, interests } = fields;
    const gen = Number(fields.gen);
    if (to !== undefined && chat !== undefined && partner !== undefined && pgw !== undefined && interests !== undefined && Number.isSafeInteger(gen)) {
      const list = interests === '[]' ? [] : parseStringArray(interests);
      if (list) return { t: 'paired', to, gen, chat, partner, pgw, interests: list };
    }
  }
  return decodeEntry(controlEntrySchema, fields);
}

export function encodeControlEntry(entry: ControlEntry): string[] {
  switch (entry.t) {
    case 'paired':
      return recordToFields({ ...entry, interests: JSON.stringify(entry.interests) });
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
