// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { StrangerClient, StrangerClientError } from '@strangers/client';
import { keys } from '@strangers/redis';
import { startGateway, startMatcher, startTestRedis, waitFor, type ServiceHandle, type TestRedisHandle } from '@strangers/testkit';

/**
 * Redis (AOF, fsync always) is killed and restarted under traffic. Gateways and matcher must
 * recover unattended, `/readyz` must say 503 meanwhile, sends during the outage must be
 * refused (`unavailable`), and every acked message must be delivered exactly once, in order.
 *
 * On a cluster (`TEST_REDIS=cluster`: 3 masters, no replicas) the outage is one master's: the
 * one serving `{m}` (the matcher's state, every control stream) and the chat buckets that hash
 * to it, killed with SIGKILL and restarted on its port from its nodes.conf and AOF once the
 * cluster has marked it failed. Sends to chats on that node are refused at once; once the
 * others have marked it failed (cluster-node-timeout), the cluster refuses every command
 * (full slot coverage is required) until the node is back. Sends to the other masters are
 * acked until then: they are durable there. The guarantees checked are the same.
 */
const AOF = ['--appendonly', 'yes', '--appendfsync', 'always'];
let redis: TestRedisHandle;
let services: ServiceHandle[] = [];

before(async () => {
  redis = await startTestRedis({ args: AOF });
  // History long enough to keep every message of the run: the test reads it back.
  const env = { RESUME_GRACE_MS: '15000', HISTORY_MAX_MESSAGES: '100000' };
  services = [await startMatcher(redis.url), await startGateway(redis.url, { GATEWAY_ID: 'o-0', ...env }), await startGateway(redis.url, { GATEWAY_ID: 'o-1', ...env })];
});
after(async () => {
  await Promise.all(services.map((service) => service.stop('SIGKILL')));
  await redis.stop();
});

