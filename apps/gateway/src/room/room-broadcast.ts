import type { Logger } from '@strangers/config';
import { keys, parseStreamsReply, type Redis } from '@strangers/redis';
import { decodeRoomEvent, encodeRoomMessage, type RoomEvent } from './room-events.js';

const READ_COUNT = 1000;
const BLOCK_MS = 2000;
const RETRY_MS = 250;

/**
 * The room's fan-out: messages go into one bounded stream, and every gateway reads all of it
 * with XREAD BLOCK on its own connection (a blocked connection stalls whatever is queued
 * behind it). The reader remembers the last id it handled, so after a Redis outage it
 * carries on from there and its clients miss nothing still held by the stream.
 */
export class RoomFeed {
  private lastId = '$';
  private running = false;
  private loop: Promise<void> | undefined;
  /** True after a successful read; false while Redis is unreachable. */
  healthy = false;

  constructor(
    private readonly reader: Redis,
    private readonly commands: Redis,
    private readonly maxLength: number,
    private readonly onEvent: (event: RoomEvent) => void,
    private readonly logger: Logger,
  ) {}

  /** Starts after whatever the stream already holds: a starting gateway has no members to tell. */
  async start(): Promise<void> {
    const tail = await this.commands.xrevrange(keys.roomEvents, '+', '-', 'COUNT', 1);
    this.lastId = tail[0]?.[0] ?? '0-0';
    this.running = true;
    this.healthy = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reader.disconnect();
    await this.loop;
  }

  /** Appends `name: text` for every other member; resolves with the entry id. */
  async publish(name: string, text: string): Promise<string> {
    const id = await this.commands.xadd(keys.roomEvents, 'MAXLEN', '~', this.maxLength, '*', ...encodeRoomMessage(name, text));
    return id ?? '';
  }

  private async run(): Promise<void> {
    while (this.running) {
      let reply: unknown;
      try {
        reply = await this.reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', keys.roomEvents, this.lastId);
        if (!this.healthy) this.logger.info({ after: this.lastId }, 'room feed restored; catching up');
        this.healthy = true;
      } catch (error) {
        if (!this.running) return;
        if (this.healthy) this.logger.warn({ err: (error as Error).message }, 'room feed read failed; retrying');
        this.healthy = false;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      const entries = parseStreamsReply(reply).get(keys.roomEvents);
      if (!entries || entries.length === 0) continue;
      this.lastId = entries[entries.length - 1]!.id;
      for (const { id, fields } of entries) {
        const event = decodeRoomEvent(id, fields);
        if (!event) {
          this.logger.error({ id }, 'malformed room event dropped');
          continue;
        }
        try {
          this.onEvent(event);
        } catch (error) {
          this.logger.error({ err: error, id }, 'room event handler failed');
        }
      }
    }
  }
}
