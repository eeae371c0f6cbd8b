/**
 * `npm start` (scripts/start-local.mjs) as a newcomer runs it: it builds what is missing (the
 * web client included), serves `/` on every gateway, keeps a crashed gateway running, lets a
 * second stack run beside it, and stops everything it started on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getFreePort, TestClient, TurnClient, turnserverInstalled } from '@strangers/testkit';

const root = fileURLToPath(new URL('../../', import.meta.url));
const launcherPath = fileURLToPath(new URL('../start-local.mjs', import.meta.url));
const STARTUP_MS = 120_000;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports: the launcher derives every port of a stack from PORT. */
async function freePortRun(count: number): Promise<number> {
  for (;;) {
    const port = await getFreePort();
    if (port + count > 65535) continue;
    let free = true;
    for (let offset = 1; offset < count && free; offset += 1) free = await portIsFree(port + offset);
    if (free) return port;
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

/** One environment variable of a running process, from /proc. */
function processEnv(pid: number, name: string): string | undefined {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return entries.find((entry) => entry.startsWith(`${name}=`))?.slice(name.length + 1);
}

function gitStatus(): string {
  return spawnSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).stdout;
}

interface Stack {
  launcher: ChildProcess;
  lines: string[];
  /** Name → PID of the latest process the launcher reported starting for it. */
  pids: Map<string, number>;
  waitLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

const stacks: Stack[] = [];
/** Every PID any launcher reported: ended here if a test failed before its launcher stopped them. */
const everyPid = new Set<number>();
after(() => {
  for (const { launcher } of stacks) if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
  for (const pid of everyPid) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
});

function startStack(extraEnv: Record<string, string>): Stack {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', LOG_PRETTY: '0', ...extraEnv };
  // As on a developer's machine: nothing preset but what the test names.
  for (const name of ['METRICS_PORT', 'MODERATION_PORT', 'MODERATOR_TOKENS', 'IP_HASH_SALT', 'GATEWAYS', 'MATCHERS']) if (!(name in extraEnv)) delete env[name];
  const launcher = spawn(process.execPath, [launcherPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const pids = new Map<string, number>();
  const waiters = new Set<() => void>();
  const onLine = (line: string) => {
    lines.push(line);
    if (process.env.TEST_LOGS === '1') process.stderr.write(`${line}\n`);
    const started = /^start-local: started (\S+) \(pid (\d+)\)/.exec(line);
    if (started) {
      pids.set(started[1]!, Number(started[2]));
      everyPid.add(Number(started[2]));
    }
    for (const wake of waiters) wake();
  };
  createInterface({ input: launcher.stdout! }).on('line', onLine);
  createInterface({ input: launcher.stderr! }).on('line', onLine);
  const stack: Stack = {
    launcher,
    lines,
    pids,
    waitLine: (pattern, timeoutMs = STARTUP_MS) =>
      new Promise((resolve, reject) => {
        let from = 0;
        const check = () => {
          for (; from < lines.length; from += 1) {
            const match = pattern.exec(lines[from]!);
            if (match) return done(() => resolve(match));
          }
          if (launcher.exitCode !== null) done(() => reject(new Error(`launcher exited (${launcher.exitCode}) before ${pattern}:\n${lines.join('\n')}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${pattern}:\n${lines.join('\n')}`))), timeoutMs);
        const onExit = () => check();
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          launcher.off('exit', onExit);
          settle();
        };
        waiters.add(check);
        launcher.on('exit', onExit);
        check();
      }),
  };
  stacks.push(stack);
  return stack;
}

async function stopStack(stack: Stack): Promise<void> {
  const exited = once(stack.launcher, 'exit');
  stack.launcher.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0);
  for (const [name, pid] of stack.pids) assert.equal(isRunning(pid), false, `${name} (pid ${pid}) is gone`);
  assert.ok(stack.lines.includes('start-local: stopped'));
}

async function servesWebClient(port: number): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(response.status, 200, `GET / on ${port}`);
  assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await response.text(), /<script[^>]+src=/i, 'the built page, with its script');
}

