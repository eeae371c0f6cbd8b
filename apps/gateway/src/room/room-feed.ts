import type { Logger } from '@strangers/config';
import { keys, type Redis, type StreamEntry } from '@strangers/redis';
import { runBlockingReads, streamTail } from '../cluster/stream-reader.js';
import { decodeRoomEvent, encodeRoomMessage, type RoomEvent } from './room-events.js';

/**
 * The room's fan-out: messages go into one bounded stream, and every gateway reads all of it
 * with the blocking-read loop (cluster/stream-reader.ts) on its own connection. The reader
 * remembers the last id it handled, so after a Redis outage it carries on from there and its
 * clients miss nothing still held by the stream.
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
    this.lastId = await streamTail(this.commands, keys.roomEvents);
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

  private run(): Promise<void> {
    return runBlockingReads({
      client: this.reader,
      streams: [keys.roomEvents],
      lastIds: () => [this.lastId],
      running: () => this.running,
      onEntries: (byStream) => this.handle(byStream.get(keys.roomEvents)),
      onHealth: (healthy, error) => {
        if (healthy && !this.healthy) this.logger.info({ after: this.lastId }, 'room feed restored; catching up');
        if (error && this.healthy) this.logger.warn({ err: error.message }, 'room feed read failed; retrying');
        this.healthy = healthy;
      },
    });
  }

  private handle(entries: StreamEntry[] | undefined): void {
    if (!entries || entries.length === 0) return;
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
