import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/service.ts', import.meta.url));

interface Run {
  pid: number;
  stdout: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first JSON log line whose msg is `msg`. */
  logged(msg: string): Promise<Record<string, unknown>>;
}

/** The fixture service as its own process, as production runs a service. */
function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', fixture], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiting: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    stdout.push(line);
    for (const waiter of waiting.filter((w) => w.msg === line.msg)) waiter.resolve(line);
  });
  createInterface({ input: child.stderr }).on('line', (text) => stderr.push(text));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const logged = (msg: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = stdout.find((line) => line.msg === msg);
      if (seen) return resolve(seen);
      waiting.push({ msg, resolve });
      void exited.then((code) => reject(new Error(`exited (${code}) before logging "${msg}": ${stderr.join('\n')}`)));
    });
  return { pid: child.pid!, stdout, stderr, exited, logged };
}

describe('runService', { timeout: 60_000 }, () => {
  test('SIGTERM stops the service cleanly: exit 0, stopping then stopped logged', async () => {
    const service = run({});
    const { port } = await service.logged('fixture running');
    assert.equal((await fetch(`http://127.0.0.1:${String(port)}/healthz`)).status, 200);
    process.kill(service.pid, 'SIGTERM');
    assert.equal(await service.exited, 0);
    // Lines of one process can reach the pipe out of order (pino retries a full pipe later): compare as a set.
    const messages = service.stdout.map((line) => line.msg);
    assert.ok(messages.includes('stopping') && messages.includes('fixture stopped'), messages.join(', '));
    assert.equal(service.stdout.find((line) => line.msg === 'stopping')?.signal, 'SIGTERM');
  });

  test('SIGINT does the same', async () => {
    const service = run({});
    await service.logged('fixture running');
    process.kill(service.pid, 'SIGINT');
    assert.equal(await service.exited, 0);
  });

  test('a stop that never ends is cut by the stop timeout: exit 1', async () => {
    const service = run({ FIXTURE_STOP: 'hang' });
    await service.logged('fixture running');
    const signalledAt = Date.now();
    process.kill(service.pid, 'SIGTERM');
    assert.equal(await service.exited, 1);
    assert.ok(Date.now() - signalledAt >= 500, 'waited for the timeout');
    const unclean = service.stdout.find((line) => line.msg === 'unclean stop');
    assert.match(String((unclean?.err as { message?: string })?.message), /stop took longer than 500 ms/);
  });

  test('a failed stop exits 1', async () => {
    const service = run({ FIXTURE_STOP: 'fail' });
    await service.logged('fixture running');
    process.kill(service.pid, 'SIGTERM');
    assert.equal(await service.exited, 1);
    assert.ok(service.stdout.some((line) => line.msg === 'unclean stop'));
    assert.ok(!service.stdout.some((line) => line.msg === 'fixture stopped'));
  });

  test('a bad environment prints one line naming the variables, exit 2', async () => {
    const service = run({ FIXTURE_PORT: 'eighty', FIXTURE_STOP: 'sometimes' });
    assert.equal(await service.exited, 2);
    assert.equal(service.stderr.length, 1, service.stderr.join('\n'));
    assert.match(service.stderr[0]!, /^fixture: invalid configuration: FIXTURE_PORT: .+; FIXTURE_STOP: .+$/);
  });

  test('a busy port prints one line, no stack trace, exit 1', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const service = run({ FIXTURE_PORT: String(port) });
      assert.equal(await service.exited, 1);
      assert.deepEqual(service.stderr, [`fixture: cannot listen on 127.0.0.1:${port}: the port is already in use`]);
    } finally {
      holder.close();
    }
  });

  test('any other startup failure: one line on stderr, the error logged, exit 1', async () => {
    const service = run({ FIXTURE_START: 'throw' });
    assert.equal(await service.exited, 1);
    assert.deepEqual(service.stderr, ['fixture: failed to start: the start failed on purpose']);
    assert.ok(service.stdout.some((line) => line.msg === 'failed to start'));
  });
});