/** The launcher's turnserver (when coturn is installed) takes the port after every other service's. */
async function checkLocalTurn(stack: Stack, gateways: number[], turnPort: number): Promise<string> {
  // `turnserver -c <file>`: the launcher's private config.
  const configFile = processArgs(stack.pids.get('turn')!).at(-1)!;
  assert.ok(configFile, 'turnserver runs with a config file');
  assert.equal(statSync(configFile).mode & 0o077, 0, 'its config (with the secret) is private');
  const secrets = gateways.map((gateway) => processEnv(stack.pids.get(`gw-${gateway}`)!, 'TURN_SECRET'));
  assert.match(secrets[0] ?? '', /^[A-Za-z0-9_-]{43}$/, 'a random 32-byte secret');
  assert.equal(secrets[1], secrets[0], 'the same on every gateway');
  for (const gateway of gateways) {
    assert.equal(processEnv(stack.pids.get(`gw-${gateway}`)!, 'TURN_URLS'), `turn:127.0.0.1:${turnPort}?transport=udp`);
  }
  assert.ok(!stack.lines.join('\n').includes(secrets[0]!), 'the secret is never printed');
  // Two browsers' sessions, one per gateway, paired for video: the credential `paired.ice`
  // hands each is accepted by the launcher's relay, and a wrong password is refused.
  const [a, b] = await Promise.all(gateways.map((gateway) => TestClient.connect(`ws://127.0.0.1:${gateway}/ws`)));
  for (const client of [a!, b!]) {
    await client.next('welcome');
    client.send({ type: 'join', media: 'video' });
    await client.next('waiting');
  }
  const paired = await a!.next('paired');
  await b!.next('paired');
  a!.close();
  b!.close();
  const turn = (paired.ice as { urls: string[]; username?: string; credential?: string }[]).find((server) => server.username !== undefined);
  assert.deepEqual(turn?.urls, [`turn:127.0.0.1:${turnPort}?transport=udp`]);
  const { username, credential } = turn as { username: string; credential: string };
  const [wrong, right] = [await TurnClient.connect({ host: '127.0.0.1', port: turnPort }), await TurnClient.connect({ host: '127.0.0.1', port: turnPort })];
  try {
    assert.equal((await wrong.allocate(username, 'wrong-password')).ok, false);
    assert.equal((await right.allocate(username, credential)).ok, true);
  } finally {
    wrong.close();
    right.close();
  }
  return dirname(configFile);
}

/** A running process's command line, from /proc. */
function processArgs(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
}

