import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { getFreePort, waitFor } from '@strangers/testkit';
import { ModerationHook, registerSafetyMetrics, type HookSettings, type HookVerdict } from '../src/index.js';

/** What the test's hook server does with each request. */
type Behaviour = 'allow' | 'block' | 'slow' | 'hold' | 'status500' | 'garbage';

interface Seen {
  body: Record<string, unknown>;
  authorization: string | undefined;
}

let server: Server;
let url: string;
let behaviour: Behaviour = 'allow';
const seen: Seen[] = [];
/** Responses held open by `slow` (until `after`) and `hold` (until `release`). */
const held: ServerResponse[] = [];
const slowHeld: ServerResponse[] = [];
/** Answers every held request `{"allow":true}`. */
function release(): void {
  for (const response of held.splice(0)) response.writeHead(200, { 'content-type': 'application/json' }).end('{"allow":true}');
}
/** The most `hold` requests unanswered at once. */
let mostHeldAtOnce = 0;

function handle(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    seen.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), authorization: request.headers.authorization });
    const json = (status: number, body: string) => response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (behaviour === 'allow') json(200, '{"allow":true}');
    else if (behaviour === 'block') json(200, '{"allow":false,"reason":"spam"}');
    else if (behaviour === 'status500') json(500, '{"allow":true}');
    else if (behaviour === 'garbage') json(200, '{"verdict":"fine"}');
    else if (behaviour === 'hold') mostHeldAtOnce = Math.max(mostHeldAtOnce, held.push(response));
    else slowHeld.push(response); // slow: never answers in time
  });
}

