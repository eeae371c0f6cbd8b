import { randomBytes } from 'node:crypto';
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

/** 128 bits from the CSPRNG, URL-safe. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

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
  interests: string[] = [];
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
