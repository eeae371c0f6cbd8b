import { randomBytes } from 'node:crypto';

/**
 * A new id: 9 base36 chars of `at` (ms; fixed width, so ids sort by time as strings) and 64
 * random bits in hex. Ban ids are the secret in appeal links: the random part makes them
 * unguessable.
 */
export function newId(at: number): string {
  return Math.floor(at).toString(36).padStart(9, '0') + randomBytes(8).toString('hex');
}

/** The smallest id of time `at`: ids below it were made before `at`. */
export function idFloor(at: number): string {
  return Math.max(0, Math.floor(at)).toString(36).padStart(9, '0');
}

/** The creation time encoded in an id. */
export function idTime(id: string): number {
  return parseInt(id.slice(0, 9), 36);
}
