// @topologies single cluster
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { keys } from '@strangers/redis';
import { waitFor, type TestClient } from '@strangers/testkit';
import { startStack, type Stack } from './stack.js';

/**
 * Issue 20's matching rules on a real stack (Redis, the matcher, two gateways, WebSocket
 * clients): each hard constraint, the language fallback, strict language, adults-only and the
 * age-check provider (a real local HTTP server: allow, deny, down).
 */

const LANG_FALLBACK_MS = 800;

/** Joins and waits until the matcher has the session in its queue (so the order of joins is known). */
async function joinAndQueue(stack: Stack, client: TestClient, session: string, join: Record<string, unknown>): Promise<void> {
  client.send({ type: 'join', ...join });
  await client.next('waiting');
  const redis = stack.redis.client();
  await waitFor(async () => (await redis.hexists(keys.matcherQueue, session)) === 1, { timeoutMs: 5000, what: `${session} queued` });
}

async function connect(stack: Stack, index = 0): Promise<{ client: TestClient; session: string }> {
  const client = await stack.connect(index);
  const welcome = client.frames.find((frame) => frame.type === 'welcome');
  return { client, session: String(welcome?.session) };
}

describe('hard constraints and the language preference (LANG_MATCH=prefer)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ matcherEnv: { LANG_FALLBACK_MS: String(LANG_FALLBACK_MS) }, gatewayEnv: { RESUME_GRACE_MS: '300' } });
  });
  afterEach(async () => stack.reset());
  after(async () => stack.stop());

  test('adults and minors never meet; an unknown age meets only unknown', async () => {
    const adult = await connect(stack, 0);
    const minor = await connect(stack, 1);
    const unknown = await connect(stack, 0);
    await joinAndQueue(stack, adult.client, adult.session, { adult: true });
    await joinAndQueue(stack, minor.client, minor.session, { adult: false });
    await joinAndQueue(stack, unknown.client, unknown.session, {});
    const secondMinor = await connect(stack, 1);
    secondMinor.client.send({ type: 'join', adult: false });
    const [paired] = await Promise.all([secondMinor.client.next('paired'), minor.client.next('paired')]);
    assert.ok(paired.chat);
    const secondUnknown = await connect(stack, 0);
    secondUnknown.client.send({ type: 'join' });
    await Promise.all([secondUnknown.client.next('paired'), unknown.client.next('paired')]);
    const redis = stack.redis.client();
    assert.equal(await redis.hexists(keys.matcherQueue, adult.session), 1, 'the adult still waits: nobody of its group came');
  });

  test('media kinds never mix; an audio/video pair gets opposite WebRTC roles', async () => {
    const text = await connect(stack, 0);
    const video = await connect(stack, 1);
    await joinAndQueue(stack, text.client, text.session, {});
    await joinAndQueue(stack, video.client, video.session, { media: 'video' });
    const secondVideo = await connect(stack, 0);
    secondVideo.client.send({ type: 'join', media: 'video' });
    const [x, y] = await Promise.all([secondVideo.client.next('paired'), video.client.next('paired')]);
    assert.deepEqual([x.media, y.media], ['video', 'video']);
    assert.deepEqual([x.role, y.role].sort(), ['answer', 'offer']);
    assert.equal(await stack.redis.client().hexists(keys.matcherQueue, text.session), 1, 'the text session still waits');
  });

  test('a shared language first, and the paired frame names it', async () => {
    const english = await connect(stack, 0);
    const french = await connect(stack, 1);
    await joinAndQueue(stack, english.client, english.session, { lang: ['en'] });
    await joinAndQueue(stack, french.client, french.session, { lang: ['fr'] });
    const bilingual = await connect(stack, 0);
    bilingual.client.send({ type: 'join', lang: ['fr', 'de'] });
    const [x, y] = await Promise.all([bilingual.client.next('paired'), french.client.next('paired')]);
    assert.deepEqual([x.lang, y.lang], [['fr'], ['fr']]);
    assert.equal(x.media, undefined, 'a text chat says no media');
    // The English speaker, alone, takes anyone after the fallback.
    const german = await connect(stack, 1);
    const started = Date.now();
    german.client.send({ type: 'join', lang: ['de'] });
    const [g, e] = await Promise.all([german.client.next('paired', 5000), english.client.next('paired', 5000)]);
    assert.equal(g.chat, e.chat);
    assert.equal(g.lang, undefined, 'matched without a shared language');
    assert.ok(Date.now() - started >= LANG_FALLBACK_MS - 400, 'not before the language wait');
  });
});

