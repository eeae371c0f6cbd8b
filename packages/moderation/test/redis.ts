import { createLogger } from '@strangers/config';
import { createRedisClient, waitForRedisReady, type Redis } from '@strangers/redis';
import { startTestRedis, type TestRedisHandle } from '@strangers/testkit';
import { recordReport, type ReportInput } from '../src/index.ts';

/** A private Redis (one server, or a cluster with TEST_REDIS=cluster) and a client from the product's factory. */
export async function startStore(): Promise<{ server: TestRedisHandle; redis: Redis; stop(): Promise<void> }> {
  const server = await startTestRedis();
  const redis = createRedisClient({ url: server.url, logger: createLogger({ name: 'test', level: 'silent' }), connectionName: 'moderation-test' });
  await waitForRedisReady(redis);
  return {
    server,
    redis,
    async stop() {
      redis.disconnect();
      await server.stop();
    },
  };
}

let chats = 0;

/** A report as a gateway would make it, with `count` messages alternating sides. */
export function sampleReport(overrides: Partial<ReportInput> = {}, count = 4): ReportInput {
  chats += 1;
  return {
    chatId: `0.chat${chats}`,
    reporter: { sid: `s-a${chats}`, ipHash: 'reporterHash00001', gateway: 'gw-1' },
    reported: { sid: `s-b${chats}`, ipHash: 'reportedHash0001', gateway: 'gw-2' },
    category: 'harassment',
    reason: 'was rude',
    at: Date.now(),
    messages: Array.from({ length: count }, (_, i) => ({
      seq: i + 1,
      ts: 1_700_000_000_000 + i,
      from: i % 2 === 0 ? ('reporter' as const) : ('reported' as const),
      text: `message ${i + 1} ✓`,
    })),
    ...overrides,
  };
}

export async function seedReport(redis: Redis, overrides: Partial<ReportInput> = {}, count = 4): Promise<string> {
  return (await recordReport(redis, sampleReport(overrides, count))).id;
}
