import type { Logger } from '@strangers/config';
import {
  controlEntrySchema,
  decodeEntry,
  decodeInboxEntry,
  keys,
  parseStreamsReply,
  type ControlEntry,
  type InboxEntry,
  type Redis,
} from '@strangers/redis';

export interface InboxHandlers {
  onControl(entry: ControlEntry): void;
  onInbox(entry: InboxEntry): void;
}

const READ_COUNT = 1000;
const BLOCK_MS = 2000;
/** Processed entries are trimmed away at most this often. */
const TRIM_INTERVAL_MS = 5000;

/**
 * Reads this gateway's control stream and message inboxes with one blocking XREAD on its
 * own connection (a blocked connection stalls everything queued behind it).
 *
 * One call covers every stream, and control entries are handled first within a batch:
 * a partner's first message is written after the pair assignment, so when both are in
 * one reply the `paired` frame still goes out first.
 */
export class InboxReader {
  private readonly streams: string[];
  private readonly lastIds: string[];
  private running = false;
  private loop: Promise<void> | undefined;
  private lastTrimAt = Date.now();
  /** True after a successful read; false while Redis is unreachable. */
  healthy = false;

  constructor(
    private readonly reader: Redis,
    private readonly commands: Redis,
    gatewayId: string,
    chatBuckets: number,
    private readonly handlers: InboxHandlers,
    private readonly logger: Logger,
  ) {
    this.streams = [keys.gatewayControl(gatewayId)];
    for (let bucket = 0; bucket < chatBuckets; bucket++) this.streams.push(keys.gatewayInbox(bucket, gatewayId));
    this.lastIds = this.streams.map(() => '$');
  }

  /** Starts after whatever the streams already hold (a restarted gateway has no sessions for it). */
  async start(): Promise<void> {
    const tails = await Promise.all(this.streams.map((stream) => this.commands.xrevrange(stream, '+', '-', 'COUNT', 1)));
    tails.forEach((tail, index) => {
      this.lastIds[index] = tail[0]?.[0] ?? '0-0';
    });
    this.running = true;
    this.healthy = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reader.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let reply: unknown;
      try {
        reply = await this.reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...this.streams, ...this.lastIds);
        this.healthy = true;
      } catch (error) {
        if (!this.running) return;
        this.healthy = false;
        this.logger.warn({ err: (error as Error).message }, 'inbox read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      if (reply) this.dispatch(parseStreamsReply(reply));
      this.maybeTrim();
    }
  }

  private dispatch(byStream: ReturnType<typeof parseStreamsReply>): void {
    // Index 0 is the control stream; handle it before the message inboxes.
    for (let index = 0; index < this.streams.length; index++) {
      const entries = byStream.get(this.streams[index]!);
      if (!entries || entries.length === 0) continue;
      this.lastIds[index] = entries[entries.length - 1]!.id;
      for (const { id, fields } of entries) {
        try {
          if (index === 0) {
            const entry = decodeEntry(controlEntrySchema, fields);
            if (entry) this.handlers.onControl(entry);
            else this.logger.error({ id }, 'malformed control entry dropped');
          } else {
            const entry = decodeInboxEntry(fields);
            if (entry) this.handlers.onInbox(entry);
            else this.logger.error({ id }, 'malformed inbox entry dropped');
          }
        } catch (error) {
          this.logger.error({ err: error, id }, 'inbox handler failed');
        }
      }
    }
  }

  /** Our streams have one reader, us: whatever we have read can go. */
  private maybeTrim(): void {
    const now = Date.now();
    if (now - this.lastTrimAt < TRIM_INTERVAL_MS) return;
    this.lastTrimAt = now;
    this.streams.forEach((stream, index) => {
      const lastId = this.lastIds[index]!;
      if (lastId === '0-0' || lastId === '$') return;
      // MINID keeps lastId itself; harmless, and it keeps the stream (and its key) alive.
      this.commands.xtrim(stream, 'MINID', '~', lastId).catch(() => {});
    });
  }
}
