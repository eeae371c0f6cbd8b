import { ErrorCode } from '@strangers/protocol';
import { StrangerClientError, type ClientErrorCode } from './errors.js';

interface PendingSend {
  resolve(result: { seq: number }): void;
  reject(error: StrangerClientError): void;
}

/**
 * Server errors that may answer a `message` frame when the error carries no `id` (a
 * gateway older than v1.1, which does not echo it). Such an error is attributed to the
 * OLDEST unacknowledged send: the gateway answers a client's frames in order. `stale_chat`
 * is left out: without an id it answers a `typing`, `next` or `report`.
 */
const ID_LESS_SEND_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.textTooLong,
  ErrorCode.rateLimited,
  ErrorCode.unavailable,
  ErrorCode.invalidState,
  ErrorCode.blocked,
]);

/** The sends waiting for their `ack`, keyed by the frame `id` the SDK gave them. */
export class PendingSends {
  private readonly sends = new Map<string, PendingSend>();
  private nextId = 1;

  /** Registers a send; returns the id to put on its frame and the promise its ack settles. */
  add(): { id: string; acked: Promise<{ seq: number }> } {
    const id = `m${this.nextId++}`;
    const acked = new Promise<{ seq: number }>((resolve, reject) => this.sends.set(id, { resolve, reject }));
    return { id, acked };
  }

  ack(id: string | undefined, seq: number): void {
    const send = id === undefined ? undefined : this.sends.get(id);
    if (!send) return;
    this.sends.delete(id!);
    send.resolve({ seq });
  }

  /**
   * Rejects the send an error answers: the one whose `id` it echoes (v1.1), else the oldest
   * pending one for codes that can answer a message. False when it answers no send.
   */
  rejectFor(error: { code: ErrorCode; message: string; id?: string | undefined }): boolean {
    let id = error.id;
    if (id === undefined && ID_LESS_SEND_ERRORS.has(error.code)) id = this.sends.keys().next().value;
    const send = id === undefined ? undefined : this.sends.get(id);
    if (!send) return false;
    this.sends.delete(id!);
    send.reject(new StrangerClientError(error.code, error.message));
    return true;
  }

  rejectAll(code: ClientErrorCode, message: string): void {
    const sends = [...this.sends.values()];
    this.sends.clear();
    for (const send of sends) send.reject(new StrangerClientError(code, message));
  }
}
