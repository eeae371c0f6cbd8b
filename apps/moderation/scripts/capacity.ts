/**
 * `npm run capacity -w @strangers/moderation-service`: what a report costs in Redis. Records
 * 2000 reports of each shape into a private redis-server it starts itself and prints the
 * report key's MEMORY USAGE and used_memory per report (key plus its index entries).
 * docs/moderation.md quotes its output.
 */
import { createLogger } from '@strangers/config';
import { moderationKeys, recordReport } from '@strangers/moderation';
import { createRedisClient, waitForRedisReady } from '@strangers/redis';
import { startRedisServer } from '@strangers/testkit';

const REPORTS = 2000;
/** [messages, characters per message]: a short chat, a typical one, one near the 64 KiB evidence cap. */
const SHAPES = [[20, 40], [50, 100], [50, 1300]] as const;

const server = await startRedisServer();
const redis = createRedisClient({ url: server.url, logger: createLogger({ name: 'capacity', level: 'silent' }), connectionName: 'capacity' });
await waitForRedisReady(redis);
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

try {
  for (const [count, length] of SHAPES) {
    await redis.flushall(); // the private server started above, never a shared one
    const before = await usedMemory();
    let last = '';
    for (let i = 0; i < REPORTS; i++) {
      const messages = Array.from({ length: count }, (_, j) => ({ seq: j + 1, ts: Date.now() + j, from: j % 2 ? ('reported' as const) : ('reporter' as const), text: 'x'.repeat(length) }));
      const report = await recordReport(redis, {
        chatId: `0.c${i}`,
        reporter: { sid: `a${i}`, ipHash: 'reporterHash000001', gateway: 'gw-1' },
        reported: { sid: `b${i}`, ipHash: 'reportedHash000001', gateway: 'gw-2' },
        category: 'harassment',
        reason: 'rude',
        at: Date.now(),
        messages,
      });
      last = report.id;
    }
    const perReport = ((await usedMemory()) - before) / REPORTS;
    const keyBytes = Number(await redis.memory('USAGE', moderationKeys.report(last), 'SAMPLES', 0));
    console.log(`${count} messages × ${length} chars: report key ${keyBytes} B, with indexes ${Math.round(perReport)} B per report, ${Math.floor(2 ** 30 / perReport)} reports per GiB`);
  }
} finally {
  redis.disconnect();
  await server.stop();
}
