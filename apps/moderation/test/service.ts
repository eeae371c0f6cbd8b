import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@strangers/config';
import { recordReport, type ReportInput } from '@strangers/moderation';
import { createRedisClient, waitForRedisReady, type Redis } from '@strangers/redis';
import { repoRoot, startTestRedis, type TestRedisHandle } from '@strangers/testkit';

export const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-abcdefghijkl' };

/** The moderation service as its own process (as production runs it), on a private Redis. */
export interface ModerationStack {
  redis: TestRedisHandle;
  /** A client from the product's factory, for seeding and assertions. */
  store: Redis;
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function startModerationProcess(redisUrl: string, env: Record<string, string>): Promise<{ port: number; logs: string[]; stop(): Promise<void> }> {
  const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_URL: redisUrl, MODERATION_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', IP_HASH_SALT: randomBytes(32).toString('hex'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moderation did not start: ${stderr.join('\n')}`)), 20_000);
    void exited.then(() => reject(new Error(`moderation exited: ${stderr.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (process.env.TEST_LOGS === '1') process.stderr.write(`[moderation] ${line}\n`);
      try {
        const parsed = JSON.parse(line) as { msg?: string; port?: number };
        if (parsed.msg === 'moderation listening') {
          clearTimeout(timer);
          resolve(parsed.port!);
        }
      } catch {
        // not a log line
      }
    });
  });
  return {
    port,
    logs,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      children.delete(child);
    },
  };
}

export async function startModerationStack(env: Record<string, string> = {}): Promise<ModerationStack> {
  const redis = await startTestRedis();
  const store = createRedisClient({ url: redis.url, logger: createLogger({ name: 'test', level: 'silent' }), connectionName: 'moderation-test' });
  await waitForRedisReady(store);
  const service = await startModerationProcess(redis.url, {
    MODERATOR_TOKENS: `alice:${TOKENS.alice},bob:${TOKENS.bob}`,
    PUBLIC_URL: 'https://moderation.example.org',
    ...env,
  });
  return {
    redis,
    store,
    url: `http://127.0.0.1:${service.port}`,
    logs: service.logs,
    async stop() {
      await service.stop();
      store.disconnect();
      await redis.stop();
    },
  };
}

let chats = 0;

/** Seeds a report through the package, as a gateway does. */
export async function seedReport(store: Redis, overrides: Partial<ReportInput> = {}): Promise<string> {
  chats += 1;
  const report: ReportInput = {
    chatId: `0.c${chats}`,
    reporter: { sid: `a${chats}`, ipHash: 'reporterHash0000001', gateway: 'gw-1' },
    reported: { sid: `b${chats}`, ipHash: `reportedHash${String(chats).padStart(6, '0')}`, gateway: 'gw-2' },
    category: 'harassment',
    reason: 'rude',
    at: Date.now(),
    messages: [
      { seq: 1, ts: Date.now() - 3000, from: 'reporter', text: 'hello there' },
      { seq: 2, ts: Date.now() - 2000, from: 'reported', text: 'SECRET-EVIDENCE go away <b>now</b>' },
      { seq: 3, ts: Date.now() - 1000, from: 'reporter', text: 'that was rude' },
    ],
    ...overrides,
  };
  return (await recordReport(store, report)).id;
}

/** A JSON call to the service as moderator `who` (or with the raw `authorization`, or none). */
export async function call(
  base: string,
  method: string,
  path: string,
  { body, who = 'alice', authorization }: { body?: unknown; who?: keyof typeof TOKENS | null; authorization?: string } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  else if (who) headers.authorization = `Bearer ${TOKENS[who]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
