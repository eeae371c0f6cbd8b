// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  startGateway,
  startTestRedis,
  TestClient,
  waitFor,
  type ServiceHandle,
  type TestRedisHandle,
} from '@strangers/testkit';
import { Cluster, type Redis } from 'ioredis';

// Short liveness so a killed gateway is seen dead quickly.
const ALIVE = { GATEWAY_ALIVE_TTL_MS: '1500', GATEWAY_ALIVE_INTERVAL_MS: '500' };

let redis: TestRedisHandle;
let probe: Redis | Cluster;
let a: ServiceHandle;
let b: ServiceHandle;

before(async () => {
  redis = await startTestRedis();
  probe = redis.client();
  [a, b] = await Promise.all([
    startGateway(redis.url, { GATEWAY_ID: 'gw-a', ...ALIVE }),
    startGateway(redis.url, { GATEWAY_ID: 'gw-b', ...ALIVE, ROOM_RATE_BURST: '5', ROOM_RATE_PER_SECOND: '1' }),
  ]);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

function roomUrl(gateway: ServiceHandle, name: string): string {
  return `ws://127.0.0.1:${gateway.port}/chat/${name}`;
}

/** Connects and waits for the greeting. */
async function join(gateway: ServiceHandle, name: string): Promise<TestClient> {
  const client = await TestClient.connect(roomUrl(gateway, name));
  assert.equal((await client.next('(text)')).text, `Welcome ${name}!`);
  return client;
}

function sawText(client: TestClient, text: string, timeoutMs = 5000): Promise<unknown> {
  return client.seen((frame) => frame.type === '(text)' && frame.text === text, timeoutMs);
}

async function leave(client: TestClient, name: string): Promise<void> {
  client.close();
  await client.waitClosed();
  await waitFor(async () => (await probe.sismember('chat-users', name)) === 0, { what: `${name} to leave chat-users` });
}

describe('shared room /chat/{user}', () => {
  test('welcome, join and leave notices and messages fan out across gateways, never echoed', async () => {
    const alice = await join(a, 'alice');
    const bob = await join(b, 'bob');
    await sawText(alice, 'bob joined the chat');
    assert.deepEqual((await probe.smembers('chat-users')).sort(), ['alice', 'bob']);

    alice.send('hello');
    await sawText(bob, 'alice: hello');
    // Sent after bob saw alice's line, so alice's gateway reads it after alice's own line.
    bob.send('hi alice');
    await sawText(alice, 'bob: hi alice');
    assert.ok(!alice.texts.includes('alice: hello'), 'not echoed to the sender');
    assert.ok(!bob.texts.includes('bob joined the chat'), 'no own join notice');
    assert.ok(!bob.texts.includes('alice joined the chat'), 'no notice from before bob joined');

    await leave(bob, 'bob');
    await sawText(alice, 'bob left the chat');
    await leave(alice, 'alice');
  });

  test('a name connected on another gateway is refused with 4009 "username taken"', async () => {
    const carol = await join(a, 'carol');
    for (const gateway of [b, a]) {
      const again = await TestClient.connect(roomUrl(gateway, 'carol'));
      assert.deepEqual(await again.waitClosed(), { code: 4009, reason: 'username taken' });
      assert.equal(again.texts.length, 0);
    }
    // The refused attempts did not disturb the holder.
    assert.equal(await probe.sismember('chat-users', 'carol'), 1);
    const dave = await join(b, 'dave');
    dave.send('still there?');
    await sawText(carol, 'dave: still there?');
    assert.ok(!carol.texts.includes('carol left the chat'));
    await leave(dave, 'dave');
    await leave(carol, 'carol');
  });

  test('two clients racing for one name on two gateways: exactly one wins, 20 times', async () => {
    for (let round = 0; round < 20; round++) {
      const contenders = await Promise.all([
        TestClient.connect(roomUrl(a, 'racer')),
        TestClient.connect(roomUrl(b, 'racer')),
      ]);
      await Promise.all(contenders.map((client) => waitFor(() => client.texts.length > 0 || client.closed, { what: 'an outcome' })));
      const winners = contenders.filter((client) => client.texts[0] === 'Welcome racer!');
      const losers = contenders.filter((client) => client.closed?.code === 4009);
      assert.equal(winners.length, 1, `round ${round}: one winner`);
      assert.equal(losers.length, 1, `round ${round}: one loser`);
      assert.equal(losers[0]!.closed!.reason, 'username taken');
      assert.deepEqual(await probe.smembers('chat-users'), ['racer']);
      await leave(winners[0]!, 'racer');
    }
  });

  test('invalid names are refused with HTTP 400', async () => {
    for (const name of ['', 'x'.repeat(33), 'bad%20name', 'a/b', '%C3%A9t%C3%A9', 'semi;colon']) {
      await assert.rejects(TestClient.connect(roomUrl(a, name)), /upgrade refused: 400/, `name "${name}"`);
    }
    // The edges of the allowed set are accepted.
    const longest = 'A-z_0.9' + 'x'.repeat(25);
    await leave(await join(a, longest), longest);
  });

  test('GET /chat/users lists the connected names as JSON', async () => {
    const erin = await join(a, 'erin');
    const frank = await join(b, 'frank');
    const response = await fetch(`http://127.0.0.1:${a.port}/chat/users`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), ['erin', 'frank']);
    await leave(erin, 'erin');
    await leave(frank, 'frank');
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${b.port}/chat/users`)).json(), []);
  });

  test('binary frames close 1003; over-long text and floods are not broadcast', async () => {
    const gina = await join(b, 'gina');
    const hal = await join(a, 'hal');
    hal.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await hal.waitClosed()).code, 1003);
    await sawText(gina, 'hal left the chat');

    const ian = await join(a, 'ian');
    ian.send('y'.repeat(2001));
    await sawText(ian, '* not sent: longer than 2000 characters');
    // gateway b allows a burst of 5: the rest of a burst of 8 is refused.
    for (let i = 0; i < 8; i++) gina.send(`flood ${i}`);
    await sawText(ian, 'gina: flood 4');
    await sawText(gina, '* not sent: too many messages, slow down');
    assert.ok(!gina.texts.some((text) => text.startsWith('ian: ')), 'the over-long text was not broadcast');
    assert.ok(!ian.texts.includes('gina: flood 5'), 'the flood beyond the burst was not broadcast');
    await leave(ian, 'ian');
    await leave(gina, 'gina');
  });

  test('a gateway that loses its Redis connection catches up on what it missed', async () => {
    const jo = await join(a, 'jo');
    const kim = await join(b, 'kim');
    await sawText(jo, 'kim joined the chat');
    // On a cluster, the reader is connected to the node serving `{chat-users}`.
    let killed = 0;
    for (const node of probe instanceof Cluster ? probe.nodes('master') : [probe]) {
      const list = (await node.client('LIST')) as string;
      const reader = list.split('\n').find((line) => line.includes('name=gateway:gw-a:room'));
      if (reader) killed += Number(await node.client('KILL', 'ID', /\bid=(\d+)/.exec(reader)![1]!));
    }
    assert.ok(killed > 0, 'gw-a has a room reader connection');
    for (let i = 0; i < 5; i++) kim.send(`while away ${i}`);
    for (let i = 0; i < 5; i++) await sawText(jo, `kim: while away ${i}`);
    const delivered = jo.texts.filter((text) => text.startsWith('kim: while away'));
    assert.deepEqual(delivered, [0, 1, 2, 3, 4].map((i) => `kim: while away ${i}`), 'each once, in order');
    await leave(kim, 'kim');
    await leave(jo, 'jo');
  });

  test('kill -9 of a gateway removes its names from chat-users and tells the others they left', async () => {
    const c = await startGateway(redis.url, { GATEWAY_ID: 'gw-c', ...ALIVE });
    const lee = await join(a, 'lee');
    const mo = await join(c, 'mo');
    const ned = await join(c, 'ned');
    await sawText(lee, 'ned joined the chat');
    const killedAt = Date.now();
    await c.stop('SIGKILL');
    await waitFor(async () => (await probe.smembers('chat-users')).join() === 'lee', {
      timeoutMs: 5000,
      what: "gw-c's names to be swept",
    });
    const sweptAfterMs = Date.now() - killedAt;
    await sawText(lee, 'mo left the chat');
    await sawText(lee, 'ned left the chat');
    assert.equal(lee.texts.filter((text) => text === 'mo left the chat').length, 1, 'announced once');
    // The names are free again, on any gateway.
    const mo2 = await join(b, 'mo');
    await sawText(lee, 'mo joined the chat');
    void mo;
    void ned;
    console.log(`# kill -9 → names swept after ${sweptAfterMs} ms (liveness TTL 1500 ms)`);
    await leave(mo2, 'mo');
    await leave(lee, 'lee');
  });
});
