// `npm run bench` — starts every system itself, measures, and regenerates BENCHMARKS.md.
// `npm run bench -- --smoke` does the same with tiny counts into a temp dir (< 30 s).
// `npm run bench -- --only matcher` (any of relay,pairing,connections,matcher,resume) measures those
// cases; into the repo root, the other cases keep their figures from bench/results.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, startRedisServer } from '@strangers/testkit';
import { relayChart } from './chart.js';
import { connectionsCase, type ConnectionFigures } from './connections-case.js';
import { filtersCase } from './filters-case.js';
import { summarizeProfiles } from './cpu-profile.js';
import { startLoaders, type Loader } from './loader-pool.js';
import { matcherCase } from './matcher-case.js';
import { pairingCase } from './pairing-case.js';
import { fullProfile, smokeProfile } from './profile-options.js';
import { connectPairs, relayCase, relayOnce } from './relay-case.js';
import { checkTargets, renderReport } from './report.js';
import { resumeCase } from './resume-case.js';
import type { Machine, Results } from './results.js';
import { benchRoot, getFreePort, launch } from './processes.js';
import { startGatewayProcess, startSystem, type SystemName, type SystemOptions } from './systems.js';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    systems: { type: 'string' },
    /** Runs the matcher case's matcher under `--cpu-prof` and prints where its time goes. */
    'profile-matcher': { type: 'boolean', default: false },
  },
});
const profile = args.smoke ? smokeProfile : fullProfile;
const outDir = args.out ?? (args.smoke ? mkdtempSync(join(tmpdir(), 'strangers-bench-')) : repoRoot);
const only = new Set((args.only ?? 'relay,pairing,connections,matcher,resume').split(','));
const started = Date.now();
const log = (line: string) => process.stderr.write(`${line}\n`);
const systemOptions: SystemOptions = { fromSource: profile.smoke };

function machine(): Machine {
  const redis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const openFiles = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  let os = `${process.platform} ${process.arch}`;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {}
  return {
    nproc: Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) || cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    node: process.version,
    redis: redis.replace(/ sha=.*$/, '').replace('Redis server v=', 'Redis '),
    os,
    openFiles,
    loadStart: loadavg()[0]!,
  };
}

async function withLoaders<T>(count: number, work: (loaders: Loader[]) => Promise<T>): Promise<T> {
  const loaders = startLoaders(count);
  try {
    return await work(loaders);
  } finally {
    for (const loader of loaders) loader.stop();
  }
}

async function measureRelay(results: Results): Promise<void> {
  const systems = (args.systems ?? 'product,ws-redis,socketio,bare-ws').split(',') as SystemName[];
  for (const name of systems) {
    log(`relay: ${name}`);
    // A long interest fallback: each pair's sides are put together by a tag of their own.
    const system = await startSystem(name, { ...systemOptions, matcherEnv: { INTEREST_FALLBACK_MS: '600000' } });
    try {
      results.relay[name] = await withLoaders(profile.loaders, async (loaders) => {
        await connectPairs(system, loaders, profile.relay.pairs);
        return relayCase(system, loaders, profile, log);
      });
    } finally {
      await system.stop();
    }
  }
  if (systems.includes('product')) {
    log('relay: product, content filters on');
    results.filters = await filtersCase((work) => withLoaders(profile.loaders, work), systemOptions, profile, log);
  }
}

async function measurePairing(results: Results): Promise<void> {
  log('pairing');
  const system = await startSystem('product', systemOptions);
  try {
    results.pairing = await withLoaders(profile.loaders, (loaders) => pairingCase(system, loaders, profile, log));
  } finally {
    await system.stop();
  }
}

async function measureConnections(results: Results): Promise<void> {
  log('connections');
  const figures: ConnectionFigures[] = [];
  await withLoaders(profile.connections.loaders, async (loaders) => {
    figures.push(
      await connectionsCase(
        'gateway',
        async () => {
          const redis = await startRedisServer();
          const server = await startGatewayProcess(redis.url, 'gw-mem', systemOptions);
          return {
            server,
            url: `ws://127.0.0.1:${server.port}/ws`,
            product: true,
            async stop() {
              await server.stop();
              await redis.stop();
            },
          };
        },
        loaders,
        profile,
        log,
      ),
    );
    figures.push(
      await connectionsCase(
        'bare ws (yardstick)',
        async () => {
          const port = await getFreePort();
          const server = await launch({ name: 'bare ws', script: 'bench/yardsticks/bare-ws-relay.ts', env: { PORT: String(port) }, port });
          return { server, url: `ws://127.0.0.1:${port}`, product: false, stop: () => server.stop() };
        },
        loaders,
        profile,
        log,
      ),
    );
  });
  results.connections = figures;
}

