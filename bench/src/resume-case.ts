import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Profile } from './profile-options.js';
import { ResumeClient } from './resume-client.js';
import { quantile, spread, type Spread } from './stats.js';
import { startSystem, type SystemOptions } from './systems.js';

const now = () => performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Delivery check of one run, summed over both directions of every pair. */
export interface DeliveryCheck {
  acked: number;
  /** Acked, never delivered. */
  lost: number;
  /** Deliveries beyond the first of a message (a replay overlapping what was seen). */
  duplicated: number;
  /** Delivered with a seq other than its ack's, or not after the previous delivery's seq. */
  misordered: number;
  /** Delivered although their sender never saw the ack (it was in flight when the gateway died): allowed. */
  deliveredUnacked: number;
}

export interface ResumeRun extends DeliveryCheck {
  clients: number;
  resumed: number;
  /** Resumes answered `recovered: false` (history gone): must stay 0. */
  unrecovered: number;
  failures: string[];
  /** Per killed-side client, ms: socket close seen → `resumed`; kill → `resumed` (back in the chat). */
  reconnectToResumed: { p50: number; p99: number; max: number };
  killToBack: { p50: number; p99: number; max: number };
  /** Kill → the last client's socket close seen (how fast the clients notice). */
  closeSeenMaxMs: number;
}

export interface ResumeFigures {
  command: string;
  date: string;
  /** 1-minute load average at the start and the end of the case. */
  load: [number, number];
  pairs: number;
  ratePerClient: number;
  reconnectP50: Spread;
  reconnectP99: Spread;
  reconnectMax: Spread;
  backP50: Spread;
  backP99: Spread;
  backMax: Spread;
  runs: ResumeRun[];
}

function summary(values: number[]): { p50: number; p99: number; max: number } {
  return { p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: quantile(values, 1) };
}

/** Every acked message of `from` must reach `to` exactly once, with its acked seq, in seq order. */
function checkDirection(from: ResumeClient, to: ResumeClient, into: DeliveryCheck): void {
  const prefix = `${from.name}:`;
  const seen = new Map<number, number>();
  let previousSeq = 0;
  for (const { text, seq } of to.received) {
    const n = Number(text.slice(prefix.length));
    const count = (seen.get(n) ?? 0) + 1;
    seen.set(n, count);
    if (count > 1) {
      into.duplicated++;
      continue;
    }
    const acked = from.acked.get(n);
    if (acked === undefined) into.deliveredUnacked++;
    if ((acked !== undefined && acked !== seq) || seq <= previousSeq) into.misordered++;
    previousSeq = Math.max(previousSeq, seq);
  }
  for (const n of from.acked.keys()) {
    into.acked++;
    if (!seen.has(n)) into.lost++;
  }
}

/** How many of `from`'s acked messages `to` has not received yet. */
function undelivered(from: ResumeClient, to: ResumeClient): number {
  const prefix = from.name.length + 1;
  const seen = new Set(to.received.map(({ text }) => Number(text.slice(prefix))));
  let missing = 0;
  for (const n of from.acked.keys()) if (!seen.has(n)) missing++;
  return missing;
}