describe('strict language and adults only', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ matcherEnv: { LANG_MATCH: 'strict', LANG_FALLBACK_MS: '200' }, gatewayEnv: { RESUME_GRACE_MS: '300', ADULTS_ONLY: 'true' } });
  });
  afterEach(async () => stack.reset());
  after(async () => stack.stop());

  test('LANG_MATCH=strict: no shared language, no pair, however long they wait', async () => {
    const english = await connect(stack, 0);
    const french = await connect(stack, 1);
    await joinAndQueue(stack, english.client, english.session, { lang: ['en'], adult: true });
    await joinAndQueue(stack, french.client, french.session, { lang: ['fr'], adult: true });
    // Well past the fallback a prefer deployment would use: a third, English, joiner still finds the first.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const second = await connect(stack, 1);
    second.client.send({ type: 'join', lang: ['en'], adult: true });
    const [x, y] = await Promise.all([second.client.next('paired'), english.client.next('paired')]);
    assert.deepEqual([x.lang, y.lang], [['en'], ['en']]);
    assert.equal(await stack.redis.client().hexists(keys.matcherQueue, french.session), 1, 'the French speaker still waits');
  });

  test('ADULTS_ONLY=true: adult:false and a join without adult are refused with not_allowed', async () => {
    const { client } = await connect(stack, 0);
    client.send({ type: 'join', adult: false });
    assert.equal((await client.next('error')).code, 'not_allowed');
    client.send({ type: 'join' });
    assert.equal((await client.next('error')).code, 'not_allowed');
    client.send({ type: 'join', adult: true });
    await client.next('waiting');
  });
});

/** A real age-check provider on loopback, its answer set by the test. */
class AgeProvider {
  mode: 'allow' | 'deny' | 'down' = 'allow';
  readonly asked: unknown[] = [];
  private readonly server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      this.asked.push(JSON.parse(body));
      if (this.mode === 'down') request.socket.destroy();
      else response.end(JSON.stringify({ allowed: this.mode === 'allow' }));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/check`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('the age-check provider (AGE_CHECK_URL)', () => {
  let stack: Stack;
  const provider = new AgeProvider();
  before(async () => {
    const url = await provider.start();
    stack = await startStack({ gatewayEnv: { RESUME_GRACE_MS: '300', AGE_CHECK_URL: url, AGE_CHECK_TIMEOUT_MS: '1000' } });
  });
  afterEach(async () => stack.reset());
  after(async () => {
    await stack.stop();
    await provider.stop();
  });

  test('allowed: the join is queued and paired; the provider was asked with the session and its age', async () => {
    provider.mode = 'allow';
    const a = await connect(stack, 0);
    const b = await connect(stack, 1);
    a.client.send({ type: 'join', adult: true });
    await a.client.next('waiting');
    b.client.send({ type: 'join', adult: true });
    await Promise.all([a.client.next('paired'), b.client.next('paired')]);
    assert.ok(provider.asked.some((asked) => JSON.stringify(asked) === JSON.stringify({ session: a.session, adult: true })));
  });

  test('denied: error not_allowed, not queued', async () => {
    provider.mode = 'deny';
    const { client, session } = await connect(stack, 0);
    client.send({ type: 'join', adult: true });
    const error = await client.next('error');
    assert.equal(error.code, 'not_allowed');
    assert.equal(await stack.redis.client().hexists(keys.matcherQueue, session), 0);
    assert.ok(!client.frames.some((frame) => frame.type === 'waiting'));
  });

  test('down: fail-closed with error unavailable', async () => {
    provider.mode = 'down';
    const { client } = await connect(stack, 1);
    client.send({ type: 'join', adult: true });
    assert.equal((await client.next('error')).code, 'unavailable');
    assert.ok(!client.frames.some((frame) => frame.type === 'waiting'));
  });
});
