// @topologies single cluster
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { StrangerClient } from '@strangers/client';
import { keys } from '@strangers/redis';
import { startGateway, TestClient, waitFor, type ServiceHandle } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

const GRACE_MS = 3000;
const CLEAN_GRACE_MS = 500;
const gatewayEnv = {
  RESUME_GRACE_MS: String(GRACE_MS),
  RESUME_GRACE_CLEAN_MS: String(CLEAN_GRACE_MS),
  GATEWAY_ALIVE_TTL_MS: '1000',
  GATEWAY_ALIVE_INTERVAL_MS: '250',
};

let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, gatewayEnv });
});
afterEach(async () => stack.reset());
/** Gateways a test started beside the stack's; stopped with it. */
const extraGateways: ServiceHandle[] = [];
after(async () => {
  await Promise.all(extraGateways.map((gateway) => gateway.stop('SIGKILL')));
  await stack.stop();
});

/** A `resumed` frame without its (random) next token, which must be there. */
function omitToken(frame: Record<string, unknown>): Record<string, unknown> {
  const { resumeToken, ...rest } = frame;
  assert.match(String(resumeToken), /^[A-Za-z0-9_-]{22}$/);
  return rest;
}

const wsUrl = (gateway: ServiceHandle, query = '') => `ws://127.0.0.1:${gateway.port}/ws${query}`;

