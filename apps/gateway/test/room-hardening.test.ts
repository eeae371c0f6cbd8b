// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, startTestRedis, TestClient, waitFor, type ServiceHandle, type TestRedisHandle } from '@strangers/testkit';
import { foldRoomName } from '../src/room/name-fold.js';

let redis: TestRedisHandle;
let gateway: ServiceHandle;
let other: ServiceHandle;

before(async () => {
  redis = await startTestRedis();
  [gateway, other] = await Promise.all([
    startGateway(redis.url, { GATEWAY_ID: 'gw-room-a', ROOM_RATE_BURST: '3', ROOM_RATE_PER_SECOND: '1', RATE_LIMIT_CLOSE_AFTER: '5' }),
    startGateway(redis.url, { GATEWAY_ID: 'gw-room-b' }),
  ]);
});

after(async () => {
  await Promise.all([gateway?.stop(), other?.stop()]);
  await redis?.stop();
});

const url = (at: ServiceHandle, name: string) => `ws://127.0.0.1:${at.port}/chat/${name}`;

async function join(at: ServiceHandle, name: string): Promise<TestClient> {
  const client = await TestClient.connect(url(at, name));
  assert.equal((await client.next('(text)')).text, `Welcome ${name}!`);
  return client;
}

async function refusedWith(at: ServiceHandle, name: string): Promise<string> {
  const client = await TestClient.connect(url(at, name));
  const closed = await client.waitClosed();
  assert.equal(closed.code, 4009, `${name} closed with 4009`);
  assert.equal(client.texts.length, 0, `${name} was never greeted`);
  return closed.reason;
}

describe('room hardening', () => {
  test('C0/C1 controls are stripped: a line is relayed as one line, with no escapes', async () => {
    const alice = await join(gateway, 'ctl-alice');
    const bob = await join(other, 'ctl-bob');
    await alice.seen((frame) => frame.text === 'ctl-bob joined the chat');
    bob.send('hi\r\nctl-carol left the chat\u001b[31m\u001b]0;owned\u0007\u0000\u0085\t!');
    const line = await alice.seen((frame) => typeof frame.text === 'string' && frame.text.startsWith('ctl-bob: '));
    assert.equal(line.text, 'ctl-bob: hictl-carol left the chat[31m]0;owned!');
    assert.doesNotMatch(String(line.text), /[\u0000-\u001f\u007f-\u009f]/);
    alice.close();
    bob.close();
  });

  test('a flooder is cut with 1008 after sustained rate limiting, as on /ws', async () => {
    const flooder = await join(gateway, 'flooder');
    for (let i = 0; i < 40; i++) flooder.send(`flood ${i}`);
    const closed = await flooder.waitClosed();
    assert.equal(closed.code, 1008);
    const notices = flooder.texts.filter((text) => text.startsWith('* not sent: too many messages'));
    assert.ok(notices.length >= 1 && notices.length < 5, `a few notices, then the cut (got ${notices.length})`);
  });

  test('names are unique case-insensitively and by look-alike skeleton; chat-users keeps them as typed', async () => {
    for (const [a, b] of [['alice', 'aIice'], ['mallory', 'rnallory'], ['BOB', 'B0B'], ['Dave', 'DAVE'], ['l1ly', 'lily']]) {
      assert.equal(foldRoomName(a!), foldRoomName(b!), `${a} ≈ ${b}`);
    }
    assert.notEqual(foldRoomName('alice'), foldRoomName('bob'));
    const held = await Promise.all(['alice', 'mallory', 'BOB'].map((name) => join(gateway, name)));
    assert.equal(await refusedWith(other, 'aIice'), 'username taken');
    assert.equal(await refusedWith(other, 'rnallory'), 'username taken');
    assert.equal(await refusedWith(gateway, 'B0B'), 'username taken', 'also on the gateway holding BOB');
    assert.equal(await refusedWith(other, 'ALICE'), 'username taken');
    const users = (await redis.client().smembers('chat-users')).sort();
    for (const name of ['BOB', 'alice', 'mallory']) assert.ok(users.includes(name), `chat-users holds ${name} as typed`);
    assert.ok(!users.includes('aIice') && !users.includes('B0B'));
    for (const client of held) client.close();
    for (const client of held) await client.waitClosed();
    await waitFor(async () => (await redis.client().sismember('chat-users', 'BOB')) === 0, { what: 'BOB released' });
    const bob = await join(other, 'B0B');
    bob.close();
  });

  test('reserved names (system, admin, moderator, server, …, and their look-alikes) are refused like a taken name', async () => {
    for (const name of ['system', 'admin', 'Admin', 'adm1n', 'moderator', 'server', 'SYSTEM']) {
      assert.equal(await refusedWith(gateway, name), 'username reserved', name);
    }
    assert.equal(await redis.client().sismember('chat-users', 'admin'), 0);
  });
});
