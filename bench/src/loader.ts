// A load-generating child process. The coordinator (loader-pool.ts) sends it commands over
// IPC; it answers with counts and HDR histograms encoded as compressed base64.
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { WebSocket } from 'ws';
import { connectPair, ProductSocket, type Endpoint } from './endpoints.js';
import type { LoaderCommand, LoaderReply, RelayResult } from './loader-protocol.js';

/** Latencies are recorded in microseconds, up to two minutes. */
export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

/** Padding so a relayed message is the size of a short chat line. */
const SUFFIX = '|hello stranger, how are you today?';
/**
 * A message's intended send time (whole µs) in letters only: digits would read as a phone
 * number to the gateway's contact filter when the filters are on (filters-case.ts).
 */
const encodeStamp = (micros: number) => micros.toString(26).replace(/[0-9]/g, (digit) => 'qrstuvwxyz'[Number(digit)]!);
const decodeStamp = (text: string) => Number.parseInt(text.slice(0, text.indexOf('|')).replace(/[q-z]/g, (letter) => String(letter.charCodeAt(0) - 113)), 26);
const now = () => performance.now();
const epoch = () => performance.timeOrigin + performance.now();

let pairs: [Endpoint, Endpoint][] = [];
let pool: ProductSocket[] = [];
let idle: { close(): void }[] = [];

async function inBatches<T>(count: number, batch: number, make: (index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    out.push(...(await Promise.all(Array.from({ length: size }, (_, offset) => make(start + offset)))));
  }
  return out;
}

/**
 * Sends `rate` msg/s for warmup + duration, round-robin over the pairs and alternating
 * direction, each message stamped with its *intended* send time: latency is measured from
 * that schedule, so a stalled sender cannot hide queueing (coordinated omission).
 */
async function runRelay(rate: number, warmupMs: number, durationMs: number, drainMs: number): Promise<RelayResult> {
  const histogram = newHistogram();
  const interval = 1000 / rate;
  const t0 = now() + 5;
  const measureFrom = t0 + warmupMs;
  const end = t0 + warmupMs + durationMs;
  const total = Math.floor((warmupMs + durationMs) / interval);
  let measuredSent = 0;
  let measuredReceived = 0;
  let received = 0;
  let lastReceivedAt = now();
  const onText = (text: string) => {
    received++;
    lastReceivedAt = now();
    const intendedMicros = decodeStamp(text);
    if (intendedMicros >= measureFrom * 1000) {
      measuredReceived++;
      histogram.recordValue(Math.max(1, Math.round(now() * 1000 - intendedMicros)));
    }
  };
  for (const [a, b] of pairs) {
    a.onText = onText;
    b.onText = onText;
  }
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((now() - t0) / interval) + 1);
      while (sent < due) {
        const intended = t0 + sent * interval;
        const pair = pairs[sent % pairs.length]!;
        const from = Math.floor(sent / pairs.length) % 2 === 0 ? pair[0] : pair[1];
        const micros = Math.round(intended * 1000);
        from.send(encodeStamp(micros) + SUFFIX);
        // Decide on the rounded stamp, exactly as the receiving side will.
        if (micros >= measureFrom * 1000) measuredSent++;
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, Math.max(0, t0 - now()));
  });
  const deadline = Math.max(now(), end) + drainMs;
  while (received < sent && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const lost = measuredSent - measuredReceived;
  // An overloaded system still holds a backlog: let it drain (until quiet) so the next run
  // starts clean; what arrives now is no longer counted.
  const quietUntil = now() + 15_000;
  while (received < sent && now() - lastReceivedAt < 500 && now() < quietUntil) await new Promise((resolve) => setTimeout(resolve, 20));
  // Undelivered messages count at least as late as the drain deadline (a lower bound).
  if (lost > 0) histogram.recordValueWithCount(Math.round((deadline - end) * 1000), lost);
  return { hist: hdr.encodeIntoCompressedBase64(histogram), sent: measuredSent, received: measuredReceived, lost };
}

