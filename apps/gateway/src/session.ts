import { randomBytes } from 'node:crypto';
import type { SessionState } from '@strangers/protocol';

/** What a paired session knows about its chat; all of it came from the matcher. */
export interface ChatLink {
  id: string;
  partner: string;
  /** Where the partner's inbox is; corrected when the send script says it moved. */
  partnerGateway: string;
  interests: string[];
  /** Highest partner `seq` delivered to this client, so a redelivery is never shown twice. */
  lastDeliveredSeq: number;
}

/** 128 bits from the CSPRNG, URL-safe. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Server-side state of one `/ws` client. Routing is decided from this object alone:
 * nothing the client sends can name another session or chat.
 */
export class Session {
  readonly id = randomId();
  /** Independent of `id` so that knowing one reveals nothing about the other. */
  readonly resumeToken = randomId();
  state: SessionState = 'idle';
  /** Bumped on every entry into the queue; a pair assignment for an older one is stale. */
  gen = 0;
  interests: string[] = [];
  requeue = true;
  chat: ChatLink | undefined;

  constructor(readonly ipHash: string) {}
}
