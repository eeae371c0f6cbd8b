import { randomBytes } from 'node:crypto';
import { encodeControlEntry, isCluster, keys, MATCHER_GROUP, type Redis } from '@strangers/redis';
import type { Command } from './lease.js';
import type { Pair, WaitingSession } from './pairing.js';

/** Everything the matcher keeps in Redis, read back when it (re)starts. */
export interface DurableState {
  queue: WaitingSession[];
  apart: { pair: string; until: number }[];
  reports: { ipHash: string; at: number }[];
  flagged: { ipHash: string; until: number }[];
}

function scored(flat: string[]): { member: string; score: number }[] {
  const out: { member: string; score: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}

export async function loadDurableState(redis: Redis, now: number, reportWindowMs: number): Promise<DurableState> {
  const [queue, apart, reports, flagged] = await Promise.all([
    redis.hgetall(keys.matcherQueue),
    redis.zrangebyscore(keys.matcherApart, now, '+inf', 'WITHSCORES'),
    redis.zrangebyscore(keys.matcherReports, now - reportWindowMs, '+inf', 'WITHSCORES'),
    redis.zrangebyscore(keys.matcherFlagged, now, '+inf', 'WITHSCORES'),
  ]);
  return {
    queue: Object.values(queue)
      .map((json) => JSON.parse(json) as WaitingSession)
      .sort((x, y) => x.enqueuedAt - y.enqueuedAt),
    apart: scored(apart).map(({ member, score }) => ({ pair: member, until: score })),
    reports: scored(reports).map(({ member, score }) => ({ ipHash: member.split('|')[0] ?? '', at: score })),
    flagged: scored(flagged).map(({ member, score }) => ({ ipHash: member, until: score })),
  };
}

/** Bound on a gateway's control stream, for gateways that died and no longer trim it. */
const CONTROL_MAX_LENGTH = 100_000;

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

/**
 * The writes of one batch of events, applied atomically together with the XACK of those
 * events: either the batch's whole effect is stored and the events are acknowledged, or
 * neither, and a redelivery replays the batch against the state as it was.
 */
export class CommitBatch {
  /** sid → its waiting entry (serialized only at commit: most are paired within the batch), or null = removed. */
  private readonly queueWrites = new Map<string, WaitingSession | null>();
  private readonly apart: (string | number)[] = [];
  private readonly reports: (string | number)[] = [];
  private readonly flagged: (string | number)[] = [];
  private readonly pairs: { pair: Pair; chat: string; only?: string }[] = [];
  readonly acks: string[] = [];

  get empty(): boolean {
    return (
      this.queueWrites.size === 0 &&
      this.apart.length === 0 &&
      this.reports.length === 0 &&
      this.flagged.length === 0 &&
      this.pairs.length === 0 &&
      this.acks.length === 0
    );
  }

  get pairCount(): number {
    return this.pairs.filter((entry) => !entry.only).length;
  }

  enqueued(session: WaitingSession): void {
    this.queueWrites.set(session.sid, session);
  }

  dequeued(sid: string): void {
    this.queueWrites.set(sid, null);
  }

  keptApart(pair: string, until: number): void {
    this.apart.push(until, pair);
  }

  reported(ipHash: string, eventId: string, at: number): void {
    this.reports.push(at, `${ipHash}|${eventId}`);
  }

  flaggedAddress(ipHash: string, until: number): void {
    this.flagged.push(until, ipHash);
  }

  paired(pair: Pair, chat: string): void {
    this.dequeued(pair.a.sid);
    this.dequeued(pair.b.sid);
    this.pairs.push({ pair, chat });
  }

  /** Sends an earlier assignment again, to the side `sid` only (it moved gateways). */
  resend(pair: Pair, chat: string, sid: string): void {
    this.pairs.push({ pair, chat, only: sid });
  }

  /**
   * The batch as Redis commands, run by the fenced commit (lease.ts) atomically. Long
   * variadic commands are split: a script's `unpack` has a bounded stack.
   */
  toCommands(now: number, reportWindowMs: number, prune: boolean): Command[] {
    const commands: Command[] = [];
    const removed: string[] = [];
    const set: string[] = [];
    for (const [sid, session] of this.queueWrites) {
      if (session === null) removed.push(sid);
      else set.push(sid, JSON.stringify(session));
    }
    chunked(commands, ['HDEL', keys.matcherQueue], removed, 1);
    chunked(commands, ['HSET', keys.matcherQueue], set, 2);
    chunked(commands, ['ZADD', keys.matcherApart, 'GT'], this.apart, 2);
    chunked(commands, ['ZADD', keys.matcherReports], this.reports, 2);
    chunked(commands, ['ZADD', keys.matcherFlagged, 'GT'], this.flagged, 2);
    for (const { pair, chat, only } of this.pairs) {
      const { a, b, shared } = pair;
      if (only !== b.sid) commands.push(['XADD', keys.gatewayControl(a.gw), 'MAXLEN', '~', CONTROL_MAX_LENGTH, '*', ...encodeControlEntry({ t: 'paired', to: a.sid, gen: a.gen, chat, partner: b.sid, pgw: b.gw, interests: shared })]);
      if (only !== a.sid) commands.push(['XADD', keys.gatewayControl(b.gw), 'MAXLEN', '~', CONTROL_MAX_LENGTH, '*', ...encodeControlEntry({ t: 'paired', to: b.sid, gen: b.gen, chat, partner: a.sid, pgw: a.gw, interests: shared })]);
    }
    chunked(commands, ['XACK', keys.matcherEvents, MATCHER_GROUP], this.acks, 1);
    if (prune) {
      commands.push(['ZREMRANGEBYSCORE', keys.matcherApart, '-inf', now]);
      commands.push(['ZREMRANGEBYSCORE', keys.matcherFlagged, '-inf', now]);
      commands.push(['ZREMRANGEBYSCORE', keys.matcherReports, '-inf', now - reportWindowMs]);
    }
    return commands;
  }
}

/** Most arguments per command in a commit (Lua's `unpack` stack is ~8000). */
const MAX_ARGS = 2000;

function chunked(out: Command[], head: Command, items: (string | number)[], stride: number): void {
  const step = Math.floor(MAX_ARGS / stride) * stride;
  for (let i = 0; i < items.length; i += step) out.push([...head, ...items.slice(i, i + step)]);
}

/**
 * Which sessions are still live for the join with this `gen`: their record (written by the
 * owning gateway before it publishes the join, on the same connection) exists, says
 * `waiting`, and has the same gen. A session that left, was paired, re-joined, or whose
 * record ended with its resume grace is a ghost and must not be queued or paired.
 */
export async function liveSessions(redis: Redis, sessions: readonly { sid: string; gen: number }[]): Promise<boolean[]> {
  if (sessions.length === 0) return [];
  let records: (string | null)[][];
  if (isCluster(redis)) {
    // Records live on every node and a cluster pipeline may not span nodes: one command
    // each, all written at once, answered by their own nodes.
    records = await Promise.all(sessions.map(({ sid }) => redis.hmget(keys.session(sid), 'state', 'gen')));
  } else {
    const pipeline = redis.pipeline();
    for (const { sid } of sessions) pipeline.hmget(keys.session(sid), 'state', 'gen');
    const results = (await pipeline.exec()) ?? [];
    records = sessions.map((_, i) => {
      const [error, value] = results[i] ?? [new Error('no reply'), null];
      if (error) throw error;
      return value as (string | null)[];
    });
  }
  return sessions.map(({ gen }, i) => {
    const [state, storedGen] = records[i]!;
    return state === 'waiting' && Number(storedGen) === gen;
  });
}
