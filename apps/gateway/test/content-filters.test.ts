// @topologies single cluster
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '@strangers/protocol';
import { keys } from '@strangers/redis';
import { startGateway, startMatcher, startTestRedis, type ServiceHandle, type TestClient, type TestRedisHandle } from '@strangers/testkit';
import { pairUp } from './stack.js';
import { answerTo, connectTo, metricValue } from './safety-stack.js';

/**
 * The content filters in the message path of a real gateway: a refused message gets
 * `error blocked` with its `id`, is not in the chat's history and never reaches the partner;
 * ordinary text goes through. The full table of cases is packages/safety's unit test; these
 * are a few of each filter, through the wire.
 */
let redis: TestRedisHandle;
let matcher: ServiceHandle;
let gateway: ServiceHandle;
const clients: TestClient[] = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strangers-words-'));
  const words = join(dir, 'words.txt');
  writeFileSync(words, '# test list\nhate\nbuy followers\n');
  redis = await startTestRedis();
  matcher = await startMatcher(redis.url);
  gateway = await startGateway(redis.url, {
    GATEWAY_ID: 'gw-filters',
    FILTER_LINKS: 'block',
    FILTER_CONTACTS: 'block',
    FILTER_CONTACTS_MESSAGES: '10',
    FILTER_CONTACTS_MS: '0',
    FILTER_WORDS_FILE: words,
    FILTER_REPEAT: 'block',
    FILTER_REPEAT_PARTNERS: '2',
    TRUST_PROXY: 'loopback',
    CHAT_RATE_PER_SECOND: '1000',
    CHAT_RATE_BURST: '1000',
  });
});

after(async () => {
  for (const client of clients) client.terminate();
  await Promise.all([gateway, matcher].map((service) => service?.stop('SIGKILL')));
  await redis?.stop();
});

type Case = { text: string; filter?: 'links' | 'contacts' | 'words' };
const cases: Case[] = [
  { text: 'hello there, how are you?' },
  { text: 'I like 3.5 stars and version 1.2.3' },
  { text: 'see you at 10.30 e.g. tomorrow' },
  { text: 'visit example.com now', filter: 'links' },
  { text: 'https://example.org/x', filter: 'links' },
  { text: 'go to t.me/somebody', filter: 'links' },
  { text: 'ｅｘａｍｐｌｅ．ｃｏｍ', filter: 'links' },
  { text: 'exаmple.com (a Cyrillic а)', filter: 'links' },
  { text: 'example [dot] com', filter: 'links' },
  { text: 'write me: someone@mail.co', filter: 'contacts' },
  { text: 'a (at) b (dot) com', filter: 'contacts' },
  { text: 'call +44 20 7946 0958', filter: 'contacts' },
  { text: 'my email is down lol' },
  { text: 'I H4TE you', filter: 'words' },
  { text: 'want to buy followers?', filter: 'words' },
  { text: 'whatever happens' },
];

describe('content filters on a real gateway', () => {
  test('each case is blocked by its filter (error blocked with its id, not stored, not delivered) or delivered', async () => {
    const { client: a } = await connectTo(gateway, clients, '198.51.100.1');
    const { client: b } = await connectTo(gateway, clients, '198.51.100.2');
    const chat = await pairUp(a, b);
    const blockedBefore = new Map<string, number>();
    for (const filter of ['links', 'contacts', 'words']) blockedBefore.set(filter, await metricValue(gateway, 'strangers_safety_messages_blocked_total', { filter }));
    const delivered: string[] = [];
    for (const [index, { text, filter }] of cases.entries()) {
      const id = `c${index}`;
      a.send({ type: 'message', text, id });
      const answer = await answerTo(a, id);
      if (filter) {
        assert.equal(answer.type, 'error', `${JSON.stringify(text)} is refused`);
        assert.equal(answer.code, ErrorCode.blocked, `${JSON.stringify(text)}: code blocked`);
        assert.doesNotMatch(String(answer.message), new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the reason never quotes the text');
      } else {
        assert.equal(answer.type, 'ack', `${JSON.stringify(text)} goes through (got ${JSON.stringify(answer)})`);
        delivered.push(text);
      }
    }
    // A last ordinary message: once b has it, b has had everything it will ever get.
    a.send({ type: 'message', text: 'the end', id: 'end' });
    assert.equal((await answerTo(a, 'end')).type, 'ack');
    await b.seen((frame) => frame.type === 'message' && frame.text === 'the end');
    const received = b.frames.filter((frame) => frame.type === 'message').map((frame) => String(frame.text));
    assert.deepEqual(received, [...delivered, 'the end']);
    // Nor stored: the chat history holds exactly the delivered ones.
    const admin = redis.client();
    const history = (await admin.xrange(keys.chatLog(chat), '-', '+')).map(([, flat]) => flat[flat.indexOf('text') + 1]);
    assert.deepEqual(history, [...delivered, 'the end']);
    for (const filter of ['links', 'contacts', 'words']) {
      const expected = cases.filter((entry) => entry.filter === filter).length;
      assert.equal(await metricValue(gateway, 'strangers_safety_messages_blocked_total', { filter }), blockedBefore.get(filter)! + expected, `${filter} counter`);
    }
  });

  test('contact details are allowed once the chat is no longer young', async () => {
    // FILTER_CONTACTS_MESSAGES=10: refused while young, allowed after 10 messages.
    const { client: a } = await connectTo(gateway, clients, '198.51.100.3');
    const { client: b } = await connectTo(gateway, clients, '198.51.100.4');
    await pairUp(a, b);
    a.send({ type: 'message', text: 'call +44 20 7946 0958', id: 'early' });
    assert.equal((await answerTo(a, 'early')).code, ErrorCode.blocked);
    for (let i = 0; i < 5; i++) {
      a.send({ type: 'message', text: `line ${i} from a`, id: `a${i}` });
      b.send({ type: 'message', text: `line ${i} from b`, id: `b${i}` });
      await Promise.all([answerTo(a, `a${i}`), answerTo(b, `b${i}`)]);
    }
    await a.seen((frame) => frame.type === 'message' && frame.text === 'line 4 from b');
    a.send({ type: 'message', text: 'call +44 20 7946 0958', id: 'phone' });
    assert.equal((await answerTo(a, 'phone')).type, 'ack');
  });

  test('the same text to many partners: refused from the FILTER_REPEAT_PARTNERS-th partner on', async () => {
    const spam = 'Hey! Check out my profile for some great pictures';
    const { client: sender } = await connectTo(gateway, clients, '198.51.100.5');
    const answers: string[] = [];
    for (let partner = 0; partner < 3; partner++) {
      const { client: other } = await connectTo(gateway, clients, `198.51.100.${10 + partner}`);
      await pairUp(sender, other, { interests: [`repeat-${partner}`], requeue: false });
      sender.send({ type: 'message', text: spam, id: `spam${partner}` });
      const answer = await answerTo(sender, `spam${partner}`);
      answers.push(answer.type === 'ack' ? 'ack' : String(answer.code));
      sender.send({ type: 'leave' });
      other.send({ type: 'leave' });
    }
    assert.deepEqual(answers, ['ack', ErrorCode.blocked, ErrorCode.blocked]);
    assert.ok((await metricValue(gateway, 'strangers_safety_messages_blocked_total', { filter: 'repeat' })) >= 2);
  });
});
