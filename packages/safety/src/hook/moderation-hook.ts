import { randomUUID } from 'node:crypto';
import type { Logger } from '@strangers/config';
import { z } from 'zod';
import type { HookSettings } from '../config.js';
import type { SafetyMetrics } from '../metrics.js';

/**
 * What the gateway POSTs to MODERATION_HOOK_URL (`Content-Type: application/json`, and
 * `Authorization: Bearer <MODERATION_HOOK_TOKEN>` when set). One message per request.
 */
export interface HookRequest {
  /** Unique per request, for the hook's logs. */
  id: string;
  chat: string;
  /** The sender's hashed client address (never the address itself). */
  sender: string;
  /** Messages already in the chat before this one, both directions (0 = the opening line). */
  index: number;
  text: string;
  /** When the gateway received it (ms since the epoch). */
  ts: number;
}

/** The answer the hook must give: status 2xx and `{"allow":true}` or `{"allow":false}`; `reason` optional. */
const hookAnswerSchema = z.object({ allow: z.boolean(), reason: z.string().max(200).optional() });

export type HookFailure = 'timeout' | 'error' | 'status' | 'bad_answer' | 'queue_full';

/**
 * A verdict. `source: 'hook'` is the hook's own answer; otherwise the hook gave none
 * (`failure` says why) and MODERATION_HOOK_FAIL decided: `open` allows, `closed` refuses.
 */
export type HookVerdict =
  | { allow: boolean; source: 'hook'; reason?: string }
  | { allow: boolean; source: 'fail_mode'; failure: HookFailure };

export type HookMessage = Omit<HookRequest, 'id'>;

const warnIntervalMs = 10_000;

interface Waiting {
  message: HookMessage;
  signal: AbortSignal;
  started: number;
  resolve: (verdict: HookVerdict | Promise<HookVerdict>) => void;
  onAbort: () => void;
}

/**
 * Asks the moderation hook about messages with a strict budget: each verdict comes within
 * MODERATION_HOOK_TIMEOUT_MS (queueing included) or the fail mode gives it. At most
 * `concurrency` requests are in flight; up to `queue` more wait; beyond that the fail mode
 * answers at once — so a slow or dead hook costs each message at most the timeout and never
 * piles up work on the gateway.
 */
export class ModerationHook {
  private inFlight = 0;
  private readonly waiting: Waiting[] = [];
  /** Failures since the last warning; a dead hook logs one line per interval, not one per message. */
  private unlogged = 0;
  private lastWarnAt = -Infinity;

  constructor(
    private readonly settings: HookSettings & { url: string },
    private readonly deps: { metrics?: Pick<SafetyMetrics, 'hookDuration' | 'hookFailures' | 'messagesBlocked'>; logger?: Logger } = {},
  ) {}

  /** Whether this message goes to the hook at all (MODERATION_HOOK_MESSAGES: the first K of a chat, or all). */
  wants(index: number): boolean {
    return this.settings.firstMessages === 0 || index < this.settings.firstMessages;
  }

  get pending(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.waiting.length };
  }

  /** The verdict on one message; never rejects. */
  check(message: HookMessage): Promise<HookVerdict> {
    const started = performance.now();
    const signal = AbortSignal.timeout(this.settings.timeoutMs);
    if (this.inFlight < this.settings.concurrency) return this.send(message, signal, started);
    if (this.waiting.length >= this.settings.queue) return Promise.resolve(this.failed('queue_full', started));
    return new Promise((resolve) => {
      const entry: Waiting = {
        message,
        signal,
        started,
        resolve,
        onAbort: () => {
          const at = this.waiting.indexOf(entry);
          if (at !== -1) this.waiting.splice(at, 1);
          resolve(this.failed('timeout', started));
        },
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private async send(message: HookMessage, signal: AbortSignal, started: number): Promise<HookVerdict> {
    this.inFlight += 1;
    try {
      return await this.request(message, signal, started);
    } finally {
      this.inFlight -= 1;
      this.startNext();
    }
  }

  private startNext(): void {
    const next = this.waiting.shift();
    if (next === undefined) return;
    next.signal.removeEventListener('abort', next.onAbort);
    next.resolve(this.send(next.message, next.signal, next.started));
  }

  private async request(message: HookMessage, signal: AbortSignal, started: number): Promise<HookVerdict> {
    const body: HookRequest = { id: randomUUID(), ...message };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.settings.token !== undefined) headers.authorization = `Bearer ${this.settings.token}`;
    let response: Response;
    try {
      response = await fetch(this.settings.url, { method: 'POST', headers, body: JSON.stringify(body), signal });
    } catch (error) {
      return this.failed(signal.aborted ? 'timeout' : 'error', started, error);
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => {});
      return this.failed('status', started, response.status);
    }
    let answer: unknown;
    try {
      answer = await response.json();
    } catch (error) {
      return this.failed(signal.aborted ? 'timeout' : 'bad_answer', started, error);
    }
    const parsed = hookAnswerSchema.safeParse(answer);
    if (!parsed.success) return this.failed('bad_answer', started);
    const outcome = parsed.data.allow ? 'allow' : 'block';
    this.deps.metrics?.hookDuration.observe({ outcome }, (performance.now() - started) / 1000);
    if (!parsed.data.allow) this.deps.metrics?.messagesBlocked.inc({ filter: 'hook' });
    return parsed.data.reason === undefined ? { allow: parsed.data.allow, source: 'hook' } : { allow: parsed.data.allow, source: 'hook', reason: parsed.data.reason };
  }

  private failed(failure: HookFailure, started: number, detail?: unknown): HookVerdict {
    const allow = this.settings.fail === 'open';
    this.deps.metrics?.hookFailures.inc({ reason: failure });
    this.deps.metrics?.hookDuration.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
    if (!allow) this.deps.metrics?.messagesBlocked.inc({ filter: 'hook' });
    this.warn(failure, detail);
    return { allow, source: 'fail_mode', failure };
  }

  private warn(failure: HookFailure, detail: unknown): void {
    this.unlogged += 1;
    const now = performance.now();
    if (now - this.lastWarnAt < warnIntervalMs) return;
    // Never the message or its sender: only why the hook gave no verdict.
    const cause = detail instanceof Error ? (detail.cause instanceof Error ? detail.cause.message : detail.message) : detail;
    this.deps.logger?.warn({ failure, cause, failures: this.unlogged, fail: this.settings.fail }, 'moderation hook gave no verdict');
    this.unlogged = 0;
    this.lastWarnAt = now;
  }
}