describe('resume', () => {
  test('a dropped client resumes on the other gateway and gets exactly the messages it missed, in order', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const welcome = a.frames.find((frame) => frame.type === 'welcome')!;
    const chat = await pairUp(a, b);
    b.send({ type: 'message', text: 'seen', id: 's' });
    const seen = await a.next('message');
    a.terminate(); // cut without a close frame
    for (let i = 0; i < 3; i++) {
      b.send({ type: 'message', text: `missed ${i}`, id: `m${i}` });
      await b.next('ack');
    }
    const resumed = await TestClient.connect(wsUrl(stack.gateways[1]!, `?resume=${String(welcome.resumeToken)}&last=${String(seen.seq)}`));
    assert.deepEqual(omitToken(await resumed.next()), { type: 'resumed', state: 'paired', chat, recovered: true });
    const replayed = [await resumed.next('message'), await resumed.next('message'), await resumed.next('message')];
    assert.deepEqual(replayed.map((frame) => frame.text), ['missed 0', 'missed 1', 'missed 2']);
    assert.ok(replayed.every((frame, i) => i === 0 || Number(frame.seq) > Number(replayed[i - 1]!.seq)));
    // Live traffic continues both ways; the partner never heard of the drop.
    b.send({ type: 'message', text: 'live' });
    assert.equal((await resumed.next('message')).text, 'live');
    resumed.send({ type: 'message', text: 'back', id: 'r' });
    await resumed.next('ack');
    assert.equal((await b.next('message')).text, 'back');
    assert.equal(b.frames.some((frame) => frame.type === 'partner_left'), false);
    assert.equal(resumed.frames.some((frame) => frame.type === 'welcome'), false, 'no new welcome on resume');
    resumed.close();
  });

  test('resuming on the same gateway works, and without `last` the whole kept history is replayed', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const token = String(a.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    await pairUp(a, b);
    b.send({ type: 'message', text: 'one' });
    await a.next('message');
    a.terminate();
    const resumed = await TestClient.connect(wsUrl(stack.gateways[0]!, `?resume=${token}`));
    assert.equal((await resumed.next()).type, 'resumed');
    assert.equal((await resumed.next('message')).text, 'one');
    resumed.close();
  });

  test('a waiting session keeps waiting across a resume and is paired where it resumed', async () => {
    const a = await stack.connect(0);
    const token = String(a.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    a.send({ type: 'join' });
    await a.next('waiting');
    a.terminate();
    const resumed = await TestClient.connect(wsUrl(stack.gateways[1]!, `?resume=${token}`));
    assert.deepEqual(omitToken(await resumed.next()), { type: 'resumed', state: 'waiting', recovered: true });
    const c = await stack.connect(0);
    c.send({ type: 'join' });
    assert.equal((await resumed.next('paired')).chat, (await c.next('paired')).chat);
    resumed.close();
  });

  test('a session that drops while waiting leaves the queue at once, and a resume within the grace gives it back its place', async () => {
    const a = await stack.connect(0);
    const token = String(a.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    const sid = String(a.frames.find((frame) => frame.type === 'welcome')!.session);
    a.send({ type: 'join' });
    await a.next('waiting');
    a.terminate();
    // The gateway sees the drop only when the socket's close reaches it: wait for the matcher
    // to have parked the session (its durable queue entry says so) before the newcomers join.
    const admin = stack.redis.client();
    await waitFor(async () => JSON.parse((await admin.hget(keys.matcherQueue, sid)) ?? '{}').parked === true, { timeoutMs: 10_000, what: 'the dropped session parked' });
    admin.disconnect();
    // Two newcomers: had the dropped session kept its turn, the first would be paired with it.
    const c = await stack.connect(1);
    const d = await stack.connect(0);
    c.send({ type: 'join' });
    await c.next('waiting');
    d.send({ type: 'join' });
    const [pc, pd] = await Promise.all([c.next('paired'), d.next('paired')]);
    assert.equal(pc.chat, pd.chat, 'the newcomers were paired with each other, not with the dropped session');
    // Back within the grace: waiting again, and first in line for the next joiner.
    const resumed = await TestClient.connect(wsUrl(stack.gateways[1]!, `?resume=${token}`));
    assert.deepEqual(omitToken(await resumed.next()), { type: 'resumed', state: 'waiting', recovered: true });
    const e = await stack.connect(0);
    e.send({ type: 'join' });
    assert.equal((await resumed.next('paired')).chat, (await e.next('paired')).chat);
    resumed.close();
  });

  test('an unknown token gets resume_failed and a fresh welcome', async () => {
    const client = await TestClient.connect(wsUrl(stack.gateways[0]!, '?resume=nope&last=3'));
    assert.equal((await client.next()).code, 'resume_failed');
    assert.equal((await client.next()).type, 'welcome');
    client.close();
  });

  test('a tab closed cleanly (1001): the partner is told `disconnected` within seconds, and a reload within the short grace still resumes', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b, { requeue: false });
    const closedAt = Date.now();
    a.socket.close(1001);
    assert.deepEqual(await b.next('partner_left', 5000), { type: 'partner_left', reason: 'disconnected' });
    const tookMs = Date.now() - closedAt;
    assert.ok(tookMs < GRACE_MS - 500, `told after ${tookMs} ms`);
    assert.ok(tookMs >= CLEAN_GRACE_MS - 100, 'not before the short grace');

    const c = await stack.connect(0);
    const d = await stack.connect(1);
    const token = String(c.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    const chat = await pairUp(c, d);
    c.socket.close(1000);
    await c.waitClosed();
    const reloaded = await TestClient.connect(wsUrl(stack.gateways[0]!, `?resume=${token}`));
    const resumed = await reloaded.next();
    assert.equal(resumed.type, 'resumed');
    assert.equal(resumed.chat, chat);
    reloaded.close();
  });

  test('with the default settings (15 s grace) the partner of a closed tab is told in under 5 s', async () => {
    const defaults = await startGateway(stack.redis.url, { GATEWAY_ID: 'gw-defaults' });
    extraGateways.push(defaults);
    const a = await TestClient.connect(wsUrl(defaults));
    const b = await TestClient.connect(wsUrl(defaults));
    await Promise.all([a.next('welcome'), b.next('welcome')]);
    await pairUp(a, b, { requeue: false });
    const closedAt = Date.now();
    a.socket.close(1001);
    await b.next('partner_left', 6000);
    const tookMs = Date.now() - closedAt;
    assert.ok(tookMs < 5000, `told after ${tookMs} ms`);
    b.socket.close(1000);
  });

  test('`resumed` hands out the next token; once it is used the earlier ones die, but not before (a lost `resumed` does not lock out)', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const first = String(a.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    const chat = await pairUp(a, b);
    a.terminate();
    const resumeWith = async (token: string, gateway: number) => {
      const client = await TestClient.connect(wsUrl(stack.gateways[gateway]!, `?resume=${token}`));
      return { client, frame: await client.next() };
    };
    // The first resume's answer is "lost": the client drops without using its token.
    const lost = await resumeWith(first, 1);
    assert.equal(lost.frame.type, 'resumed');
    assert.equal(lost.frame.recovered, true);
    const second = String(lost.frame.resumeToken);
    assert.match(second, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(second, first);
    lost.client.terminate();
    // The first token still works, and hands out a third.
    const retry = await resumeWith(first, 0);
    assert.equal(retry.frame.type, 'resumed');
    assert.equal(retry.frame.chat, chat);
    const third = String(retry.frame.resumeToken);
    retry.client.terminate();
    // The third is used: every earlier token dies.
    const used = await resumeWith(third, 1);
    assert.equal(used.frame.type, 'resumed');
    const fourth = String(used.frame.resumeToken);
    used.client.terminate();
    for (const dead of [first, second]) {
      const refused = await resumeWith(dead, 0);
      assert.equal(refused.frame.code, 'resume_failed', `token ${dead === first ? 'first' : 'second'} still resumed`);
      refused.client.close();
    }
    const last = await resumeWith(fourth, 0);
    assert.equal(last.frame.type, 'resumed');
    assert.equal(last.frame.state, 'paired');
    last.client.close();
  });

  test('`resumed.recovered` is false when history after `last` was trimmed', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    const token = String(a.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
    const chat = await pairUp(a, b);
    a.terminate();
    for (let i = 0; i < 3; i++) {
      b.send({ type: 'message', text: `m${i}`, id: `m${i}`, chat });
      await b.next('ack');
    }
    await stack.redis.client().xtrim(keys.chatLog(chat), 'MAXLEN', 1);
    const resumed = await TestClient.connect(wsUrl(stack.gateways[0]!, `?resume=${token}&last=0`));
    const frame = await resumed.next();
    assert.equal(frame.type, 'resumed');
    assert.equal(frame.recovered, false);
    assert.equal((await resumed.next('message')).text, 'm2');
    resumed.close();
  });

  test('a client that never comes back: the partner gets "disconnected" within the grace plus 2 s', async () => {
    const a = await stack.connect(0);
    const b = await stack.connect(1);
    await pairUp(a, b);
    const droppedAt = Date.now();
    a.terminate();
    assert.deepEqual(await b.next('partner_left', GRACE_MS + 2000), { type: 'partner_left', reason: 'disconnected' });
    assert.ok(Date.now() - droppedAt >= GRACE_MS - 100, 'not before the grace');
    // And the token is spent.
    const late = await TestClient.connect(wsUrl(stack.gateways[1]!, `?resume=${String(a.frames[0]!.resumeToken)}`));
    assert.equal((await late.next()).code, 'resume_failed');
    late.close();
  });
});

/**
 * 100 pairs talk through the SDK, one side on a gateway that is then killed (SIGKILL) or
 * drained (SIGTERM); that side resumes on another gateway. Every acked message must reach
 * the partner exactly once and in order, and no partner may see `partner_left`.
 */
for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  test(`100 pairs survive a ${signal} of one side's gateway`, async () => {
    const victim = await startGateway(stack.redis.url, { GATEWAY_ID: `victim-${signal}`, ...gatewayEnv });
    let victimUp = true;
    const survivorUrl = wsUrl(stack.gateways[1]!);
    const backoff = { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 100 };
    const pairs = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const movers = new StrangerClient({ url: () => (victimUp ? wsUrl(victim) : survivorUrl), WebSocket, backoff });
        const stayer = new StrangerClient({ url: wsUrl(stack.gateways[0]!), WebSocket, backoff });
        await Promise.all([movers.connect(), stayer.connect()]);
        return { movers, stayer };
      }),
    );
    const log = new Map<StrangerClient, { acked: string[]; received: { text: string; seq: number }[]; left: number }>();
    for (const client of pairs.flatMap(({ movers, stayer }) => [movers, stayer])) {
      const record = { acked: [] as string[], received: [] as { text: string; seq: number }[], left: 0 };
      log.set(client, record);
      client.on('message', ({ text, seq }) => record.received.push({ text, seq }));
      client.on('partner_left', () => record.left++);
    }
    // Pair them up one pair at a time so each pair is the two we expect.
    for (const { movers, stayer } of pairs) {
      const paired = Promise.all([new Promise((resolve) => movers.once('paired', resolve)), new Promise((resolve) => stayer.once('paired', resolve))]);
      movers.join();
      stayer.join();
      await paired;
      assert.equal(movers.chat, stayer.chat);
    }

    let sending = true;
    let counter = 0;
    const talk = async (client: StrangerClient, side: string) => {
      while (sending) {
        const text = `${side}-${counter++}`;
        try {
          await client.send(text);
          log.get(client)!.acked.push(text);
        } catch {
          // Not acked (connection lost): the protocol promises nothing for it.
        }
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    };
    const talkers = pairs.flatMap(({ movers, stayer }) => [talk(movers, 'm'), talk(stayer, 's')]);
    await waitFor(() => [...log.values()].every((record) => record.received.length >= 2), { timeoutMs: 10_000, what: 'traffic' });

    victimUp = false;
    await victim.stop(signal);
    await waitFor(() => pairs.every(({ movers }) => movers.status === 'open' && movers.state === 'paired'), {
      timeoutMs: 15_000,
      what: 'every client of the lost gateway resumed',
    });
    const ackedAtResume = pairs.map(({ movers }) => log.get(movers)!.acked.length);
    await waitFor(() => pairs.every(({ movers }, i) => log.get(movers)!.acked.length > ackedAtResume[i]! + 1), { timeoutMs: 10_000, what: 'traffic after the resume' });
    sending = false;
    await Promise.all(talkers);

    for (const { movers, stayer } of pairs) {
      for (const [from, to] of [[movers, stayer], [stayer, movers]] as const) {
        const acked = log.get(from)!.acked;
        const lastAcked = acked[acked.length - 1];
        await waitFor(() => log.get(to)!.received.some((message) => message.text === lastAcked), { timeoutMs: 5000, what: 'every acked message delivered' });
        const received = log.get(to)!.received;
        const texts = received.map((message) => message.text);
        // Exactly once and in order. A send whose ack was lost with the connection may still
        // have been stored and delivered: allowed, so acked messages are a subsequence.
        assert.equal(new Set(texts).size, texts.length, 'no duplicates');
        assert.deepEqual(texts.filter((text) => acked.includes(text)), acked, 'every acked message, in order');
        const counters = texts.map((text) => Number(text.split('-')[1]));
        assert.ok(counters.every((value, i) => i === 0 || value > counters[i - 1]!), 'in send order');
        assert.ok(received.every((message, i) => i === 0 || message.seq > received[i - 1]!.seq));
      }
      assert.equal(log.get(stayer)!.left, 0, 'the partner never saw partner_left');
      assert.equal(log.get(movers)!.left, 0);
    }
    for (const { movers, stayer } of pairs) {
      movers.close();
      stayer.close();
    }
  });
}
