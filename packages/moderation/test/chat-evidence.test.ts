import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chatBucket, keys, type Redis } from '@strangers/redis';
import { getReport, readChatEvidence, recordReport } from '../src/index.ts';
import { sampleReport, startStore } from './redis.ts';

let store: Awaited<ReturnType<typeof startStore>>;
let redis: Redis;
before(async () => {
  store = await startStore();
  redis = store.redis;
});
after(async () => store?.stop());

/** The two sides' gateways: sid-a (the reporter) on gw-1, sid-b on gw-2. */
const gatewayOf: Record<string, string> = { 'sid-a': 'gw-1', 'sid-b': 'gw-2' };

/** One message through the product's own chat_send script, as a gateway sends it. */
async function send(chatId: string, from: string, to: string, text: string, ts: number): Promise<number> {
  const inbox = keys.gatewayInbox(chatBucket(chatId), gatewayOf[to]!);
  const [status, seq] = await redis.chatSend(keys.chat(chatId), keys.chatLog(chatId), inbox, chatId, from, gatewayOf[from]!, to, gatewayOf[to]!, text, ts, 500, 10_000, 3600);
  assert.equal(status, 1);
  return Number(seq);
}

test('the evidence of a chat is exactly its last N messages, both directions, in order', async () => {
  const chatId = '0.evidence-chat';
  const sent: { seq: number; ts: number; from: 'reporter' | 'reported'; text: string }[] = [];
  for (let i = 0; i < 60; i++) {
    const reporterSpeaks = i % 3 !== 0;
    const text = `line ${i} ${reporterSpeaks ? 'from A' : 'from B'} ✓`;
    const ts = 1_750_000_000_000 + i;
    const seq = await send(chatId, reporterSpeaks ? 'sid-a' : 'sid-b', reporterSpeaks ? 'sid-b' : 'sid-a', text, ts);
    sent.push({ seq, ts, from: reporterSpeaks ? 'reporter' : 'reported', text });
  }
  const messages = await readChatEvidence(redis, chatId, 'sid-a');
  assert.deepEqual(messages, sent.slice(-50));
  const { id } = await recordReport(redis, { ...sampleReport(), chatId, messages });
  assert.deepEqual((await getReport(redis, id))!.evidence.messages, sent.slice(-50));
  assert.deepEqual(await readChatEvidence(redis, chatId, 'sid-a', 5), sent.slice(-5));
  assert.deepEqual(await readChatEvidence(redis, '0.no-such-chat', 'sid-a'), []);
});
