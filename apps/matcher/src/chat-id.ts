import { randomBytes } from 'node:crypto';

/** Random bytes drawn in bulk: one randomBytes call per pair was the loop's largest cost. */
const ID_BYTES = 12;
let idPool = Buffer.alloc(0);
let idOffset = 0;

export function newChatId(buckets: number): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * 4096);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  const bucket = buckets > 1 ? Math.floor(Math.random() * buckets) : 0;
  return `${bucket}.${id}`;
}