/** Every pool client joins at once; reports when its own clients are all paired. */
async function burst(timeoutMs: number) {
  const firstSend = epoch();
  let lastPaired = firstSend;
  const paired = await Promise.all(
    pool.map(async (client) => {
      const frame = client.next('paired', timeoutMs).then(
        () => {
          lastPaired = Math.max(lastPaired, epoch());
          return 1;
        },
        () => 0,
      );
      client.send({ type: 'join', requeue: false });
      return frame;
    }),
  );
  for (const client of pool) client.send({ type: 'leave' });
  return { paired: paired.reduce((sum: number, one) => sum + one, 0), firstSend, lastPaired };
}

/**
 * Joins at a fixed rate from a pool of idle clients; each paired client leaves and goes back
 * to the pool. Latency of a pair is taken at its later joiner (the earlier one also waited
 * for a partner to arrive, which is the arrival rate, not the matcher).
 */
async function joinRate(rate: number, warmupMs: number, durationMs: number) {
  const later = newHistogram();
  const all = newHistogram();
  const interval = 1000 / rate;
  const t0 = now() + 5;
  const measureFrom = t0 + warmupMs;
  const total = Math.floor((warmupMs + durationMs) / interval);
  const free = [...pool];
  const intendedOf = new Map<ProductSocket, number>();
  const firstOfChat = new Map<string, { intended: number; at: number }>();
  let outstanding = 0;
  for (const client of pool) {
    client.onFrame = (frame) => {
      if (frame.type !== 'paired') return;
      const at = now();
      const intended = intendedOf.get(client)!;
      outstanding--;
      if (intended >= measureFrom) all.recordValue(Math.max(1, Math.round((at - intended) * 1000)));
      const chat = String(frame.chat);
      const first = firstOfChat.get(chat);
      if (!first) firstOfChat.set(chat, { intended, at });
      else {
        firstOfChat.delete(chat);
        const [late, lateAt] = intended >= first.intended ? [intended, at] : [first.intended, first.at];
        if (late >= measureFrom) later.recordValue(Math.max(1, Math.round((lateAt - late) * 1000)));
      }
      client.send({ type: 'leave' });
      free.push(client);
    };
  }
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((now() - t0) / interval) + 1);
      while (sent < due && free.length > 0) {
        const client = free.shift()!;
        intendedOf.set(client, t0 + sent * interval);
        client.send({ type: 'join', requeue: false });
        outstanding++;
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, Math.max(0, t0 - now()));
  });
  const deadline = now() + 5000;
  while (outstanding > 1 && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  for (const client of pool) client.onFrame = undefined;
  // A last odd joiner may still wait for a partner: take it out of the queue.
  for (const client of pool) client.send({ type: 'leave' });
  return { later: hdr.encodeIntoCompressedBase64(later), all: hdr.encodeIntoCompressedBase64(all), joins: sent, unpaired: outstanding };
}

function openIdle(url: string, product: boolean): Promise<{ close(): void }> {
  if (product) return ProductSocket.open(url);
  const socket = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ close: () => socket.terminate() }));
    socket.once('error', reject);
  });
}

async function handle(command: LoaderCommand): Promise<LoaderReply> {
  switch (command.op) {
    case 'pairs':
      pairs = await inBatches(command.pairs.length, 50, (index) =>
        connectPair(command.kind, command.urlA, command.urlB, command.pairs[index]!),
      );
      return { op: 'ok' };
    case 'relay':
      return { op: 'relay', result: await runRelay(command.rate, command.warmupMs, command.durationMs, command.drainMs) };
    case 'pool':
      pool = await inBatches(command.count, 100, (index) => ProductSocket.open(command.urls[index % command.urls.length]!));
      return { op: 'ok' };
    case 'burst':
      return { op: 'burst', ...(await burst(command.timeoutMs)) };
    case 'join-rate':
      return { op: 'join-rate', ...(await joinRate(command.rate, command.warmupMs, command.durationMs)) };
    case 'idle':
      idle.push(...(await inBatches(command.count, 200, () => openIdle(command.url, command.product))));
      return { op: 'ok' };
    case 'close':
      for (const [a, b] of pairs) {
        a.close();
        b.close();
      }
      for (const client of [...pool, ...idle]) client.close();
      pairs = [];
      pool = [];
      idle = [];
      return { op: 'ok' };
  }
}

process.on('message', (command: LoaderCommand) => {
  handle(command).then(
    (reply) => process.send!(reply),
    (error: Error) => process.send!({ op: 'error', message: error.stack ?? error.message }),
  );
});
process.on('disconnect', () => process.exit(0));
