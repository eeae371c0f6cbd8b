import type { Logger } from '@strangers/config';
import {
  compareStreamIds,
  decodeControlEntry,
  decodeInboxEntry,
  duplicateRedisClient,
  isCluster,
  keys,
  type ControlEntry,
  type InboxEntry,
  type Redis,
  type StreamEntry,
} from '@strangers/redis';
import { readAfter, runBlockingReads, streamTail } from '../cluster/stream-reader.js';

export interface InboxHandlers {
  onControl(entry: ControlEntry): void;
  onInbox(entry: InboxEntry): void;
}

/** Processed entries are trimmed away at most this often. */
const TRIM_INTERVAL_MS = 5000;
/** Index of the control stream in `streams`; the message inboxes follow it. */
const CONTROL = 0;

/**
 * Reads this gateway's control stream and message inboxes with the blocking-read loop
 * (cluster/stream-reader.ts) on connections of their own, and hands each entry, decoded, to
 * the registry (chat/registry.ts).
 *
 * Single Redis: one XREAD covers every stream, and control entries are handled first within
 * a batch: a partner's first message is written after the pair assignment, so when both are
 * in one reply the `paired` frame still goes out first.
 *
 * Redis Cluster: the streams live on different slots (control on `{m}`, each inbox on its
 * chat bucket's `{b<n>}`) and one XREAD may not span slots, so each stream gets its own
 * blocking connection (a duplicate of `reader`; ioredis routes each to the node owning the
 * stream, and follows it through a failover). The control-first order is kept by catching
 * up on the control stream (non-blocking) before handling any inbox batch: whatever
 * assignment preceded a message is in the control stream by then.
 */
export class InboxReader {
  private readonly streams: string[];
  private readonly lastIds: string[];
  /** One blocking connection per group of streams read together, with the groups' indexes. */
  private readonly loops: { client: Redis; indexes: number[]; healthy: boolean }[] = [];
  private running = false;
  private runs: Promise<void>[] = [];
  private lastTrimAt = Date.now();

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

  /** True after a successful read on every connection; false while Redis is unreachable. */
  get healthy(): boolean {
    return this.running && this.loops.every((loop) => loop.healthy);
  }

  /** Starts after whatever the streams already hold (a restarted gateway has no sessions for it). */
  async start(): Promise<void> {
    const tails = await Promise.all(this.streams.map((stream) => streamTail(this.commands, stream)));
    tails.forEach((tail, index) => {
      this.lastIds[index] = tail;
    });
    if (isCluster(this.reader)) {
      this.streams.forEach((_, index) => {
        const client = index === CONTROL ? this.reader : duplicateRedisClient(this.reader, `b${index - 1}`);
        this.loops.push({ client, indexes: [index], healthy: true });
      });
    } else {
      this.loops.push({ client: this.reader, indexes: this.streams.map((_, index) => index), healthy: true });
    }
    this.running = true;
    this.runs = this.loops.map((loop) => this.run(loop));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const loop of this.loops) loop.client.disconnect();
    await Promise.all(this.runs);
  }

  private run(loop: { client: Redis; indexes: number[]; healthy: boolean }): Promise<void> {
    const catchUp = isCluster(this.reader) && !loop.indexes.includes(CONTROL);
    return runBlockingReads({
      client: loop.client,
      streams: loop.indexes.map((index) => this.streams[index]!),
      lastIds: () => loop.indexes.map((index) => this.lastIds[index]!),
      running: () => this.running,
      beforeHandling: catchUp ? () => this.catchUpControl(loop.client) : undefined,
      onEntries: (byStream) => this.dispatch(byStream, loop.indexes),
      onHealth: (healthy, error) => {
        loop.healthy = healthy;
        if (error) this.logger.warn({ err: error.message }, 'inbox read failed; retrying');
      },
      afterRead: () => this.maybeTrim(),
    });
  }

  /**
   * Cluster only: handles control entries not yet read, so they go before an inbox batch.
   * Read on the inbox's own connection, idle between its blocking reads: not on the
   * auto-pipelined commands connection, whose cluster batching takes a command's first
   * argument for its key (here `COUNT`) and would fail the whole batch as cross-slot.
   */
  private async catchUpControl(client: Redis): Promise<void> {
    this.dispatch(await readAfter(client, this.streams[CONTROL]!, this.lastIds[CONTROL]!), [CONTROL]);
  }

  private dispatch(byStream: Map<string, StreamEntry[]>, indexes: readonly number[]): void {
    // Indexes are in stream order, the control stream (0) first.
    for (const index of indexes) {
      const entries = byStream.get(this.streams[index]!);
      if (!entries || entries.length === 0) continue;
      // Two readers may return the same control entries (the blocking read and a catch-up).
      const fresh = index === CONTROL ? entries.filter(({ id }) => compareStreamIds(id, this.lastIds[CONTROL]!) > 0) : entries;
      if (fresh.length === 0) continue;
      this.lastIds[index] = fresh[fresh.length - 1]!.id;
      for (const { id, fields } of fresh) {
        try {
          if (index === CONTROL) {
            const entry = decodeControlEntry(fields);
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
