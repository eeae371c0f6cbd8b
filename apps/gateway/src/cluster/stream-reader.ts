import { parseStreamsReply, type Redis, type StreamEntry } from '@strangers/redis';

const READ_COUNT = 1000;
const BLOCK_MS = 2000;
const RETRY_MS = 250;

export interface BlockingReadLoop {
  /** A connection of its own: a blocked connection stalls everything queued behind it. */
  client: Redis;
  /** The streams this loop reads together. */
  streams: readonly string[];
  /** The id after which each of `streams` is read next (updated by `onEntries`). */
  lastIds(): string[];
  running(): boolean;
  /** After a read that returned something, before its entries are handled (e.g. a catch-up read). */
  beforeHandling?(): Promise<void>;
  /** The entries of one read, by stream name. */
  onEntries(byStream: Map<string, StreamEntry[]>): void;
  /** Every read's outcome: true after a successful read, false (with the error) after a failed one. */
  onHealth(healthy: boolean, error?: Error): void;
  /** After every read, with or without entries. */
  afterRead?(): void;
}

/**
 * The one blocking stream-reader loop (the `/ws` inbox reader and the room feed run it):
 * XREAD BLOCK from where the last read ended, until `running()` turns false. A failed read
 * (Redis unreachable, a failover) is retried after a short pause, from the same ids, so
 * nothing the streams still hold is missed.
 */
export async function runBlockingReads(loop: BlockingReadLoop): Promise<void> {
  while (loop.running()) {
    let reply: unknown;
    try {
      reply = await loop.client.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...loop.streams, ...loop.lastIds());
      if (reply && loop.beforeHandling) await loop.beforeHandling();
      loop.onHealth(true);
    } catch (error) {
      if (!loop.running()) return;
      loop.onHealth(false, error as Error);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      continue;
    }
    if (reply) loop.onEntries(parseStreamsReply(reply));
    loop.afterRead?.();
  }
}

/** Non-blocking read of one stream after `lastId` (a catch-up), by stream name. */
export async function readAfter(client: Redis, stream: string, lastId: string): Promise<Map<string, StreamEntry[]>> {
  return parseStreamsReply(await client.xread('COUNT', READ_COUNT, 'STREAMS', stream, lastId));
}

/** The id of a stream's last entry ('0-0' when empty): where a reader that ignores the past starts. */
export async function streamTail(commands: Redis, stream: string): Promise<string> {
  const tail = await commands.xrevrange(stream, '+', '-', 'COUNT', 1);
  return tail[0]?.[0] ?? '0-0';
}