async function measureMatcher(results: Results): Promise<void> {
  log('matcher alone');
  const loadStart = loadavg()[0]!;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const dir = join(benchRoot, 'profiles', 'matcher');
  if (args['profile-matcher']) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  const figures = await matcherCase(profile, { ...systemOptions, matcherNodeArgs: args['profile-matcher'] ? ['--cpu-prof', '--cpu-prof-dir', dir] : [] }, log);
  results.matcher = { command: profile.smoke ? 'npm run bench -- --smoke --only matcher' : 'npm run bench -- --only matcher', date, load: [loadStart, loadavg()[0]!], ...figures };
  if (args['profile-matcher']) {
    for (const summary of summarizeProfiles(dir, 25)) {
      log(`matcher profile ${join(dir, summary.file)}: idle ${summary.idlePercent.toFixed(0)} %; self % of busy time:`);
      for (const group of summary.groups) log(`  ${group.selfPercent.toFixed(1).padStart(5)}  ${group.frame}`);
      for (const frame of summary.frames) log(`  ${frame.selfPercent.toFixed(1).padStart(5)}  ${frame.frame}`);
    }
  }
}

async function measureResume(results: Results): Promise<void> {
  log('resume after a gateway kill -9');
  results.resume = await resumeCase(profile, systemOptions, log);
}

/**
 * `--only` into the repo root measures those cases and keeps every other case's figures,
 * and the report's header, from the last run in bench/results.json.
 */
function mergeWithLastRun(fresh: Results): Results {
  if (outDir !== repoRoot || args.only === undefined) return fresh;
  let last: Results;
  try {
    last = JSON.parse(readFileSync(join(repoRoot, 'bench/results.json'), 'utf8')) as Results;
  } catch {
    return fresh;
  }
  const merged: Results = { ...last };
  if (only.has('relay')) Object.assign(merged, { relay: fresh.relay, filters: fresh.filters, cpuProfile: fresh.cpuProfile });
  if (only.has('pairing')) merged.pairing = fresh.pairing;
  if (only.has('connections')) merged.connections = fresh.connections;
  if (only.has('matcher')) merged.matcher = fresh.matcher;
  if (only.has('resume')) merged.resume = fresh.resume;
  return merged;
}

/** Profiles both gateways while they relay 10 k msg/s (or the product's max if lower). */
async function profileGateway(results: Results): Promise<void> {
  const dir = join(benchRoot, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rate = 10_000;
  log(`profiling the gateways at ${rate}/s`);
  const system = await startSystem('product', {
    ...systemOptions,
    gatewayNodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    matcherEnv: { INTEREST_FALLBACK_MS: '600000' },
  });
  try {
    await withLoaders(profile.loaders, async (loaders) => {
      await connectPairs(system, loaders, profile.relay.pairs);
      await relayOnce(loaders, rate, profile, profile.profileSeconds * 1000);
    });
  } finally {
    await system.stop();
  }
  results.cpuProfile = { rate, summaries: summarizeProfiles(dir) };
}

async function main(): Promise<void> {
  if (!profile.smoke) {
    log('building the gateway and matcher (turbo)');
    execFileSync('npx', ['turbo', 'run', 'build', '--filter=@strangers/gateway', '--filter=@strangers/matcher', '--output-logs=errors-only'], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  const results: Results = {
    command: profile.smoke ? 'npm run bench -- --smoke' : 'npm run bench',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    durationSeconds: 0,
    machine: machine(),
    profile,
    relay: {},
    connections: [],
  };
  if (only.has('relay')) await measureRelay(results);
  if (only.has('pairing')) await measurePairing(results);
  if (only.has('connections')) await measureConnections(results);
  if (only.has('matcher')) await measureMatcher(results);
  if (only.has('resume')) await measureResume(results);
  const missed = checkTargets(results).filter((check) => !check.met);
  if (missed.length > 0 && profile.profileSeconds > 0 && only.has('relay')) await profileGateway(results);
  results.durationSeconds = (Date.now() - started) / 1000;
  results.machine.loadEnd = loadavg()[0]!;
  const written = mergeWithLastRun(results);

  const chart = 'docs/bench-relay.svg';
  mkdirSync(join(outDir, 'docs'), { recursive: true });
  writeFileSync(join(outDir, chart), relayChart(written.relay, written.profile.relay.rates, written.profile.relay.p99LimitMs));
  writeFileSync(join(outDir, 'BENCHMARKS.md'), renderReport(written, chart));
  writeFileSync(join(outDir, outDir === repoRoot ? 'bench/results.json' : 'bench-results.json'), `${JSON.stringify(written, null, 2)}\n`);
  log(`wrote ${join(outDir, 'BENCHMARKS.md')} in ${results.durationSeconds.toFixed(0)} s`);
  for (const check of checkTargets(results)) log(`${check.met ? 'met   ' : 'MISSED'} ${check.target}: ${check.measured}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
