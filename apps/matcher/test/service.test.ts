import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { repoRoot, startMatcher, startRedisServer, type RedisServerHandle } from '@strangers/testkit';

/**
 * The matcher as a process, as its service runner (packages/config) runs it: one-line startup
 * errors with their exit codes, the status server on loopback, a clean SIGTERM.
 */

/** Runs the matcher until it exits; resolves with its exit code and stderr lines. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string[] }> {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'apps/matcher/src/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stderr };
}

describe('matcher service', { timeout: 60_000 }, () => {
  let redis: RedisServerHandle;
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await redis.stop();
  });

  test('a bad variable: one line naming it, exit 2', async () => {
    const { code, stderr } = await runToExit({ REDIS_URL: redis.url, LEASE_TTL_MS: '1000', LEASE_RENEW_MS: '800' });
    assert.equal(code, 2);
    assert.deepEqual(stderr, ['matcher: invalid configuration: LEASE_RENEW_MS: LEASE_RENEW_MS must be at most half of LEASE_TTL_MS']);
  });

  test('a status port already in use: one line, no stack trace, exit 1', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const { code, stderr } = await runToExit({ REDIS_URL: redis.url, METRICS_PORT: String(port) });
      assert.equal(code, 1);
      assert.deepEqual(stderr, [`matcher: cannot listen on 127.0.0.1:${port}: the port is already in use`]);
    } finally {
      holder.close();
    }
  });

  test('status on loopback by default; SIGTERM releases the lease and exits 0', async () => {
    const matcher = await startMatcher(redis.url, { MATCHER_ID: 'matcher-svc' });
    const running = await matcher.waitForLog((line) => line.msg === 'matcher running');
    assert.equal(running.host, '127.0.0.1');
    assert.equal((await fetch(`http://127.0.0.1:${matcher.port}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${matcher.port}/readyz`)).status, 200);
    assert.match(await (await fetch(`http://127.0.0.1:${matcher.port}/metrics`)).text(), /^strangers_matcher_active 1$/m);
    const admin = redis.client();
    assert.match((await admin.get('{m}:leader')) ?? '', /^matcher-svc\|/);
    assert.equal(await matcher.stop('SIGTERM'), 0, 'exit 0: the stop finished within its timeout');
    assert.equal(await admin.get('{m}:leader'), null, 'a clean stop hands the lease over at once');
    assert.deepEqual(matcher.stderr, []);
  });
});
