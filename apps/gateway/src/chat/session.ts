import { randomFillSync } from 'node:crypto';
import type { LeftReason, SessionState } from '@strangers/protocol';
import {
  encodeSessionField as encode,
  encodeSessionRecord,
  fieldsToRecord,
  NO_MATCH_PREFERENCES,
  SessionField as F,
  type EndedChatRecord,
  type OwnerToken,
  type SessionMatchRecord,
  type SessionRecord,
  type SessionRecordWrite,
} from '@strangers/redis';

/** What a paired session knows about its chat; all of it came from the matcher. */
export interface ChatLink {
  id: string;
  partner: string;
  /** Where the partner's inbox is; corrected when a script says it moved. */
  partnerGateway: string;
  interests: string[];
  /** Highest partner `seq` delivered to this client, so a redelivery is never shown twice. */
  lastDeliveredSeq: number;
}

const ID_BYTES = 16;
/** Random bytes drawn for many ids at once: a draw per id costs a native job and a buffer each time. */
const idPool = Buffer.alloc(ID_BYTES * 256);
let idPoolOffset = idPool.length;

/** 128 bits from the CSPRNG, URL-safe; each pooled byte is used once. */
export function randomId(): string {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const id = idPool.toString('base64url', idPoolOffset, idPoolOffset + ID_BYTES);
  idPoolOffset += ID_BYTES;
  return id;
}

/** Shared by every session that has not joined yet (frozen: a session replaces its list, never edits it). */
const NO_INTERESTS = Object.freeze([]) as unknown as string[];

/** What a session's record holds of the fields that change, as last written (see `Session.fieldsToWrite`). */
interface WrittenFields {
  state: SessionState;
  gen: number;
  interests: string[];
  requeue: boolean;
  chat: ChatLink | undefined;
  pgw: string;
  left: string;
  match: SessionMatchRecord;
  ended: EndedChatRecord | undefined;
  detached: boolean;
}

/**
 * Server-side state of one `/ws` client. Routing is decided from this object alone:
 * nothing the client sends can name another session or chat. Its Redis form is the session
 * record of packages/redis (session-record.ts: field names, schema, encoder); the state
 * machine that changes it is session-machine.ts (its moves: session-transitions.ts), the store
 * that writes it session-store.ts.
 */
export class Session {
  state: SessionState = 'idle';
  /** Bumped on every entry into the queue; a pair assignment for an older one is stale. */
  gen = 0;
  interests: string[] = NO_INTERESTS;
  requeue = true;
  chat: ChatLink | undefined;
  /** Why the chat ended while the client was away; told right after it resumes. */
  missedLeft: LeftReason | undefined;
  /** The token before `resumeToken`, valid until that one has been used (see `tokensAfterResume`). */
  previousToken: string | undefined;
  /** Its last join's matching fields (language, age group, media); replaced, never edited. */
  match: SessionMatchRecord = NO_MATCH_PREFERENCES;
  /** Its last ended chat, for `rematch`; replaced, never edited. */
  ended: EndedChatRecord | undefined;
  /** The record's fields as this process last wrote them; undefined: unknown (see `fieldsToWrite`). */
  private written: WrittenFields | undefined;

  constructor(
    readonly ipHash: string,
    readonly id = randomId(),
    /** Independent of `id` so that knowing one reveals nothing about the other. Rotated on every resume. */
    public resumeToken = randomId(),
  ) {}

  /** True for the current token and the previous one (PROTOCOL.md §1 "Resume"). */
  acceptsToken(token: string): boolean {
    return token === this.resumeToken || (this.previousToken !== undefined && token === this.previousToken);
  }

  /**
   * The tokens after a resume with `used` (PROTOCOL.md §1): `resumed` hands out a new one,
   * and `used` stays valid until the new one is used (a `resumed` lost on the way must not
   * lock the client out). Using the current token kills the one before it; using the
   * previous one again kills the current one (it never reached the client). Applied by
   * `applyTokens` once stored.
   */
  tokensAfterResume(used: string): { resumeToken: string; previousToken: string; dead: string | undefined } {
    const dead = used === this.resumeToken ? this.previousToken : this.resumeToken;
    return { resumeToken: randomId(), previousToken: used, dead };
  }

