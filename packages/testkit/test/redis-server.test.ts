import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRedisServer, waitFor } from '../src/index.js';

test('a private redis-server can be killed and started again on the same port', async () => {
  const server = await startRedisServer();
  try {
    const client = server.client();
    await client.set('k', 'v');
    await server.kill();
    await server.start();
    await waitFor(async () => (await client.ping().catch(() => '')) === 'PONG', { what: 'reconnect' });
    assert.equal(await client.get('k'), null, 'no persistence by default');
  } finally {
    await server.stop();
  }
});
