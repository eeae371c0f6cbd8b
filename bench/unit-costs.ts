/**
 * Unit costs of the product in Redis, for the capacity model in ARCHITECTURE.md:
 * Redis commands (`INFO commandstats`), network bytes (`INFO stats`) and memory
 * (`INFO memory`, `MEMORY USAGE`) and Redis CPU (`INFO cpu`) per connection, per pair and per
 * message.
 *
 * Runs a private redis-server, one matcher and two gateways from source (as the tests do),
 * then three phases: N sessions connect (welcome), they pair up (N/2 pairs), each pair
 * exchanges messages. Each phase's counters are diffed, minus the background rate
 * (liveness, online counts, blocking reads) measured while idle for the same time.
 *
 *   node --conditions=development --import tsx bench/unit-costs.ts [sessions=400] [messagesPerPair=20]
 *
 * The figures ARCHITECTURE.md cites are in bench/unit-costs.result.json (1000 sessions, 30
 * messages per pair).
 */
import { startGateway, startMatcher, startRedisServer, TestClient } from '@strangers/testkit';
import { cpus, loadavg } from 'node:os';
import type { Redis } from 'ioredis';

const SESSIONS = Number(process.argv[2] ?? 400);
const MESSAGES_PER_PAIR = Number(process.argv[3] ?? 20);
const TEXT = 'x'.repeat(40); // a 40-character chat line

interface Snapshot {
  at: number;
  calls: Map<string, number>;
  netIn: number;
  netOut: number;
  memory: number;
  /** Redis process CPU seconds (user + sys). */
  cpu: number;
}

async function snapshot(redis: Redis): Promise<Snapshot> {
  const [commandstats, stats, memory, cpu] = await Promise.all([redis.info('commandstats'), redis.info('stats'), redis.info('memory'), redis.info('cpu')]);
  const calls = new Map<string, number>();
  for (const match of commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    at: Date.now(),
    calls,
    netIn: field(stats, 'total_net_input_bytes'),
    netOut: field(stats, 'total_net_output_bytes'),
    memory: field(memory, 'used_memory'),
    cpu: ['used_cpu_user', 'used_cpu_sys'].reduce((sum, name) => sum + Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0), 0),
  };
}