  applyTokens(tokens: { resumeToken: string; previousToken: string }): void {
    this.resumeToken = tokens.resumeToken;
    this.previousToken = tokens.previousToken;
  }

  /** The whole record as a hash (without `detached` and `owner`). */
  toRecord(): Record<string, string> {
    return fieldsToRecord(encodeSessionRecord(this.toRecordWrite()));
  }

  /** The whole record as HSET's field-value list, with `detached` and `owner` (a handoff writes it so). */
  recordFields(owner: OwnerToken, detached: boolean): string[] {
    return encodeSessionRecord(this.toRecordWrite(), { owner, detached });
  }

  private toRecordWrite(): SessionRecordWrite {
    return {
      token: this.resumeToken,
      prevToken: this.previousToken,
      ipHash: this.ipHash,
      state: this.state,
      gen: this.gen,
      interests: this.interests,
      requeue: this.requeue,
      chat: this.chat,
      left: this.missedLeft,
      match: this.match,
      ended: this.ended,
    };
  }

  /**
   * The record's fields as HSET's field-value list (plus `owner` when given): only those
   * that differ from what this process last wrote, all of them the first time; none when
   * nothing changed. Every transition is saved and most change a few fields (a join: state
   * and gen; a pairing: state and the chat), while ioredis makes garbage per command and per
   * argument: the full record on each save was the largest share of a gateway's garbage
   * per join. What is returned counts as written from here on, so whoever else writes these
   * fields of a session we hold (a reclaim: `detached`) must call `forgetWritten`.
   */
  fieldsToWrite(owner: OwnerToken | undefined, detached: boolean): string[] {
    const chat = this.chat;
    const pgw = encode.pgw(chat);
    const left = encode.left(this.missedLeft);
    const written = this.written;
    const fields: string[] = [];
    if (!written) {
      fields.push(F.token, encode.token(this.resumeToken), F.prevToken, encode.ptoken(this.previousToken), F.ipHash, encode.ipHash(this.ipHash));
    }
    if (this.state !== written?.state) fields.push(F.state, encode.state(this.state));
    if (this.gen !== written?.gen) fields.push(F.gen, encode.gen(this.gen));
    if (this.interests !== written?.interests) fields.push(F.interests, encode.interests(this.interests));
    if (this.requeue !== written?.requeue) fields.push(F.requeue, encode.requeue(this.requeue));
    // (No chat is `undefined` on both sides: the first write must still have the fields.)
    const chatChanged = !written || chat !== written.chat;
    if (chatChanged) fields.push(F.chat, encode.chat(chat), F.partner, encode.partner(chat), F.cint, encode.cint(chat));
    if (chatChanged || pgw !== written.pgw) fields.push(F.pgw, pgw);
    if (left !== written?.left) fields.push(F.left, left);
    if (this.match !== written?.match) fields.push(F.match, encode.match(this.match));
    if (!written || this.ended !== written.ended) fields.push(F.ended, encode.ended(this.ended));
    if (detached !== written?.detached) fields.push(F.detached, encode.detached(detached));
    if (owner !== undefined) fields.push(F.owner, encode.owner(owner));
    if (written) {
      written.state = this.state;
      written.gen = this.gen;
      written.interests = this.interests;
      written.requeue = this.requeue;
      written.chat = chat;
      written.pgw = pgw;
      written.left = left;
      written.match = this.match;
      written.ended = this.ended;
      written.detached = detached;
    } else {
      this.written = { state: this.state, gen: this.gen, interests: this.interests, requeue: this.requeue, chat, pgw, left, match: this.match, ended: this.ended, detached };
    }
    return fields;
  }

  /** A write failed: what the record holds is unknown, so the next write has every field. */
  forgetWritten(): void {
    this.written = undefined;
  }

  static fromRecord(id: string, record: SessionRecord): Session {
    const session = new Session(record.ipHash, id, record.token);
    session.state = record.state;
    session.gen = record.gen;
    session.interests = record.interests;
    session.requeue = record.requeue;
    session.missedLeft = record.left;
    session.previousToken = record.prevToken;
    session.match = record.match;
    session.ended = record.ended;
    if (record.chat) session.chat = { ...record.chat, lastDeliveredSeq: 0 };
    return session;
  }
}
