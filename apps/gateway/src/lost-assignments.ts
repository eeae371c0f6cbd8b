import { decodeControlEntry, fieldsToRecord, keys, type PairedEntry, type Redis } from '@strangers/redis';

const PAGE = 1000;

/**
 * The pair assignments in a dead gateway's control stream, by the session they are for.
 *
 * The matcher writes an assignment there in the same commit that takes both sides out of
 * the queue. A gateway that dies between that commit and its next read leaves its session
 * `waiting` in its record while the partner was told `paired`. The matcher re-sends the
 * assignment when the reaper re-announces the orphan's join, but only from memory, which a
 * matcher restart or failover loses; then the orphan would be queued afresh and the partner
 * would wait in a chat nobody answers. The assignment itself is still in the stream, durable
 * and written with the pair, so the reaper (or a resume that finds the owner dead) reads it
 * back from there. This costs nothing while gateways live; persisting the matcher's memory
 * would cost a write per pair on its hot path for the sake of a rare failure.
 *
 * Which entries the dead gateway had already read is unknown (it trimmed now and then), so
 * all are returned; `SessionStore.assign` applies one only to a session still waiting with
 * its gen, which an applied or stale assignment never matches.
 */
export async function readPairAssignments(redis: Redis, gatewayId: string): Promise<Map<string, PairedEntry[]>> {
  const byTo = new Map<string, PairedEntry[]>();
  const stream = keys.gatewayControl(gatewayId);
  for (let start = '-'; ; ) {
    const page = await redis.xrange(stream, start, '+', 'COUNT', PAGE);
    for (const [, flat] of page) {
      const entry = decodeControlEntry(fieldsToRecord(flat));
      if (entry?.t !== 'paired') continue;
      const list = byTo.get(entry.to);
      if (list) list.push(entry);
      else byTo.set(entry.to, [entry]);
    }
    if (page.length < PAGE) return byTo;
    start = `(${page[page.length - 1]![0]}`;
  }
}
