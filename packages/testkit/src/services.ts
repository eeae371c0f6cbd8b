import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The monorepo root, found from this file's place in `packages/testkit/src`. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceHandle {
  name: string;
  pid: number;
  /** Port the service reported in its "listening" log line (0 if it has none). */
  port: number;
  /** Every JSON log line seen so far, parsed. */
  logs: Record<string, unknown>[];
  /** Every stderr line seen so far (crashes, unhandled rejections). */
  stderr: string[];
  /** Resolves with the first log line for which `match` is true. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal; resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Every service this process started: a test that crashes must not leave them running. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface StartServiceOptions {
  /** Workspace app to run: `gateway`, `matcher` or `moderation`. */
  app: 'gateway' | 'matcher' | 'moderation';
  env: Record<string, string>;
  /** Log message that means "ready"; its `port` field becomes `handle.port`. */
  readyMessage: string;
  timeoutMs?: number;
}

/**
 * Runs an app from source as its own process (as production would, so tests can kill -9
 * it), and waits until it logs that it is ready. Set TEST_LOGS=1 to see its output.
 */
export async function startService(options: StartServiceOptions): Promise<ServiceHandle> {
  const entry = fileURLToPath(new URL(`apps/${options.app}/src/main.ts`, `file://${repoRoot}`));
  const child: ChildProcess = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const logs: Record<string, unknown>[] = [];
  const watchers = new Set<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }>();
  const echo = process.env.TEST_LOGS === '1';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  createInterface({ input: child.stdout! }).on('line', (text) => {
    if (echo) process.stderr.write(`[${options.app}] ${text}\n`);
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(line);
    for (const watcher of watchers) {
      if (watcher.match(line)) {
        watchers.delete(watcher);
        watcher.resolve(line);
      }
    }
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (text) => {
    stderr.push(text);
    if (echo) process.stderr.write(`[${options.app}!] ${text}\n`);
  });

  function waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const watcher = {
        match,
        resolve: (line: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(new Error(`${options.app} (pid ${child.pid}): no matching log line within ${timeoutMs} ms`));
      }, timeoutMs);
      watchers.add(watcher);
      void exited.then((code) => {
        if (!watchers.has(watcher)) return;
        watchers.delete(watcher);
        clearTimeout(timer);
        reject(new Error(`${options.app} exited with ${code}: ${stderr.slice(-20).join('\n')}`));
      });
    });
  }

  const ready = await waitForLog((line) => line.msg === options.readyMessage, options.timeoutMs ?? 20_000);
  return {
    name: options.app,
    pid: child.pid!,
    port: typeof ready.port === 'number' ? ready.port : 0,
    logs,
    stderr,
    waitForLog,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** One secret per test process, shared by its gateways (as a deployment's are): report counts add up. */
const testIpHashSalt = randomBytes(32).toString('hex');

export function startGateway(redisUrl: string, env: Record<string, string> = {}): Promise<ServiceHandle> {
  return startService({
    app: 'gateway',
    env: { REDIS_URL: redisUrl, PORT: '0', HOST: '127.0.0.1', IP_HASH_SALT: testIpHashSalt, ...env },
    readyMessage: 'gateway listening',
  });
}

export function startMatcher(redisUrl: string, env: Record<string, string> = {}): Promise<ServiceHandle> {
  return startService({
    app: 'matcher',
    env: { REDIS_URL: redisUrl, METRICS_PORT: '0', ...env },
    readyMessage: 'matcher running',
  });
}

/** The moderation service (apps/moderation): API, console, appeal form; `env` adds MODERATOR_TOKENS etc. */
export function startModeration(redisUrl: string, env: Record<string, string> = {}): Promise<ServiceHandle> {
  return startService({
    app: 'moderation',
    env: { REDIS_URL: redisUrl, MODERATION_PORT: '0', HOST: '127.0.0.1', IP_HASH_SALT: testIpHashSalt, ...env },
    readyMessage: 'moderation listening',
  });
}
