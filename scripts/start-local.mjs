#!/usr/bin/env node
/**
 * `npm start`: the local stack as plain processes, the same topology as docker-compose.yml
 * (one Redis, the matcher, N gateways) without Docker.
 *
 * - builds first when an app's (or a package it runs on) dist is missing or older than its src;
 * - uses the Redis at REDIS_URL, or starts a throw-away `redis-server` there (no persistence)
 *   when nothing answers and the binary is on PATH;
 * - runs MATCHERS matchers (default 2, one active and one standby; status/metrics on METRICS_PORT, METRICS_PORT+1, …) and
 *   GATEWAYS gateways on PORT, PORT+1, … with GATEWAY_ID gw-1, gw-2, …;
 * - pretty-prints their pino logs (LOG_PRETTY=0 or NODE_ENV=production keeps the JSON);
 * - Ctrl-C / SIGTERM stops the apps first (so gateways can drain against a live Redis), then
 *   the Redis it started, each by PID, and waits for all of them.
 *
 * Plain JavaScript on purpose: it must run before anything is built.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const APPS = ['gateway', 'matcher'];
const STOP_TIMEOUT_MS = 15_000;

const env = process.env;
const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
const basePort = integer('PORT', 8080);
const gatewayCount = integer('GATEWAYS', 2);
// Active + standby, as in docker-compose.yml: the standby takes the lease if the active one dies.
const matcherCount = integer('MATCHERS', 2);
const metricsPort = integer('METRICS_PORT', 9090);
const pretty = env.LOG_PRETTY !== '0' && env.LOG_PRETTY !== 'false' && env.NODE_ENV !== 'production';

/** Every process we started: name → child. Stopped in reverse start order. */
const children = new Map();
let stopping = false;
let exitCode = 0;

function say(text) {
  process.stdout.write(`start-local: ${text}\n`);
}

function integer(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`start-local: ${name} must be a non-negative integer, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

// ---------------------------------------------------------------- build if needed

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The workspaces an app runs from dist: itself and the @strangers packages it depends on. */
function runtimeWorkspaces() {
  const dirs = new Map();
  const visit = (dir, output) => {
    if (dirs.has(dir)) return;
    dirs.set(dir, output);
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (!name.startsWith('@strangers/')) continue;
      const packageDir = `packages/${name.slice('@strangers/'.length)}`;
      if (existsSync(join(root, packageDir, 'package.json'))) visit(packageDir, 'dist/index.js');
    }
  };
  for (const app of APPS) visit(`apps/${app}`, 'dist/main.js');
  return dirs;
}

function buildIfNeeded() {
  const stale = [];
  for (const [dir, output] of runtimeWorkspaces()) {
    const built = join(root, dir, output);
    const src = join(root, dir, 'src');
    if (!existsSync(src)) continue;
    if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(src)) stale.push(dir);
  }
  if (stale.length === 0) return;
  say(`building (${stale.join(', ')} out of date)…`);
  const filters = APPS.map((app) => `--filter=@strangers/${app}...`);
  const result = spawnSync('npx', ['turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    say('build failed');
    process.exit(result.status ?? 1);
  }
}

// ---------------------------------------------------------------- redis

/** Resolves true if something at host:port answers a PING (PONG or an auth error alike). */
function redisAnswers(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^[+-]/.test(data.toString())));
    socket.once('error', () => done(false));
  });
}

function onPath(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

async function ensureRedis() {
  if (/^rediss?\+cluster:\/\//.test(redisUrl)) {
    // A cluster is never started here; the services connect to it and retry until it answers.
    say(`using the Redis Cluster at ${redisUrl}`);
    return;
  }
  const url = new URL(redisUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port || 6379);
  if (await redisAnswers(host, port)) {
    say(`using the Redis at ${redisUrl}`);
    return;
  }
  const local = ['127.0.0.1', 'localhost', '::1'].includes(host);
  if (!local || !onPath('redis-server')) {
    say(`nothing answers at ${redisUrl}${local ? ' and redis-server is not on PATH' : ''}: start Redis, or set REDIS_URL`);
    process.exit(1);
  }
  const bind = host === 'localhost' ? '127.0.0.1' : host;
  // No persistence: a throw-away local Redis must not leave dump or AOF files behind.
  startChild('redis', 'redis-server', ['--port', String(port), '--bind', bind, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {});
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(host, port))) {
    if (stopping) return;
    if (Date.now() > deadline) {
      say(`redis-server did not answer on port ${port}`);
      await shutdown(1);
      return;
    }
    await delay(50);
  }
  say(`started redis-server on port ${port} (no persistence; stopped with the stack)`);
}

// ---------------------------------------------------------------- processes

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let prettify;
async function loadPrettifier() {
  if (!pretty) return;
  const { prettyFactory } = await import('pino-pretty');
  prettify = prettyFactory({
    colorize: Boolean(process.stdout.isTTY),
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
}

function startChild(name, command, args, childEnv) {
  // Own process group: a terminal's Ctrl-C reaches only us, and we stop the children in
  // order (apps before the Redis they drain into).
  const child = spawn(command, args, {
    cwd: root,
    env: { ...env, ...childEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.set(name, child);
  say(`started ${name} (pid ${child.pid})`);
  createInterface({ input: child.stdout }).on('line', (line) => {
    process.stdout.write(prettify && line.startsWith('{') ? prettify(line) : `[${name}] ${line}\n`);
  });
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
  child.once('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    say(`${name} (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`}); stopping the stack`);
    void shutdown(1);
  });
  return child;
}

