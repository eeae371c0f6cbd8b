import assert from 'node:assert/strict';
import { keys } from '@strangers/redis';
import {
  waitFor,
  startGateway,
  startMatcher,
  startTestRedis,
  TestClient,
  type ServiceHandle,
  type TestRedisHandle,
} from '@strangers/testkit';

/**
 * A private Redis, one matcher and N gateway processes, as a test fixture. The Redis is one
 * server, or a 3-master cluster with `TEST_REDIS=cluster` (`npm run test:cluster`).
 */
export interface Stack {
  redis: TestRedisHandle;
  matcher: ServiceHandle;
  gateways: ServiceHandle[];
  /** Connects a /ws client to gateway `index` and consumes its `welcome`. */
  connect(index?: number): Promise<TestClient>;
  /** Closes every client so far and waits until the matcher's queue is empty again. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(
  options: { gateways?: number; matcherEnv?: Record<string, string>; gatewayEnv?: Record<string, string> } = {},
): Promise<Stack> {
  const redis = await startTestRedis();
  const matcher = await startMatcher(redis.url, options.matcherEnv);
  const gateways = await Promise.all(
    Array.from({ length: options.gateways ?? 2 }, (_, index) =>
      startGateway(redis.url, { GATEWAY_ID: `gw-${index}`, ...options.gatewayEnv }),
    ),
  );
  const clients: TestClient[] = [];
  return {
    redis,
    matcher,
    gateways,
    async connect(index = 0) {
      const client = await TestClient.connect(`ws://127.0.0.1:${gateways[index]!.port}/ws`);
      clients.push(client);
      await client.next('welcome');
      return client;
    },
    async reset() {
      for (const client of clients.splice(0)) client.close();
      const admin = redis.client();
      // Every closed session has finished its grace, the matcher has read every event, and
      // nobody waits: the next test starts from an empty system.
      await waitFor(
        async () => {
          for (const owner of await admin.smembers(keys.sessionOwners)) {
            if ((await admin.scard(keys.sessionsOf(owner))) > 0) return false;
          }
          const groups = (await admin.xinfo('GROUPS', keys.matcherEvents)) as unknown[][];
          const busy = groups.some((flat) => {
            const info = new Map<unknown, unknown>();
            for (let i = 0; i + 1 < flat.length; i += 2) info.set(flat[i], flat[i + 1]);
            return Number(info.get('pending')) > 0 || Number(info.get('lag')) > 0;
          });
          return !busy && (await admin.hlen(keys.matcherQueue)) === 0;
        },
        { timeoutMs: 10_000, what: 'a quiet system' },
      );
    },
    async stop() {
      for (const client of clients) client.terminate();
      await Promise.all([...gateways, matcher].map((service) => service.stop('SIGKILL')));
      await redis.stop();
    },
  };
}

/** Joins both clients and waits until they are paired with each other; returns the chat id. */
export async function pairUp(a: TestClient, b: TestClient, join: Record<string, unknown> = {}): Promise<string> {
  a.send({ type: 'join', ...join });
  await a.next('waiting');
  b.send({ type: 'join', ...join });
  await b.next('waiting');
  const [pa, pb] = await Promise.all([a.next('paired'), b.next('paired')]);
  if (pa.chat !== pb.chat) throw new Error(`paired into different chats: ${String(pa.chat)} / ${String(pb.chat)}`);
  return pa.chat as string;
}

/**
 * Messages both ways between `a` and `b`, back to back, until `untilMs` (a clock time): each
 * must arrive, and `b` must never be told the chat ended. Used to show a chat outlives a
 * grace that ran somewhere it should not end it.
 */
export async function chatKeepsWorking(a: TestClient, b: TestClient, untilMs: number): Promise<void> {
  for (let round = 0; Date.now() < untilMs; round++) {
    b.send({ type: 'message', text: `b${round}`, id: `b${round}` });
    assert.equal((await a.next('message', 5000)).text, `b${round}`);
    a.send({ type: 'message', text: `a${round}`, id: `a${round}` });
    assert.equal((await b.next('message', 5000)).text, `a${round}`);
  }
  assert.equal(b.frames.filter((frame) => frame.type === 'partner_left').length, 0, 'the partner was never told the chat ended');
}