test('from a fresh build: / on every gateway; a gateway killed with -9 is restarted and serves again; SIGTERM stops all', { timeout: 300_000 }, async () => {
  const statusBefore = gitStatus();
  // As in a fresh clone: the web client was never built (turbo rebuilds or restores it).
  rmSync(fileURLToPath(new URL('../../apps/web/dist', import.meta.url)), { recursive: true, force: true });
  // Two gateways, two matchers, and the moderation service where its workspace exists.
  const port = await freePortRun(6);
  const redisPort = await getFreePort();
  const password = `pw-${Date.now()}`;
  const stack = startStack({ PORT: String(port), REDIS_URL: `redis://:${password}@127.0.0.1:${redisPort}` });
  await stack.waitLine(/^start-local: ready:/);

  // Every port from PORT: gateways first, then the matchers' status ports.
  const [gw1, gw2, m1, m2] = [port, port + 1, port + 2, port + 3];
  const moderation = existsSync(fileURLToPath(new URL('../../apps/moderation/package.json', import.meta.url))) ? [`moderation-${port + 4}`] : [];
  // Then the TURN relay, where coturn is installed (.ci/run installs it).
  const turn = turnserverInstalled() ? ['turn'] : [];
  assert.deepEqual([...stack.pids.keys()].sort(), [`gw-${gw1}`, `gw-${gw2}`, `matcher-${m1}`, `matcher-${m2}`, ...moderation, ...turn, 'redis'].sort());
  const turnDir = turn.length > 0 ? await checkLocalTurn(stack, [gw1, gw2], port + 4 + moderation.length) : undefined;
  if (turn.length === 0) assert.ok(stack.lines.some((line) => /turnserver is not on PATH.*install coturn/.test(line)), 'it says how to get coturn');
  assert.ok(stack.lines.some((line) => line.startsWith('start-local: ports:') && line.includes(`matcher-${m1} ${m1}`)), 'it prints the ports');
  for (const gateway of [gw1, gw2]) {
    await servesWebClient(gateway);
    assert.equal((await fetch(`http://127.0.0.1:${gateway}/readyz`)).status, 200);
  }
  for (const matcher of [m1, m2]) assert.equal((await fetch(`http://127.0.0.1:${matcher}/healthz`)).status, 200);
  if (moderation.length > 0) {
    // No MODERATOR_TOKENS set: a token generated for this run, printed, and the console's API takes it.
    const printed = stack.lines.map((line) => /^start-local: moderator token for this run .*: ([0-9a-f]{48})$/.exec(line)?.[1]).find(Boolean);
    assert.ok(printed, 'a moderator token is printed');
    const me = await fetch(`http://127.0.0.1:${port + 4}/api/me`, { headers: { authorization: `Bearer ${printed}` } });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { moderator: 'local' });
    assert.ok(stack.lines.includes(`start-local: moderation console: http://localhost:${port + 4}/`));
  }

  // REDIS_URL printed without its password; the local Redis requires it.
  assert.ok(!stack.lines.join('\n').includes(password), 'the password is never printed');
  assert.ok(stack.lines.some((line) => line.includes(`redis://:***@127.0.0.1:${redisPort}`)));
  // One random salt per run, 32 bytes, the same on every gateway.
  const salts = [gw1, gw2].map((gateway) => processEnv(stack.pids.get(`gw-${gateway}`)!, 'IP_HASH_SALT'));
  assert.match(salts[0] ?? '', /^[0-9a-f]{64}$/);
  assert.equal(salts[1], salts[0]);

  // kill -9 one gateway: the launcher restarts it (and says so); the rest keeps running.
  const killed = stack.pids.get(`gw-${gw1}`)!;
  process.kill(killed, 'SIGKILL');
  await stack.waitLine(new RegExp(`^start-local: gw-${gw1} \\(pid ${killed}\\) exited \\(SIGKILL\\).*restarting`));
  // The first match that is not the killed process's own start line.
  const [, restarted] = await stack.waitLine(new RegExp(`^start-local: started gw-${gw1} \\(pid (?!${killed}\\))(\\d+)\\)`));
  await stack.waitLine(new RegExp(`^start-local: gw-${gw1} is ready again`));
  assert.notEqual(Number(restarted), killed);
  assert.equal(stack.launcher.exitCode, null, 'the stack was not stopped');
  for (const [name, pid] of stack.pids) assert.ok(isRunning(pid), `${name} (pid ${pid}) runs`);
  await servesWebClient(gw1);

  await stopStack(stack);
  if (turnDir) assert.equal(existsSync(turnDir), false, "the turnserver's config folder is removed");
  assert.equal(gitStatus(), statusBefore, 'the build and the run leave git status as it was');
});

test('two stacks side by side (different PORT) run at once, each with its own salt', { timeout: 300_000 }, async () => {
  const first = startStack({ PORT: String(await freePortRun(2)), GATEWAYS: '1', MATCHERS: '1', REDIS_URL: `redis://127.0.0.1:${await getFreePort()}` });
  await first.waitLine(/^start-local: ready:/);
  const second = startStack({ PORT: String(await freePortRun(2)), GATEWAYS: '1', MATCHERS: '1', REDIS_URL: `redis://127.0.0.1:${await getFreePort()}` });
  await second.waitLine(/^start-local: ready:/);
  const salt = (stack: Stack) => processEnv([...stack.pids].find(([name]) => name.startsWith('gw-'))![1], 'IP_HASH_SALT');
  assert.notEqual(salt(first), salt(second));
  for (const stack of [first, second]) for (const [name, pid] of stack.pids) assert.ok(isRunning(pid), `${name} runs`);
  await Promise.all([stopStack(first), stopStack(second)]);
});

test('a port already in use stops the launcher with one line naming it, before anything starts', { timeout: 120_000 }, async () => {
  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const busyPort = (blocker.address() as { port: number }).port;
  try {
    const stack = startStack({ PORT: String(busyPort), GATEWAYS: '1', MATCHERS: '1', REDIS_URL: `redis://127.0.0.1:${await getFreePort()}` });
    const [code] = (await once(stack.launcher, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.ok(stack.lines.some((line) => line.startsWith('start-local: port ') && line.includes(String(busyPort)) && line.includes('in use')), stack.lines.join('\n'));
    assert.equal(stack.pids.size, 0, 'nothing was started');
    assert.ok(!stack.lines.some((line) => /^\s+at /.test(line)), 'no stack trace');
  } finally {
    blocker.close();
  }
});