function stopChild(name, child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      say(`${name} (pid ${child.pid}) still running after ${STOP_TIMEOUT_MS} ms: killing it`);
      child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  const redis = children.get('redis');
  const apps = [...children].filter(([name]) => name !== 'redis');
  await Promise.all(apps.map(([name, child]) => stopChild(name, child)));
  if (redis) await stopChild('redis', redis);
  say('stopped');
  process.exit(exitCode);
}

async function waitReady(url) {
  while (!stopping) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
}

// ---------------------------------------------------------------- main

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// Last resort if we die of an uncaught error: leave no process behind.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
});

buildIfNeeded();
await loadPrettifier();
await ensureRedis();
if (!stopping) {
  const appEnv = { REDIS_URL: redisUrl };
  const matchers = [];
  for (let index = 0; index < matcherCount; index += 1) {
    const port = metricsPort === 0 ? 0 : metricsPort + index;
    // A stable consumer name: a restarted matcher picks up the events it had not acknowledged.
    const id = `matcher-${index + 1}`;
    startChild(id, process.execPath, ['apps/matcher/dist/main.js'], { ...appEnv, METRICS_PORT: String(port), MATCHER_ID: id });
    matchers.push(port);
  }
  const gateways = [];
  for (let index = 0; index < gatewayCount; index += 1) {
    const port = basePort + index;
    const id = `gw-${index + 1}`;
    startChild(id, process.execPath, ['apps/gateway/dist/main.js'], { ...appEnv, PORT: String(port), GATEWAY_ID: id });
    gateways.push(port);
  }
  await Promise.all([
    // METRICS_PORT=0 picks a free port we cannot know: the matcher's own log line names it.
    ...matchers.filter((port) => port !== 0).map((port) => waitReady(`http://127.0.0.1:${port}/readyz`)),
    ...gateways.map((port) => waitReady(`http://127.0.0.1:${port}/readyz`)),
  ]);
  if (!stopping) {
    say(`ready: ${gateways.map((port) => `ws://localhost:${port}/ws`).join(', ')}`);
    say(`metrics: ${[...gateways.map((port) => `http://localhost:${port}/metrics`), ...matchers.map((port) => `http://localhost:${port}/metrics`)].join(' ')}`);
    say('Ctrl-C stops everything');
  }
}
