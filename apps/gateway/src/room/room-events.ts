import { z } from 'zod';
import { recordToFields, type StreamFields } from '@strangers/redis';
import { stripControls } from './room-text.js';

/**
 * The entries of the room event stream (`keys.roomEvents`). `join` and `left` are written by
 * the claim and release scripts (packages/redis/lua/room_*.lua), `msg` by the sender's gateway.
 * Entries carry the name and raw text; each gateway formats the plain-text frame itself.
 */
export const roomEventSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('join'), name: z.string().min(1) }),
  z.object({ t: z.literal('msg'), name: z.string().min(1), text: z.string() }),
  z.object({ t: z.literal('left'), name: z.string().min(1) }),
]);

/** A decoded entry with its stream id, which orders it against a connection's own join. */
export type RoomEvent = z.output<typeof roomEventSchema> & { id: string };

export function decodeRoomEvent(id: string, fields: StreamFields): RoomEvent | undefined {
  const parsed = roomEventSchema.safeParse(fields);
  return parsed.success ? { ...parsed.data, id } : undefined;
}

export function encodeRoomMessage(name: string, text: string): string[] {
  return recordToFields({ t: 'msg', name, text });
}

/** The frame every other member sees (PROTOCOL.md §2). */
export function roomEventText(event: RoomEvent): string {
  switch (event.t) {
    case 'join':
      return `${event.name} joined the chat`;
    case 'msg':
      // Stripped by the sender's gateway too; again here, for entries any other writer made.
      return `${event.name}: ${stripControls(event.text)}`;
    case 'left':
      return `${event.name} left the chat`;
  }
}

export function welcomeText(name: string): string {
  return `Welcome ${name}!`;
}