async function connectPairs(pairs: number, urlA: string, urlB: string): Promise<[ResumeClient, ResumeClient][]> {
  const out: [ResumeClient, ResumeClient][] = [];
  for (let start = 0; start < pairs; start += 50) {
    const batch = Array.from({ length: Math.min(50, pairs - start) }, async (_, offset) => {
      const pair = start + offset;
      const [a, b] = await Promise.all([ResumeClient.open(`a${pair}`, urlA), ResumeClient.open(`b${pair}`, urlB)]);
      const paired = Promise.all([a.next('paired', 30_000), b.next('paired', 30_000)]);
      // A tag of the pair's own as the only interest puts exactly these two together.
      a.join(`resume-${pair}`);
      b.join(`resume-${pair}`);
      await paired;
      if (a.chat !== b.chat) throw new Error(`pair ${pair}: the matcher paired its sides with others`);
      return [a, b] as [ResumeClient, ResumeClient];
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** Sends from every chatting client at `ratePerClient` msg/s, spread over 10 ms ticks; returns a stop function. */
function startTraffic(clients: ResumeClient[], ratePerClient: number): () => void {
  const tickMs = 10;
  const perTick = (clients.length * ratePerClient * tickMs) / 1000;
  let owed = 0;
  let next = 0;
  const timer = setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--) {
      const client = clients[next++ % clients.length]!;
      if (client.chatting) client.sendNext();
    }
  }, tickMs);
  return () => clearInterval(timer);
}

/**
 * One run: `pairs` chats, side a on gateway A and side b on gateway B, messages flowing both
 * ways; gateway A is killed with SIGKILL and every side-a client resumes on gateway B at once
 * with its token and last seq (no proxy in between).
 */
async function resumeRun(profile: Profile, options: SystemOptions, log: (line: string) => void): Promise<ResumeRun> {
  const { pairs, ratePerClient, beforeKillMs, afterResumeMs, drainMs, resumeTimeoutMs } = profile.resume;
  const system = await startSystem('product', { ...options, matcherEnv: { INTEREST_FALLBACK_MS: '600000' } });
  let chats: [ResumeClient, ResumeClient][] = [];
  try {
    chats = await connectPairs(pairs, system.urlA, system.urlB);
    const everyone = chats.flat();
    const stopTraffic = startTraffic(everyone, ratePerClient);
    await sleep(beforeKillMs);
    const resumes = chats.map(([a]) => a.resumeOnClose(system.urlB, resumeTimeoutMs));
    const killedAt = now();
    process.kill(system.servers[0]!.pid, 'SIGKILL');
    await Promise.all(resumes);
    await sleep(afterResumeMs);
    stopTraffic();
    // Drain: wait until every acked message has arrived (or the drain time is up).
    const deadline = now() + drainMs;
    while (chats.some(([a, b]) => undelivered(a, b) + undelivered(b, a) > 0) && now() < deadline) await sleep(50);

    const killedSide = chats.map(([a]) => a);
    const back = killedSide.filter((client) => client.resumedAt !== undefined && client.chatting);
    const failures = killedSide.flatMap((client) => {
      const outcome = client.resumeOutcome;
      if (!outcome) return [`${client.name}: no outcome`];
      if ('failed' in outcome) return [`${client.name}: ${outcome.failed}`];
      return client.chatting ? [] : [`${client.name}: resumed into ${outcome.state} (chat ${outcome.chat === client.chat ? 'same' : 'other'})`];
    });
    const check: DeliveryCheck = { acked: 0, lost: 0, duplicated: 0, misordered: 0, deliveredUnacked: 0 };
    for (const [a, b] of chats) {
      checkDirection(a, b, check);
      checkDirection(b, a, check);
    }
    const run: ResumeRun = {
      clients: killedSide.length,
      resumed: back.length,
      unrecovered: killedSide.filter((client) => client.resumeOutcome && 'recovered' in client.resumeOutcome && !client.resumeOutcome.recovered).length,
      failures: failures.slice(0, 10),
      ...check,
      reconnectToResumed: summary(back.map((client) => client.resumedAt! - client.closeSeenAt!)),
      killToBack: summary(back.map((client) => client.resumedAt! - killedAt)),
      closeSeenMaxMs: Math.max(...killedSide.map((client) => (client.closeSeenAt ?? Number.NaN) - killedAt)),
    };
    log(
      `  resume: ${run.resumed}/${run.clients} back; reconnect → resumed p50 ${run.reconnectToResumed.p50.toFixed(0)} p99 ${run.reconnectToResumed.p99.toFixed(0)} max ${run.reconnectToResumed.max.toFixed(0)} ms; ` +
        `${run.acked} acked, ${run.lost} lost, ${run.duplicated} duplicated, ${run.misordered} misordered`,
    );
    for (const failure of run.failures) log(`    ${failure}`);
    return run;
  } finally {
    for (const client of chats.flat()) client.close();
    await system.stop();
  }
}

/** The resume case: `reps` runs, each on a fresh system (the kill leaves one gateway dead). */
export async function resumeCase(profile: Profile, options: SystemOptions, log: (line: string) => void): Promise<ResumeFigures> {
  const loadStart = loadavg()[0]!;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const runs: ResumeRun[] = [];
  for (let rep = 0; rep < profile.resume.reps; rep++) runs.push(await resumeRun(profile, options, log));
  const of = (pick: (run: ResumeRun) => number) => spread(runs.map(pick));
  return {
    command: profile.smoke ? 'npm run bench -- --smoke --only resume' : 'npm run bench -- --only resume',
    date,
    load: [loadStart, loadavg()[0]!],
    pairs: profile.resume.pairs,
    ratePerClient: profile.resume.ratePerClient,
    reconnectP50: of((run) => run.reconnectToResumed.p50),
    reconnectP99: of((run) => run.reconnectToResumed.p99),
    reconnectMax: of((run) => run.reconnectToResumed.max),
    backP50: of((run) => run.killToBack.p50),
    backP99: of((run) => run.killToBack.p99),
    backMax: of((run) => run.killToBack.max),
    runs,
  };
}
