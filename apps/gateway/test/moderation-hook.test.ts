// @topologies single cluster
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '@strangers/protocol';
import { startGateway, startMatcher, startTestRedis, waitFor, type ServiceHandle, type TestClient, type TestRedisHandle } from '@strangers/testkit';
import { pairUp } from './stack.js';
import { answerTo, connectTo, metricValue } from './safety-stack.js';

/**
 * The moderation hook in the message path, against a real local HTTP server: its answer
 * allows or blocks; a slow or dead hook is decided by MODERATION_HOOK_FAIL; a message the
 * hook holds delays only that session (its later messages wait behind it, in order), never
 * another session.
 */
const TIMEOUT_MS = 1500;

/** The hook: `allow…` → allow, `block…` → block, `slow…` → never answers, `hold…` → answers allow when the test releases it. */
class TestHook {
  readonly server: Server;
  readonly seen: string[] = [];
  private readonly held: ServerResponse[] = [];

  constructor() {
    this.server = createServer((request, response) => void this.answer(request, response));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/verdict`;
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    const { text } = JSON.parse(body) as { text: string };
    this.seen.push(text);
    if (text.startsWith('slow')) return; // never answered: the gateway's timeout decides
    if (text.startsWith('hold')) {
      this.held.push(response);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ allow: !text.startsWith('block') }));
  }

  get heldCount(): number {
    return this.held.length;
  }

  release(): void {
    for (const response of this.held.splice(0)) response.writeHead(200, { 'content-type': 'application/json' }).end('{"allow":true}');
  }

  /** Down: refuses connections from now on. */
  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let redis: TestRedisHandle;
let matcher: ServiceHandle;
let failOpen: ServiceHandle;
let failClosed: ServiceHandle;
const hook = new TestHook();
const clients: TestClient[] = [];

before(async () => {
  await hook.start();
  redis = await startTestRedis();
  matcher = await startMatcher(redis.url);
  const env = { MODERATION_HOOK_URL: hook.url, MODERATION_HOOK_TIMEOUT_MS: String(TIMEOUT_MS), CHAT_RATE_PER_SECOND: '1000', CHAT_RATE_BURST: '1000' };
  [failOpen, failClosed] = await Promise.all([
    startGateway(redis.url, { GATEWAY_ID: 'gw-hook-open', MODERATION_HOOK_FAIL: 'open', ...env }),
    startGateway(redis.url, { GATEWAY_ID: 'gw-hook-closed', MODERATION_HOOK_FAIL: 'closed', ...env }),
  ]);
});

after(async () => {
  for (const client of clients) client.terminate();
  await Promise.all([failOpen, failClosed, matcher].map((service) => service?.stop('SIGKILL')));
  await redis?.stop();
  if (hook.server.listening) await hook.stop();
});

async function pairOn(gateway: ServiceHandle, tag: string): Promise<[TestClient, TestClient]> {
  const { client: a } = await connectTo(gateway, clients);
  const { client: b } = await connectTo(gateway, clients);
  await pairUp(a, b, { interests: [tag] });
  return [a, b];
}

/** Sends each text from a to b; returns what a got back (`ack` or the error code) for each. */
async function outcomes(a: TestClient, texts: string[]): Promise<string[]> {
  const results: string[] = [];
  for (const [index, text] of texts.entries()) {
    const id = `${text}-${index}`;
    a.send({ type: 'message', text, id });
    const answer = await answerTo(a, id, TIMEOUT_MS + 5000);
    results.push(answer.type === 'ack' ? 'ack' : String(answer.code));
  }
  return results;
}

describe('moderation hook', () => {
  test('allow, block and slow, fail-open and fail-closed: only allowed messages are delivered', async () => {
    const table = [
      { gateway: () => failOpen, expect: ['ack', ErrorCode.blocked, 'ack'] },
      { gateway: () => failClosed, expect: ['ack', ErrorCode.blocked, ErrorCode.blocked] },
    ];
    await Promise.all(
      table.map(async ({ gateway, expect }, row) => {
        const [a, b] = await pairOn(gateway(), `hook-${row}`);
        const texts = [`allow ${row}`, `block ${row}`, `slow ${row}`];
        assert.deepEqual(await outcomes(a, texts), expect);
        a.send({ type: 'message', text: `allow end ${row}`, id: 'end' });
        await b.seen((frame) => frame.type === 'message' && frame.text === `allow end ${row}`, TIMEOUT_MS + 5000);
        const received = b.frames.filter((frame) => frame.type === 'message').map((frame) => frame.text);
        assert.deepEqual(received, [...texts.filter((_, i) => expect[i] === 'ack'), `allow end ${row}`]);
      }),
    );
    assert.ok((await metricValue(failOpen, 'strangers_safety_moderation_hook_failures_total', { reason: 'timeout' })) >= 1);
    assert.ok((await metricValue(failClosed, 'strangers_safety_messages_blocked_total', { filter: 'hook' })) >= 2);
  });

  test('a held message delays only its own session, and its later messages stay in order behind it', async () => {
    const [a, b] = await pairOn(failOpen, 'hook-order');
    const [c, d] = await pairOn(failOpen, 'hook-other');
    a.send({ type: 'message', text: 'hold first', id: 'h1' });
    a.send({ type: 'message', text: 'allow second', id: 'h2' });
    await waitFor(() => hook.heldCount === 1, { what: 'the hook to hold the first message' });
    // Meanwhile another session on the same gateway talks as usual.
    c.send({ type: 'message', text: 'allow meanwhile', id: 'c1' });
    assert.equal((await answerTo(c, 'c1')).type, 'ack');
    await d.seen((frame) => frame.type === 'message' && frame.text === 'allow meanwhile');
    assert.equal(a.frames.some((frame) => frame.type === 'ack'), false, 'nothing of a acked while its first message is held');
    assert.equal(hook.seen.includes('allow second'), false, 'the second waits behind the first, not even asked yet');
    hook.release();
    const [first, second] = [await answerTo(a, 'h1'), await answerTo(a, 'h2')];
    assert.equal(first.type, 'ack');
    assert.equal(second.type, 'ack');
    assert.ok(Number(first.seq) < Number(second.seq), 'acked in the order sent');
    assert.deepEqual(a.frames.filter((frame) => frame.type === 'ack').map((frame) => frame.id), ['h1', 'h2']);
    await b.seen((frame) => frame.type === 'message' && frame.text === 'allow second');
    assert.deepEqual(b.frames.filter((frame) => frame.type === 'message').map((frame) => frame.text), ['hold first', 'allow second']);
  });

  test('a hook that is down: fail-open delivers, fail-closed refuses', async () => {
    const [openA, openB] = await pairOn(failOpen, 'hook-down-open');
    const [closedA] = await pairOn(failClosed, 'hook-down-closed');
    await hook.stop();
    assert.deepEqual(await outcomes(openA, ['allow while down']), ['ack']);
    await openB.seen((frame) => frame.type === 'message' && frame.text === 'allow while down');
    assert.deepEqual(await outcomes(closedA, ['allow while down']), [ErrorCode.blocked]);
    assert.ok((await metricValue(failClosed, 'strangers_safety_moderation_hook_failures_total', { reason: 'error' })) >= 1);
  });
});