before(async () => {
  server = createServer(handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/verdict`;
});
after(async () => {
  for (const response of [...held, ...slowHeld]) response.destroy();
  server.closeAllConnections();
  server.close();
});

const settings = (overrides: Partial<HookSettings> = {}): HookSettings & { url: string } => ({
  url,
  token: 'hook-secret',
  // Generous where the test is not about time, so a loaded machine cannot turn an answer into a timeout.
  timeoutMs: 5000,
  fail: 'open',
  firstMessages: 0,
  concurrency: 4,
  queue: 8,
  ...overrides,
});
const message = (text = 'hello there') => ({ chat: 'chat-1', sender: 'addr-hash', index: 0, text, ts: 1_700_000_000_000 });

describe('ModerationHook against a real HTTP server', () => {
  test('allow: the hook says yes; the request carries the documented shape and the token', async () => {
    behaviour = 'allow';
    seen.length = 0;
    const verdict = await new ModerationHook(settings()).check(message('hi!'));
    assert.deepEqual(verdict, { allow: true, source: 'hook' });
    assert.equal(seen.length, 1);
    const { body, authorization } = seen[0]!;
    assert.equal(authorization, 'Bearer hook-secret');
    assert.deepEqual(Object.keys(body).sort(), ['chat', 'id', 'index', 'sender', 'text', 'ts']);
    assert.equal(body.text, 'hi!');
    assert.match(String(body.id), /^[0-9a-f-]{36}$/);
  });

  for (const fail of ['open', 'closed'] as const) {
    test(`block (fail-${fail}): the hook's no is a no either way`, async () => {
      behaviour = 'block';
      assert.deepEqual(await new ModerationHook(settings({ fail })).check(message()), { allow: false, source: 'hook', reason: 'spam' });
    });

    test(`slow (fail-${fail}): a hook that does not answer in time gives the fail mode`, async () => {
      behaviour = 'slow';
      const verdict = await new ModerationHook(settings({ fail, timeoutMs: 150 })).check(message());
      assert.deepEqual(verdict, { allow: fail === 'open', source: 'fail_mode', failure: 'timeout' });
    });

    test(`down (fail-${fail}): connection refused gives the fail mode`, async () => {
      const downUrl = `http://127.0.0.1:${await getFreePort()}/verdict`;
      const verdict = await new ModerationHook(settings({ fail, url: downUrl })).check(message());
      assert.deepEqual(verdict, { allow: fail === 'open', source: 'fail_mode', failure: 'error' });
    });

    test(`a 500 or a malformed answer (fail-${fail}) gives the fail mode`, async () => {
      behaviour = 'status500';
      const hook = new ModerationHook(settings({ fail }));
      assert.deepEqual(await hook.check(message()), { allow: fail === 'open', source: 'fail_mode', failure: 'status' });
      behaviour = 'garbage';
      assert.deepEqual(await hook.check(message()), { allow: fail === 'open', source: 'fail_mode', failure: 'bad_answer' });
    });
  }

  test('never more than `concurrency` requests in flight; queued ones go out as earlier ones finish; a full queue answers at once', async () => {
    behaviour = 'hold';
    seen.length = 0;
    mostHeldAtOnce = 0;
    const hook = new ModerationHook(settings({ fail: 'closed', concurrency: 2, queue: 2, timeoutMs: 10_000 }));
    const verdicts: Promise<HookVerdict>[] = [1, 2, 3, 4, 5].map((i) => hook.check(message(`m${i}`)));
    // Two in flight, two queued, the fifth refused by the fail mode without a request.
    assert.deepEqual(hook.pending, { inFlight: 2, queued: 2 });
    assert.deepEqual(await verdicts[4], { allow: false, source: 'fail_mode', failure: 'queue_full' });
    await waitFor(() => held.length === 2, { what: 'the first two requests' });
    assert.deepEqual(seen.map((s) => s.body.text), ['m1', 'm2']);
    release();
    await waitFor(() => held.length === 2, { what: 'the queued two' });
    assert.deepEqual(seen.map((s) => s.body.text).sort(), ['m1', 'm2', 'm3', 'm4']);
    release();
    const all = await Promise.all(verdicts);
    assert.deepEqual(all.map((v) => (v.source === 'fail_mode' ? v.failure : v.allow)), [true, true, true, true, 'queue_full']);
    assert.equal(mostHeldAtOnce, 2);
    assert.deepEqual(hook.pending, { inFlight: 0, queued: 0 });
  });

  test('a message that waits in the queue past its budget gets the fail mode', async () => {
    behaviour = 'slow';
    const hook = new ModerationHook(settings({ fail: 'open', concurrency: 1, queue: 1, timeoutMs: 150 }));
    const verdicts = await Promise.all([hook.check(message('first')), hook.check(message('queued'))]);
    assert.deepEqual(verdicts, [
      { allow: true, source: 'fail_mode', failure: 'timeout' },
      { allow: true, source: 'fail_mode', failure: 'timeout' },
    ]);
    assert.deepEqual(hook.pending, { inFlight: 0, queued: 0 });
  });

  test('wants(): only the first K messages of a chat, or all with K = 0', () => {
    assert.equal(new ModerationHook(settings({ firstMessages: 0 })).wants(1000), true);
    const firstThree = new ModerationHook(settings({ firstMessages: 3 }));
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => firstThree.wants(i)), [true, true, true, false, false]);
  });

  test('latency and failures are on the registry', async () => {
    const registry = new Registry();
    const metrics = registerSafetyMetrics(registry);
    behaviour = 'allow';
    const hook = new ModerationHook(settings({ fail: 'closed' }), { metrics });
    await hook.check(message());
    behaviour = 'garbage';
    await hook.check(message());
    const text = await registry.metrics();
    assert.match(text, /strangers_safety_moderation_hook_seconds_count\{outcome="allow"\} 1/);
    assert.match(text, /strangers_safety_moderation_hook_seconds_count\{outcome="failed"\} 1/);
    assert.match(text, /strangers_safety_moderation_hook_failures_total\{reason="bad_answer"\} 1/);
    assert.match(text, /strangers_safety_messages_blocked_total\{filter="hook"\} 1/);
  });
});
