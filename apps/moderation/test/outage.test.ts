import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testTopology, waitFor } from '@strangers/testkit';
import { call, startModerationStack, type ModerationStack } from './service.ts';

// One server only: a cluster client holds commands through a whole-cluster outage instead
// of failing them, so there the answer comes once the cluster is back.
describe('Redis outage', { skip: testTopology() === 'cluster' ? 'single-server outage only' : false, timeout: 60_000 }, () => {
  let stack: ModerationStack;
  before(async () => {
    stack = await startModerationStack();
  });
  after(async () => stack?.stop());

  test('readyz turns 503 and the API answers 503 with a JSON error; both recover', async () => {
    assert.equal((await fetch(`${stack.url}/readyz`)).status, 200);
    await stack.redis.kill();
    await waitFor(async () => (await fetch(`${stack.url}/readyz`)).status === 503, { timeoutMs: 10_000, what: 'readyz 503' });
    const answer = await call(stack.url, 'GET', '/api/reports');
    assert.equal(answer.status, 503);
    assert.equal(answer.body.error, 'unavailable');
    assert.equal((await fetch(`${stack.url}/healthz`)).status, 200);
    await stack.redis.start();
    await waitFor(async () => (await fetch(`${stack.url}/readyz`)).status === 200, { timeoutMs: 15_000, what: 'readyz 200' });
    assert.equal((await call(stack.url, 'GET', '/api/reports')).status, 200);
  });
});
