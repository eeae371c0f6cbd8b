import assert from 'node:assert/strict';
import { keys } from '@strangers/redis';
import { ASSIGNMENT_SLOTS, type CommitBatch } from '../../src/matching/commit-batch.js';
import type { WaitingSession } from '../../src/matching/pairing.js';
import type { PendingRematch } from '../../src/matching/rematch-requests.js';

/** A batch as the commit script receives it, decoded back into its sections. */
export interface Decoded {
  acks: string[];
  removed: string[];
  queued: Map<string, WaitingSession>;
  apart: { until: number; key: string }[];
  reports: { at: number; member: string }[];
  /** Stored reports a lift removes. */
  forgotten: string[];
  /** Addresses whose flag a lift removes (before `flagged` is stored). */
  unflagged: string[];
  flagged: { until: number; ipHash: string }[];
  assignments: { gw: string; to: string; gen: number; chat: string; partner: string; pgw: string; interests: string[] }[];
  /** Per assignment, the fields that only some chats use. */
  extras: { lang: string[]; media: string; role: string; rematch: boolean }[];
  offers: { gw: string; to: string; chat: string }[];
  rematchRemoved: string[];
  rematchStored: Map<string, PendingRematch>;
}

export function decodeCommit(batch: CommitBatch, gateways: readonly string[]): Decoded {
  const script = batch.toScript(undefined, undefined);
  const args = script.args.map(String);
  let at = 2; // consumer group, control stream MAXLEN
  const section = () => {
    const count = Number(args[at]);
    const items = args.slice(at + 1, at + 1 + count);
    at += 1 + count;
    return items;
  };
  const pairs = <T>(items: string[], make: (x: string, y: string) => T) => {
    const out: T[] = [];
    for (let i = 0; i < items.length; i += 2) out.push(make(items[i]!, items[i + 1]!));
    return out;
  };
  const acks = section();
  const removed = section();
  const queued = new Map(pairs(section(), (sid, json) => [sid, JSON.parse(json) as WaitingSession] as const));
  const apart = pairs(section(), (until, key) => ({ until: Number(until), key }));
  const reports = pairs(section(), (time, member) => ({ at: Number(time), member }));
  const forgotten = section();
  const unflagged = section();
  const flagged = pairs(section(), (until, ipHash) => ({ until: Number(until), ipHash }));
  // KEYS index (1-based, KEYS[1] = the lease, not in script.keys) → its control stream → the gateway.
  const gatewayOf = (index: string) => {
    const stream = script.keys[Number(index) - 2];
    return gateways.find((id) => keys.gatewayControl(id) === stream) ?? `? ${stream}`;
  };
  const flat = section();
  const assignments: Decoded['assignments'] = [];
  const extras: Decoded['extras'] = [];
  for (let i = 0; i < flat.length; i += ASSIGNMENT_SLOTS) {
    const [to, gen, chat, partner, pgw, interests, lang, media, role, rematch] = flat.slice(i + 1, i + ASSIGNMENT_SLOTS) as string[] as [
      string, string, string, string, string, string, string, string, string, string,
    ];
    assignments.push({ gw: gatewayOf(flat[i]!), to, gen: Number(gen), chat, partner, pgw, interests: JSON.parse(interests) as string[] });
    extras.push({ lang: JSON.parse(lang) as string[], media, role, rematch: rematch === '1' });
  }
  const offerSlots = section();
  const offers: Decoded['offers'] = [];
  for (let i = 0; i < offerSlots.length; i += 3) offers.push({ gw: gatewayOf(offerSlots[i]!), to: offerSlots[i + 1]!, chat: offerSlots[i + 2]! });
  const rematchRemoved = section();
  const rematchStored = new Map(pairs(section(), (chat, json) => [chat, JSON.parse(json) as PendingRematch] as const));
  assert.equal(args[at], '0', 'no prune asked');
  return { acks, removed, queued, apart, reports, forgotten, unflagged, flagged, assignments, extras, offers, rematchRemoved, rematchStored };
}

