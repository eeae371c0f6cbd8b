import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getFreePort } from '@strangers/testkit';

const launcherPath = fileURLToPath(new URL('../start-local.mjs', import.meta.url));

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Two consecutive free ports: the launcher puts gateway i on PORT + i. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await getFreePort();
    if (port < 65535 && (await portIsFree(port + 1))) return port;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let launcher: ChildProcess | undefined;
/** Name → pid of every child the launcher reported starting. */
const pids = new Map<string, number>();
after(() => {
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
  // The launcher runs its children in their own process group: if the test failed before
  // the launcher stopped them, they would outlive it. End each one we saw start.
  for (const pid of pids.values()) {
    if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('npm start runs redis, two matchers and two gateways, and SIGTERM stops every one of them', { timeout: 180_000 }, async () => {
  const redisPort = await getFreePort();
  // Two consecutive free ports each: gateway i listens on PORT + i, matcher i on METRICS_PORT + i.
  const metricsPort = await freePortPair();
  let port = await freePortPair();
  while (Math.abs(port - metricsPort) < 2) port = await freePortPair();
  launcher = spawn(process.execPath, [launcherPath], {
    env: {
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      PORT: String(port),
      GATEWAYS: '2',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      LOG_PRETTY: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: launcher!.stdout! }).on('line', (line) => {
      lines.push(line);
      if (process.env.TEST_LOGS === '1') process.stderr.write(`${line}\n`);
      const started = /^start-local: started (\S+) \(pid (\d+)\)/.exec(line);
      if (started) pids.set(started[1]!, Number(started[2]));
      if (line.startsWith('start-local: ready:')) resolve();
    });
    launcher!.once('exit', (code) => reject(new Error(`launcher exited with ${code} before ready:\n${lines.join('\n')}`)));
  });
  createInterface({ input: launcher.stderr! }).on('line', (line) => lines.push(line));
  await ready;

  assert.ok(lines.some((line) => line.startsWith(`start-local: started redis-server on port ${redisPort}`)), 'it says it started redis-server');
  assert.deepEqual([...pids.keys()].sort(), ['gw-1', 'gw-2', 'matcher-1', 'matcher-2', 'redis']);
  for (const gatewayPort of [port, port + 1]) {
    assert.equal((await fetch(`http://127.0.0.1:${gatewayPort}/readyz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${gatewayPort}/healthz`)).status, 200);
  }
  assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 200);
  for (const pid of pids.values()) assert.ok(isRunning(pid));

  const exited = once(launcher, 'exit');
  launcher.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0);
  for (const [name, pid] of pids) assert.equal(isRunning(pid), false, `${name} (pid ${pid}) is gone`);
  assert.ok(lines.includes('start-local: stopped'));
});