/** Counter deltas of a phase, minus the idle background for the same duration, per unit. */
function perUnit(before: Snapshot, after: Snapshot, idle: { callsPerMs: Map<string, number>; bytesPerMs: number; cpuPerMs: number }, units: number) {
  const ms = after.at - before.at;
  const calls: Record<string, number> = {};
  let total = 0;
  for (const [name, count] of after.calls) {
    const delta = count - (before.calls.get(name) ?? 0) - (idle.callsPerMs.get(name) ?? 0) * ms;
    if (delta / units >= 0.05) {
      calls[name] = Math.round((delta / units) * 100) / 100;
      if (name !== 'info' && name !== 'memory|usage') total += delta / units;
    }
  }
  const bytes = (after.netIn - before.netIn + after.netOut - before.netOut - idle.bytesPerMs * ms) / units;
  const redisCpuMicros = ((after.cpu - before.cpu - idle.cpuPerMs * ms) * 1e6) / units;
  return {
    calls,
    commandsTotal: Math.round(total * 100) / 100,
    netBytes: Math.round(bytes),
    memoryBytes: Math.round((after.memory - before.memory) / units),
    redisCpuMicros: Math.round(redisCpuMicros * 10) / 10,
  };
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const admin = redis.client();
  const matcher = await startMatcher(redis.url, { INTEREST_FALLBACK_MS: '0' });
  const gateways = await Promise.all([0, 1].map((i) => startGateway(redis.url, { GATEWAY_ID: `uc-${i}`, CHAT_RATE_PER_SECOND: '1000', CHAT_RATE_BURST: '1000' })));
  const url = (i: number) => `ws://127.0.0.1:${gateways[i % 2]!.port}/ws`;
  try {
    // Idle background: liveness refreshes, online counts, reapers, blocking reads.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idleStart = await snapshot(admin);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const idleEnd = await snapshot(admin);
    const idleMs = idleEnd.at - idleStart.at;
    const idle = {
      callsPerMs: new Map([...idleEnd.calls].map(([name, count]) => [name, (count - (idleStart.calls.get(name) ?? 0)) / idleMs])),
      bytesPerMs: (idleEnd.netIn - idleStart.netIn + idleEnd.netOut - idleStart.netOut) / idleMs,
      cpuPerMs: (idleEnd.cpu - idleStart.cpu) / idleMs,
    };

    // Connections: a session each (record, token, owner set).
    const s0 = await snapshot(admin);
    const clients: TestClient[] = [];
    const welcomes: Record<string, unknown>[] = [];
    for (let i = 0; i < SESSIONS; i += 50) {
      const wave = await Promise.all(Array.from({ length: Math.min(50, SESSIONS - i) }, (_, j) => TestClient.connect(url(i + j))));
      for (const client of wave) welcomes.push(await client.next('welcome'));
      clients.push(...wave);
    }
    const s1 = await snapshot(admin);
    const sid = String(welcomes[0]!.session);
    const token = String(welcomes[0]!.resumeToken);
    const sessionKeyBytes = Number(await admin.memory('USAGE', `sess:{${sid}}`)) || 0;
    const tokenKeyBytes = Number(await admin.memory('USAGE', `resume:${token}`)) || 0;

    // Pairs: join, matcher batch commit, both `paired`, session records saved.
    for (const client of clients) client.send({ type: 'join' });
    const paired = await Promise.all(clients.map((client) => client.next('paired', 30_000)));
    const s2 = await snapshot(admin);
    // The matcher decides who talks to whom: group the clients by chat.
    const byChat = new Map<string, TestClient[]>();
    paired.forEach((frame, i) => byChat.set(String(frame.chat), [...(byChat.get(String(frame.chat)) ?? []), clients[i]!]));
    const pairs = [...byChat.values()].map(([a, b]) => [a!, b!] as [TestClient, TestClient]);

    // Messages: alternate sides; every message acked and delivered.
    let id = 0;
    for (let round = 0; round < MESSAGES_PER_PAIR; round++) {
      await Promise.all(
        pairs.map(async ([a, b]) => {
          const [from, to] = round % 2 === 0 ? [a, b] : [b, a];
          from.send({ type: 'message', text: TEXT, id: `m${++id}` });
          await Promise.all([from.next('ack', 30_000), to.next('message', 30_000)]);
        }),
      );
    }
    const s3 = await snapshot(admin);
    const chatId = String(pairs[0]![0].frames.find((frame) => frame.type === 'paired')!.chat);
    const bucket = chatId.slice(0, chatId.indexOf('.'));
    const chatHashBytes = Number(await admin.memory('USAGE', `{b${bucket}}:chat:${chatId}`)) || 0;
    const chatLogBytes = Number(await admin.memory('USAGE', `{b${bucket}}:chat:${chatId}:log`, 'SAMPLES', '0')) || 0;

    const result = {
      measuredAt: new Date().toISOString(),
      machine: `${cpus().length} cores ${cpus()[0]?.model ?? ''}, load average ${loadavg()[0]!.toFixed(2)}; Node ${process.version}; Redis ${/redis_version:(\S+)/.exec(await admin.info('server'))?.[1]}`,
      sessions: SESSIONS,
      pairs: pairs.length,
      messages: pairs.length * MESSAGES_PER_PAIR,
      textLength: TEXT.length,
      background: {
        commandsPerSecond: Math.round(([...idle.callsPerMs.values()].reduce((a, b) => a + b, 0) * 1000) / 2) + ' per gateway (2 gateways + matcher, incl. blocking reads)',
      },
      perConnection: { ...perUnit(s0, s1, idle, SESSIONS), sessionKeyBytes, tokenKeyBytes },
      perPair: perUnit(s1, s2, idle, pairs.length),
      perMessage: { ...perUnit(s2, s3, idle, pairs.length * MESSAGES_PER_PAIR), chatLogBytesPerStoredMessage: Math.round(chatLogBytes / MESSAGES_PER_PAIR), chatHashBytes },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    for (const client of clients) client.terminate();
  } finally {
    await Promise.all([matcher, ...gateways].map((service) => service.stop('SIGKILL')));
    await redis.stop();
  }
}

await main();
