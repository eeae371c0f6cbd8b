// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@strangers/config';
import { startTestRedis, type TestRedisHandle } from '@strangers/testkit';
import { createRedisClient, fieldsToRecord, keys, type Redis } from '../src/index.js';

let server: TestRedisHandle;
let redis: Redis;
before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ url: server.url, logger: createLogger({ name: 't', level: 'silent' }), connectionName: 'test' });
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

const send = (chat: string, from: string, to: string, toGw: string, text: string) =>
  redis.chatSend(keys.chat(chat), keys.chatLog(chat), keys.gatewayInbox(0, toGw), chat, from, 'gwA', to, toGw, text, 1, 100, 1000, 60, 1_000_000);
const end = (chat: string, by: string, partner: string, partnerGw: string, reason: string) =>
  redis.chatEnd(keys.chat(chat), keys.chatLog(chat), keys.gatewayInbox(0, partnerGw), chat, by, 'gwA', partner, partnerGw, reason, 1000, 60);

test('chat_send assigns increasing seqs, stores history and writes the partner inbox', async () => {
  assert.deepEqual(await send('0.c1', 'a', 'b', 'gwB', 'one'), [1, 1]);
  assert.deepEqual(await send('0.c1', 'a', 'b', 'gwB', 'two'), [1, 2]);
  assert.equal(await redis.xlen(keys.chatLog('0.c1')), 2);
  const inbox = await redis.xrange(keys.gatewayInbox(0, 'gwB'), '-', '+');
  assert.deepEqual(inbox.map(([, fields]) => fieldsToRecord(fields).text), ['one', 'two']);
});

test('chat_send refuses a non-member and redirects when the partner is on another gateway', async () => {
  await send('0.c2', 'a', 'b', 'gwB', 'hi');
  assert.deepEqual(await send('0.c2', 'mallory', 'b', 'gwB', 'x'), [-2, '']);
  assert.deepEqual(await send('0.c2', 'a', 'b', 'gwC', 'x'), [-1, 'gwB']);
});

test('chat_end ends once, tells the partner, drops history, and later sends see "ended"', async () => {
  await send('0.c3', 'a', 'b', 'gwB', 'hi');
  assert.deepEqual(await end('0.c3', 'a', 'b', 'gwB', 'next'), [1, '']);
  assert.deepEqual(await end('0.c3', 'b', 'a', 'gwA', 'left'), [0, 'next']);
  assert.equal(await redis.exists(keys.chatLog('0.c3')), 0);
  assert.deepEqual(await send('0.c3', 'a', 'b', 'gwB', 'late'), [0, 'next']);
  const inbox = await redis.xrange(keys.gatewayInbox(0, 'gwB'), '-', '+');
  const last = fieldsToRecord(inbox[inbox.length - 1]![1]);
  assert.deepEqual([last.t, last.reason, last.by, last.to], ['left', 'next', 'a', 'b']);
});

const signal = (chat: string, from: string, to: string, toGw: string, kind: 'signal' | 'resync', data = '') =>
  redis.chatSignal(keys.chat(chat), keys.gatewayInbox(0, toGw), chat, from, to, toGw, kind, data, 1000);

test('chat_signal hands a signal or resync to the partner inbox, in order with messages, and never stores it', async () => {
  // Before any message: no chat hash yet, the matcher's gateways hold (and none is created).
  assert.deepEqual(await signal('0.s1', 'a', 'b', 'gwS', 'signal', '{"type":"offer","sdp":"v=0"}'), [1, '']);
  assert.equal(await redis.exists(keys.chat('0.s1')), 0);
  await send('0.s1', 'a', 'b', 'gwS', 'hello');
  assert.deepEqual(await signal('0.s1', 'a', 'b', 'gwS', 'signal', '{"candidate":""}'), [1, '']);
  assert.deepEqual(await signal('0.s1', 'a', 'b', 'gwS', 'resync'), [1, '']);
  const inbox = (await redis.xrange(keys.gatewayInbox(0, 'gwS'), '-', '+')).map(([, fields]) => fieldsToRecord(fields));
  assert.deepEqual(
    inbox.map((entry) => [entry.t, entry.to, entry.chat, entry.data ?? entry.text]),
    [
      ['signal', 'b', '0.s1', '{"type":"offer","sdp":"v=0"}'],
      ['msg', 'b', '0.s1', 'hello'],
      ['signal', 'b', '0.s1', '{"candidate":""}'],
      ['resync', 'b', '0.s1', undefined],
    ],
  );
  // Only the message is in the history.
  assert.equal(await redis.xlen(keys.chatLog('0.s1')), 1);
});

test('chat_signal refuses non-members, follows a partner that moved, and says when the chat ended', async () => {
  await send('0.s2', 'a', 'b', 'gwS', 'hi');
  assert.deepEqual(await signal('0.s2', 'mallory', 'b', 'gwS', 'signal', '{}'), [-2, '']);
  assert.deepEqual(await signal('0.s2', 'a', 'b', 'gwOld', 'signal', '{}'), [-1, 'gwS']);
  assert.equal(await redis.exists(keys.gatewayInbox(0, 'gwOld')), 0, 'nothing written to the stale inbox');
  await end('0.s2', 'b', 'a', 'gwA', 'next');
  assert.deepEqual(await signal('0.s2', 'a', 'b', 'gwS', 'signal', '{}'), [0, 'next']);
});

test('chat_send bounds the history in bytes of text as well as in messages, oldest first', async () => {
  const sendBounded = (text: string, maxMessages: number, maxBytes: number) =>
    redis.chatSend(keys.chat('0.cb'), keys.chatLog('0.cb'), keys.gatewayInbox(0, 'gwB'), '0.cb', 'a', 'gwA', 'b', 'gwB', text, 1, maxMessages, 1000, 60, maxBytes);
  const kib = 'x'.repeat(1024);
  for (let i = 0; i < 20; i++) await sendBounded(`${i}`.padEnd(1024, '.'), 500, 8 * 1024);
  const log = await redis.xrange(keys.chatLog('0.cb'), '-', '+');
  assert.equal(log.length, 8, '8 KiB of 1 KiB messages');
  assert.deepEqual(log.map(([, fields]) => Number(fieldsToRecord(fields).seq)), [13, 14, 15, 16, 17, 18, 19, 20]);
  assert.equal(Number(await redis.hget(keys.chat('0.cb'), 'hbytes')), 8 * 1024);
  // The count bound is exact too, and one message larger than the byte bound is still kept.
  for (let i = 0; i < 5; i++) await sendBounded('y', 3, 8 * 1024);
  assert.equal(await redis.xlen(keys.chatLog('0.cb')), 3);
  await sendBounded(kib.repeat(9), 3, 8 * 1024);
  const last = await redis.xrange(keys.chatLog('0.cb'), '-', '+');
  assert.equal(last.length, 1);
  assert.equal(fieldsToRecord(last[0]![1]).text.length, 9 * 1024);
});
