/** Typed helpers over raw stream replies, which ioredis returns as nested string arrays. */

export type StreamFields = Record<string, string>;
export interface StreamEntry {
  id: string;
  fields: StreamFields;
}

type RawEntry = [id: string, fields: string[]];
type RawStreams = [stream: string, entries: RawEntry[]][];

export function fieldsToRecord(flat: readonly string[]): StreamFields {
  const record: StreamFields = Object.create(null) as StreamFields;
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!;
  return record;
}

/** Flattens `{a: 1, b: undefined}` into `['a', '1']`, skipping absent values. */
export function recordToFields(record: Record<string, string | number | boolean | undefined>): string[] {
  const flat: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined) flat.push(key, String(value));
  }
  return flat;
}

/** Parses an XREAD / XREADGROUP reply into entries grouped by stream name. */
export function parseStreamsReply(reply: unknown): Map<string, StreamEntry[]> {
  const result = new Map<string, StreamEntry[]>();
  if (!Array.isArray(reply)) return result;
  for (const [stream, entries] of reply as RawStreams) {
    // One pass, no intermediate arrays: every entry a gateway or the matcher reads comes through here.
    const parsed: StreamEntry[] = [];
    for (const [id, fields] of entries) {
      // XREADGROUP returns null fields for entries deleted while pending.
      if (Array.isArray(fields)) parsed.push({ id, fields: fieldsToRecord(fields) });
    }
    result.set(stream, parsed);
  }
  return result;
}

/** Compares two stream ids ("ms-seq") numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
