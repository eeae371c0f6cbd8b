// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { keys } from '@strangers/redis';
import { TestClient } from '@strangers/testkit';
import { pairUp, startStack, type Stack } from './stack.js';

/**
 * `CHAT_TTL_SECONDS` is a safety net for keys nobody ends; the keys of a chat and a session
 * that are still alive never expire under them (ARCHITECTURE.md "Keys and streams").
 */
const TTL_SECONDS = 3;

let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, gatewayEnv: { CHAT_TTL_SECONDS: String(TTL_SECONDS), RESUME_GRACE_MS: '2000' } });
});
after(async () => stack.stop());

/** Lets time pass: what is tested here is what a live chat looks like after its TTL. */
const pastTheTtl = () => new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 1500));

test('a chat alive for longer than CHAT_TTL_SECONDS keeps its seq and history; its sessions stay resumable', async () => {
  const a = await stack.connect(0);
  const b = await stack.connect(1);
  const token = String(a.frames.find((frame) => frame.type === 'welcome')!.resumeToken);
  const chat = await pairUp(a, b);
  a.send({ type: 'message', text: 'at t=0', id: 'm0', chat });
  assert.equal((await b.next('message')).seq, 1);
  await pastTheTtl();
  a.send({ type: 'message', text: 'after the ttl', id: 'm1', chat });
  const later = await b.next('message');
  assert.deepEqual([later.text, later.seq], ['after the ttl', 2]);
  b.send({ type: 'message', text: 'reply', id: 'r', chat });
  assert.equal((await a.next('message')).seq, 3);
  await pastTheTtl();
  // Long idle, still alive: the session record, its token and the chat's history are all there.
  a.terminate();
  const resumed = await TestClient.connect(`ws://127.0.0.1:${stack.gateways[1]!.port}/ws?resume=${token}&last=0`);
  const frame = await resumed.next();
  assert.deepEqual([frame.type, frame.state, frame.chat, frame.recovered], ['resumed', 'paired', chat, true]);
  assert.equal((await resumed.next('message')).text, 'reply');
  resumed.send({ type: 'message', text: 'back', id: 'x', chat });
  const back = await b.next('message');
  assert.deepEqual([back.text, back.seq], ['back', 4]);
  assert.ok((await stack.redis.client().ttl(keys.chat(chat))) > 0, 'the chat still has its safety-net TTL');
  resumed.close();
  b.close();
});
