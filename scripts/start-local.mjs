#!/usr/bin/env node
/**
 * `npm start`: the local stack as plain processes, the same topology as docker-compose.yml
 * (one Redis, the matchers, N gateways serving the web client) without Docker.
 *
 * - builds with `turbo run build` (the apps, the packages they run on, and the web client;
 *   a fully cached build takes well under a second);
 * - uses the Redis at REDIS_URL, or starts a throw-away `redis-server` there (no persistence,
 *   the URL's password if it has one) when nothing answers and the binary is on PATH;
 * - every port comes from PORT (default 8080): GATEWAYS gateways on PORT, PORT+1, …, then
 *   MATCHERS matchers' status ports (METRICS_PORT, METRICS_PORT+1, … if set), then the
 *   moderation service (MODERATION_PORT if set) when apps/moderation exists; PORT=0 takes
 *   free ports. Two stacks with different PORTs never collide; a busy port is one line;
 * - a random IP_HASH_SALT per run (32 bytes) unless one is set;
 * - the TURN relay of video and voice calls: coturn's `turnserver` on loopback (the next port)
 *   with a random per-run TURN_SECRET when it is on PATH and TURN_URLS is not set; without
 *   it, calls connect peer to peer only and the launcher says how to get coturn;
 * - a service that crashes is restarted with backoff and the launcher says so (with PIDs);
 * - Ctrl-C / SIGTERM stops the apps first (so gateways can drain against a live Redis), then
 *   the Redis it started, each by PID, and waits for all of them.
 *
 * Plain JavaScript on purpose: it must run before anything is built.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PortPlan } from './launcher/ports.mjs';
import { localRedisPlan, onPath, redactRedisUrl, redisAnswers } from './launcher/redis.mjs';
import { Supervisor } from './launcher/supervisor.mjs';
import { randomTurnSecret, stunAnswers, writeLocalTurnConfig } from './launcher/turn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;

const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
const basePort = integer('PORT', 8080);
const gatewayCount = integer('GATEWAYS', 2);
// Active + standby, as in docker-compose.yml: the standby takes the lease if the active one dies.
const matcherCount = integer('MATCHERS', 2);
const metricsPort = optionalInteger('METRICS_PORT');
const moderationPort = optionalInteger('MODERATION_PORT');
// The moderation service, when its workspace exists (the launcher runs without it otherwise).
const moderationManifest = join(root, 'apps/moderation/package.json');
const moderationPackage = existsSync(moderationManifest) ? JSON.parse(readFileSync(moderationManifest, 'utf8')).name : undefined;
// TURN_URLS set: the user's TURN servers (and their TURN_SECRET); else a local turnserver if installed.
const turnMode = env.TURN_URLS ? 'external' : onPath('turnserver') ? 'local' : 'none';
// As the gateway reads it (envField.boolean).
const relayOnly = ['true', '1', 'yes'].includes(env.MEDIA_RELAY_ONLY ?? '');
if (turnMode === 'none' && relayOnly) {
  fail('MEDIA_RELAY_ONLY needs a TURN relay and turnserver is not on PATH: install coturn (apt-get install coturn, brew install coturn), or set TURN_URLS');
}
const pretty = env.LOG_PRETTY !== '0' && env.LOG_PRETTY !== 'false' && env.NODE_ENV !== 'production';

function say(text) {
  process.stdout.write(`start-local: ${text}\n`);
}

function fail(text) {
  process.stderr.write(`start-local: ${text}\n`);
  process.exit(1);
}

function optionalInteger(name) {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) fail(`${name} must be an integer from 0 to 65535, got "${raw}"`);
  return value;
}

/**
 * The moderators of the local stack: MODERATOR_TOKENS if set, else one moderator `local`
 * with a token generated for this run and printed, so the console can be signed in to.
 */
function moderatorTokens() {
  if (env.MODERATOR_TOKENS) return env.MODERATOR_TOKENS;
  const token = randomBytes(24).toString('hex');
  say(`moderator token for this run (moderator "local"; set MODERATOR_TOKENS to choose your own): ${token}`);
  return `local:${token}`;
}

function integer(name, fallback) {
  return optionalInteger(name) ?? fallback;
}

// ---------------------------------------------------------------- build

