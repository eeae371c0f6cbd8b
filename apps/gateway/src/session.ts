import { randomFillSync } from 'node:crypto';
import type { LeftReason, SessionState } from '@strangers/protocol';

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

/** The Redis hash a session is stored as (keys.session): flat strings. */
export type SessionRecord = Record<string, string>;

/**
 * Server-side state of one `/ws` client. Routing is decided from this object alone:
 * nothing the client sends can name another session or chat.
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

  constructor(
    readonly ipHash: string,
    readonly id = randomId(),
    /** Independent of `id` so that knowing one reveals nothing about the other. */
    readonly resumeToken = randomId(),
  ) {}

  toRecord(): SessionRecord {
    return {
      token: this.resumeToken,
      ipHash: this.ipHash,
      state: this.state,
      gen: String(this.gen),
      interests: JSON.stringify(this.interests),
      requeue: this.requeue ? '1' : '0',
      chat: this.chat?.id ?? '',
      partner: this.chat?.partner ?? '',
      pgw: this.chat?.partnerGateway ?? '',
      cint: JSON.stringify(this.chat?.interests ?? []),
      left: this.missedLeft ?? '',
    };
  }

  /**
   * The record as HSET's field-value list, plus `detached` (and `owner` when given): the
   * same fields as `toRecord`, without the object ioredis would flatten again on every save.
   */
  toFields(owner: string | undefined, detached: boolean): string[] {
    const chat = this.chat;
    const fields = [
      'token', this.resumeToken,
      'ipHash', this.ipHash,
      'state', this.state,
      'gen', String(this.gen),
      'interests', JSON.stringify(this.interests),
      'requeue', this.requeue ? '1' : '0',
      'chat', chat?.id ?? '',
      'partner', chat?.partner ?? '',
      'pgw', chat?.partnerGateway ?? '',
      'cint', chat ? JSON.stringify(chat.interests) : '[]',
      'left', this.missedLeft ?? '',
      'detached', detached ? '1' : '0',
    ];
    if (owner !== undefined) fields.push('owner', owner);
    return fields;
  }

  static fromRecord(id: string, record: SessionRecord): Session {
    const session = new Session(record.ipHash ?? '', id, record.token);
    session.state = (record.state as SessionState | undefined) ?? 'idle';
    session.gen = Number(record.gen ?? 0);
    session.interests = parseList(record.interests);
    session.requeue = record.requeue !== '0';
    session.missedLeft = (record.left || undefined) as LeftReason | undefined;
    if (record.chat) {
      session.chat = {
        id: record.chat,
        partner: record.partner ?? '',
        partnerGateway: record.pgw ?? '',
        interests: parseList(record.cint),
        lastDeliveredSeq: 0,
      };
    }
    return session;
  }
}

function parseList(raw: string | undefined): string[] {
  try {
    const value: unknown = JSON.parse(raw ?? '[]');
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}
