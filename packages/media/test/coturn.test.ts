import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { iceServersFor, turnCredential, turnPassword, type TurnConfig } from '../src/index.js';
import { startTurnServer, TurnClient, turnserverInstalled, waitFor, type TurnServerHandle } from '@strangers/testkit';

// The credentials of turn-credentials.ts checked by coturn's own `use-auth-secret` rule, on
// a real turnserver started on loopback. .ci/run installs coturn; without it this file skips.
const skip = turnserverInstalled() ? false : 'turnserver (coturn) is not installed: apt-get install -y coturn';
const deployConfig = fileURLToPath(new URL('../../../deploy/coturn/turnserver.conf', import.meta.url));

function turnConfig(server: TurnServerHandle, ttlSeconds = 3600): TurnConfig {
  return {
    secret: server.secret,
    turnUrls: [`turn:${server.host}:${server.port}?transport=udp`],
    stunUrls: [],
    ttlSeconds,
    relayOnly: true,
  };
}

describe('coturn accepts the TURN REST credentials (test config, loopback peers allowed)', { skip }, () => {
  let server: TurnServerHandle;
  const clients: TurnClient[] = [];
  const connect = async () => {
    const client = await TurnClient.connect(server);
    clients.push(client);
    return client;
  };
  before(async () => {
    server = await startTurnServer({ allowLoopbackPeers: true });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server?.stop();
  });

  test('the ice entry from iceServersFor allocates a relay, and media flows through it', async () => {
    const [turn] = iceServersFor(turnConfig(server), 'session-a');
    assert.ok(turn?.username && turn.credential);
    const client = await connect();
    const answer = await client.allocate(turn.username, turn.credential);
    assert.equal(answer.ok, true, `allocate failed: ${answer.ok ? '' : `${answer.code} ${answer.reason}`}\n${server.output()}`);
    const relayed = TurnClient.relayedAddress(answer);
    assert.equal(relayed.address, '127.0.0.1');

    // A peer on loopback: allowed only by this test's config (the deploy config denies it).
    const peer = createSocket('udp4');
    peer.bind(0, '127.0.0.1');
    await once(peer, 'listening');
    const peerAddress = { address: '127.0.0.1', port: peer.address().port };
    try {
      assert.equal((await client.createPermission(peerAddress)).ok, true);
      const arrived = once(peer, 'message') as Promise<[Buffer, { address: string; port: number }]>;
      client.send(peerAddress, Buffer.from('media out'));
      const [packet, from] = await arrived;
      assert.equal(packet.toString(), 'media out');
      // The peer sees the relay, never the client's own address.
      assert.deepEqual({ address: from.address, port: from.port }, { address: relayed.address, port: relayed.port });

      const back = client.nextData();
      peer.send(Buffer.from('media back'), relayed.port, relayed.address);
      const { data, from: sender } = await back;
      assert.equal(data.toString(), 'media back');
      assert.equal(sender.port, peerAddress.port);
    } finally {
      peer.close();
    }
  });

  test('a wrong password is refused with 401', async () => {
    const { username } = turnCredential(server.secret, 'session-b', Date.now(), 3600);
    const answer = await (await connect()).allocate(username, turnPassword('not-the-secret-at-all', username));
    assert.equal(answer.ok, false);
    assert.equal(answer.ok ? 0 : answer.code, 401);
  });

  test('an expired username is refused with 401, though its password is right for it', async () => {
    const expired = turnCredential(server.secret, 'session-c', Date.now() - 120_000, 60);
    assert.ok(expired.expiresAt < Date.now() / 1000);
    const answer = await (await connect()).allocate(expired.username, expired.credential);
    assert.equal(answer.ok, false);
    assert.equal(answer.ok ? 0 : answer.code, 401);
  });

  test('a username whose expiry was edited is refused (the password signs the whole username)', async () => {
    const real = turnCredential(server.secret, 'session-d', Date.now() - 120_000, 60);
    const extended = `${real.expiresAt + 86_400}:session-d`;
    const answer = await (await connect()).allocate(extended, real.credential);
    assert.equal(answer.ok, false);
    assert.equal(answer.ok ? 0 : answer.code, 401);
  });
});

describe('a call outlives its credential (coturn 4.6 keeps an allocation made in time)', { skip }, () => {
  test('after the expiry the credential allocates nothing new, but the allocation made with it still refreshes', async () => {
    const server = await startTurnServer({ allowLoopbackPeers: true });
    const [client, late] = [await TurnClient.connect(server), await TurnClient.connect(server)];
    try {
      const credential = turnCredential(server.secret, 'session-f', Date.now(), 1);
      assert.equal((await client.allocate(credential.username, credential.credential)).ok, true);
      // Wait for the clock to pass the expiry (the condition itself, not a guess): coturn refuses
      // once its clock, in whole seconds and ticking about once a second, is past `expiresAt`.
      await waitFor(() => Date.now() / 1000 > credential.expiresAt + 2, { timeoutMs: 6000, what: 'the expiry' });
      const fresh = await late.allocate(credential.username, credential.credential);
      assert.equal(fresh.ok ? 0 : fresh.code, 401, 'the expired credential still allocated');
      const refreshed = await client.refresh(600);
      assert.equal(refreshed.ok, true, refreshed.ok ? '' : `${refreshed.code} ${refreshed.reason}`);
      assert.equal((await client.createPermission({ address: '127.0.0.1', port: 9 })).ok, true);
    } finally {
      client.close();
      late.close();
      await server.stop();
    }
  });
});

describe('deploy/coturn/turnserver.conf (ports and secret overridden for loopback)', { skip }, () => {
  let server: TurnServerHandle;
  let client: TurnClient;
  before(async () => {
    server = await startTurnServer({ baseConfig: deployConfig });
    client = await TurnClient.connect(server);
    const [turn] = iceServersFor(turnConfig(server), 'session-e');
    const answer = await client.allocate(turn!.username!, turn!.credential!);
    assert.equal(answer.ok, true, `allocate failed with the deploy config\n${server.output()}`);
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.5.5', '192.168.1.10', '169.254.169.254', '100.64.0.1']) {
    test(`refuses to relay to the private address ${address} (403)`, async () => {
      const answer = await client.createPermission({ address, port: 9 });
      assert.equal(answer.ok, false, `coturn allowed a permission for ${address}`);
      assert.equal(answer.ok ? 0 : answer.code, 403);
    });
  }

  test('relays to a public address', async () => {
    // Only a permission: nothing is sent anywhere.
    const answer = await client.createPermission({ address: '8.8.8.8', port: 9 });
    assert.equal(answer.ok, true, answer.ok ? '' : `${answer.code} ${answer.reason}`);
  });
});