function build() {
  const turbo = join(root, 'node_modules/.bin/turbo');
  if (!existsSync(turbo)) fail('turbo is not installed: run `npm install` first');
  const packages = ['@strangers/gateway', '@strangers/matcher', '@strangers/web', ...(moderationPackage ? [moderationPackage] : [])];
  const filters = packages.map((name) => `--filter=${name}...`);
  say(`building (turbo run build: ${packages.join(', ')})…`);
  const result = spawnSync(turbo, ['run', 'build', ...filters, '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`the build failed (exit ${result.status ?? result.signal})`);
}

// ---------------------------------------------------------------- main

let prettify;
if (pretty) {
  const { prettyFactory } = await import('pino-pretty');
  prettify = prettyFactory({ colorize: Boolean(process.stdout.isTTY), translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
}
const supervisor = new Supervisor({ cwd: root, env, say, prettify });
let stopping = false;

async function shutdown() {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await supervisor.stopAll(['redis']);
  localTurn?.remove();
  say('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
// Last resort if we die of an uncaught error: leave no process behind.
process.on('exit', () => {
  supervisor.killAll();
  localTurn?.remove();
});

async function ensureRedis() {
  const shown = redactRedisUrl(redisUrl);
  if (/^rediss?\+cluster:\/\//.test(redisUrl)) {
    // A cluster is never started here; the services connect to it and retry until it answers.
    say(`using the Redis Cluster at ${shown}`);
    return;
  }
  const plan = localRedisPlan(redisUrl);
  if (await redisAnswers(plan.host, plan.port)) {
    say(`using the Redis at ${shown}`);
    return;
  }
  if (!plan.local || !onPath('redis-server')) {
    fail(`nothing answers at ${shown}${plan.local ? ' and redis-server is not on PATH' : ''}: start Redis, or set REDIS_URL`);
  }
  supervisor.start({ name: 'redis', command: 'redis-server', args: ['-'], input: plan.input, port: plan.port });
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(plan.host, plan.port))) {
    if (stopping) return;
    if (Date.now() > deadline) {
      say(`redis-server did not answer on port ${plan.port}`);
      return shutdown();
    }
    await delay(50);
  }
  say(`started redis-server on port ${plan.port} at ${shown} (no persistence; stopped with the stack)`);
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once url answers 200 (or the stack is stopping). */
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

/** The local turnserver's config (its temporary folder is removed when the stack stops). */
let localTurn;

/**
 * The TURN settings the gateways get: the user's, a local turnserver's (started here, on
 * `port`), or none (calls then connect peer to peer only, which works on one machine).
 */
async function ensureTurn(port) {
  if (turnMode === 'external') {
    say('TURN: the servers in TURN_URLS (with the TURN_SECRET set in the environment)');
    return {};
  }
  if (turnMode === 'none') {
    say('TURN: turnserver is not on PATH, so video and voice calls connect peer to peer only; for a local relay install coturn (apt-get install coturn, brew install coturn)');
    return {};
  }
  const secret = env.TURN_SECRET || randomTurnSecret();
  localTurn = writeLocalTurnConfig({ port, secret });
  supervisor.start({ name: 'turn', command: 'turnserver', args: ['-c', localTurn.configFile], port });
  if (!(await stunAnswers('127.0.0.1', port)) && !stopping) {
    say(`turnserver did not answer on port ${port} (its log: ${localTurn.logFile})`);
    await shutdown();
    return {};
  }
  say(`started turnserver on 127.0.0.1:${port} for video and voice calls (${env.TURN_SECRET ? 'the TURN_SECRET set in the environment' : 'a random TURN_SECRET for this run'}; log: ${localTurn.logFile})`);
  return { TURN_SECRET: secret, TURN_URLS: localTurn.turnUrls };
}

/** The stack's services: names (which are also their ids in Redis, unique per machine), ports and commands. */
async function planServices() {
  const ports = new PortPlan(basePort);
  const services = [];
  for (let index = 0; index < gatewayCount; index += 1) {
    const port = await ports.take(`gateway ${index + 1}`);
    services.push({ name: `gw-${port}`, port, main: 'apps/gateway/dist/main.js', env: { PORT: String(port), GATEWAY_ID: `gw-${port}` } });
  }
  for (let index = 0; index < matcherCount; index += 1) {
    const port = await ports.take(`matcher ${index + 1}`, metricsPort === undefined ? undefined : metricsPort + index);
    // A stable consumer name: a restarted matcher picks up the events it had not acknowledged.
    services.push({ name: `matcher-${port}`, port, main: 'apps/matcher/dist/main.js', env: { METRICS_PORT: String(port), MATCHER_ID: `matcher-${port}` } });
  }
  if (moderationPackage) {
    const port = await ports.take('moderation', moderationPort);
    const env = { MODERATION_PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, MODERATOR_TOKENS: moderatorTokens() };
    services.push({ name: `moderation-${port}`, port, main: 'apps/moderation/dist/main.js', env });
  }
  const turnPort = turnMode === 'local' ? await ports.take('turn') : undefined;
  const busy = await ports.busy();
  if (busy.length > 0) fail(`port ${busy.join(', ')} already in use: choose another base, e.g. PORT=9000 npm start`);
  return { services, turnPort };
}

build();
const { services, turnPort } = await planServices();
await ensureRedis();
const turnEnv = stopping ? {} : await ensureTurn(turnPort);
if (!stopping) {
  const salt = env.IP_HASH_SALT || randomBytes(32).toString('hex');
  say(env.IP_HASH_SALT ? 'IP_HASH_SALT: the one set in the environment' : 'IP_HASH_SALT: a random one for this run (set IP_HASH_SALT to keep one)');
  const shared = { REDIS_URL: redisUrl, IP_HASH_SALT: salt };
  for (const service of services) {
    const readyUrl = `http://127.0.0.1:${service.port}/readyz`;
    supervisor.start({
      name: service.name,
      command: process.execPath,
      args: [service.main],
      env: { ...shared, ...(service.name.startsWith('gw-') ? turnEnv : {}), ...service.env },
      port: service.port,
      onRestart: (name) => void waitReady(readyUrl).then(() => !stopping && say(`${name} is ready again`)),
    });
  }
  await Promise.all(services.map((service) => waitReady(`http://127.0.0.1:${service.port}/readyz`)));
  if (!stopping) {
    const gateways = services.filter((service) => service.name.startsWith('gw-'));
    say(`ports: ${services.map((service) => `${service.name} ${service.port}`).join(', ')}`);
    say(`web client: ${gateways.map((service) => `http://localhost:${service.port}/`).join(' ')}`);
    const moderation = services.find((service) => service.name.startsWith('moderation-'));
    if (moderation) say(`moderation console: http://localhost:${moderation.port}/`);
    say(`metrics: ${services.map((service) => `http://localhost:${service.port}/metrics`).join(' ')}`);
    say(`ready: ${gateways.map((service) => `ws://localhost:${service.port}/ws`).join(', ')}`);
    say('a service that exits is restarted; Ctrl-C stops everything');
  }
}