const readyz = async (gateway: ServiceHandle) => (await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status;

test('a Redis restart under traffic: readyz reflects it, nothing acked is lost, everything recovers', async () => {
  const [, g0, g1] = services as [ServiceHandle, ServiceHandle, ServiceHandle];
  const pairs = [];
  for (let i = 0; i < 10; i++) {
    const a = new StrangerClient({ url: `ws://127.0.0.1:${g0.port}/ws`, WebSocket });
    const b = new StrangerClient({ url: `ws://127.0.0.1:${g1.port}/ws`, WebSocket });
    await Promise.all([a.connect(), b.connect()]);
    const paired = Promise.all([new Promise((resolve) => a.once('paired', resolve)), new Promise((resolve) => b.once('paired', resolve))]);
    a.join();
    b.join();
    await paired;
    pairs.push({ a, b });
  }
  const acked = new Map<StrangerClient, string[]>();
  const received = new Map<StrangerClient, string[]>();
  let refused = 0;
  const refusedIn = new Set<string>();
  for (const { a, b } of pairs) {
    for (const client of [a, b]) {
      acked.set(client, []);
      const got: string[] = [];
      received.set(client, got);
      client.on('message', ({ text }) => got.push(text));
    }
  }
  let sending = true;
  let counter = 0;
  const talk = async (from: StrangerClient) => {
    while (sending) {
      const text = `t${counter++}`;
      try {
        await from.send(text);
        acked.get(from)!.push(text);
      } catch (error) {
        if (error instanceof StrangerClientError && error.code === 'unavailable') {
          refused++;
          refusedIn.add(from.chat!);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  };
  const talkers = pairs.flatMap(({ a, b }) => [talk(a), talk(b)]);
  await waitFor(() => [...received.values()].every((got) => got.length > 3), { what: 'traffic before the outage' });

  const outage = await startOutage(pairs.map(({ a }) => a.chat!));
  await waitFor(async () => (await readyz(g0)) === 503 && (await readyz(g1)) === 503, { what: 'readyz 503 during the outage' });
  await waitFor(() => refused > 0 && outage.chatsDown.every((chat) => refusedIn.has(chat)), {
    what: 'a send refused as unavailable in every chat whose node is down',
  });
  if (redis.topology === 'cluster') {
    // Past cluster-node-timeout the other masters mark the node failed, and with a slot
    // unserved the whole cluster refuses commands: sends in chats on live masters are
    // refused now too, never acked.
    const live = redis.nodes.filter((node) => node.pid);
    await waitFor(async () => (await live[0]!.clusterState()) === 'fail', { what: 'the cluster to mark the node failed' });
    refusedIn.clear();
    const chatsUp = pairs.map(({ a }) => a.chat!).filter((chat) => !outage.chatsDown.includes(chat));
    await waitFor(() => chatsUp.length === 0 || chatsUp.some((chat) => refusedIn.has(chat)), { what: 'a send refused in a chat on a live master' });
  }
  await outage.end();
  await waitFor(async () => (await readyz(g0)) === 200 && (await readyz(g1)) === 200, { timeoutMs: 15_000, what: 'readyz 200 after recovery' });
  const before = [...received.values()].map((got) => got.length);
  await waitFor(() => [...received.values()].every((got, i) => got.length > before[i]! + 3), { timeoutMs: 15_000, what: 'traffic after recovery' });
  sending = false;
  await Promise.all(talkers);

  const admin = redis.client();
  for (const { a, b } of pairs) {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const sent = acked.get(from)!;
      await waitFor(() => received.get(to)!.includes(sent[sent.length - 1]!), { timeoutMs: 5000, what: 'the last acked message delivered' });
      const got = received.get(to)!;
      assert.equal(new Set(got).size, got.length, 'no duplicates');
      assert.deepEqual(got.filter((text) => sent.includes(text)), sent, 'every acked message, in order');
    }
    // Durability, apart from delivery: the chat's stored history (reloaded from the AOF if
    // its node was killed) holds every acked message of both sides, once, in order.
    const history = (await admin.xrange(keys.chatLog(a.chat!), '-', '+')).map(([, fields]) => fields[fields.indexOf('text') + 1]!);
    assert.equal(new Set(history).size, history.length, 'no message stored twice');
    for (const from of [a, b]) assert.deepEqual(history.filter((text) => acked.get(from)!.includes(text)), acked.get(from), 'every acked message stored');
  }
  // The matcher recovered too: two new clients still get paired.
  const x = new StrangerClient({ url: `ws://127.0.0.1:${g0.port}/ws`, WebSocket });
  const y = new StrangerClient({ url: `ws://127.0.0.1:${g1.port}/ws`, WebSocket });
  await Promise.all([x.connect(), y.connect()]);
  const paired = Promise.all([new Promise((resolve) => x.once('paired', resolve)), new Promise((resolve) => y.once('paired', resolve))]);
  x.join();
  y.join();
  await paired;
  assert.equal(x.chat, y.chat);
  for (const client of [x, y, ...pairs.flatMap(({ a, b }) => [a, b])]) client.close();
});

/**
 * Kills Redis: the server, or on a cluster the master serving `{m}`. Returns the chats among
 * `chats` stored on what was killed, and how to bring it back (on the same port, from disk).
 */
async function startOutage(chats: string[]): Promise<{ chatsDown: string[]; end(): Promise<void> }> {
  if (redis.topology === 'single') {
    await redis.kill();
    return { chatsDown: chats, end: () => redis.start() };
  }
  const cluster = redis;
  const victimPort = await cluster.masterOf(keys.matcherEvents);
  const chatsDown: string[] = [];
  for (const chat of chats) if ((await cluster.masterOf(keys.chat(chat))) === victimPort) chatsDown.push(chat);
  const victim = cluster.nodes.find((node) => node.port === victimPort)!;
  const killedAt = Date.now();
  await victim.kill();
  return {
    chatsDown,
    async end() {
      const restartedAt = Date.now();
      await victim.start();
      await cluster.waitHealthy();
      // For the report: how long the node was down, and how long the cluster took to heal.
      process.stderr.write(
        `# outage: master ${victimPort} (with ${chatsDown.length} of ${chats.length} chats) down ${restartedAt - killedAt} ms; healthy ${Date.now() - restartedAt} ms after its restart\n`,
      );
    },
  };
}
