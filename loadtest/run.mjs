// `npm run loadtest` (repo root): installs artillery here if missing, starts a local stack
// (its own redis-server, the matcher, two gateways) unless TARGET is set, runs the
// scenarios and prints artillery's report.
//   npm run loadtest                       local stack, default phases (~30 s)
//   npm run loadtest -- --smoke            tiny counts (a few seconds)
//   TARGET=ws://host:port npm run loadtest any gateway (TARGETS=ws://a,ws://b for several)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const artillery = `${here}node_modules/artillery/bin/run`;
const smoke = process.argv.includes('--smoke');
// Tiny counts: a dozen or so virtual users over two seconds.
const SMOKE = { config: { phases: [{ name: 'smoke', duration: 2, arrivalRate: 8 }] } };
const extra = process.argv.slice(2).filter((arg) => arg !== '--smoke');

function ensureInstalled() {
  if (existsSync(artillery)) return;
  console.error('loadtest: installing artillery into loadtest/node_modules (once; ~1 min)…');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: here,
    stdio: 'inherit',
    // artillery pulls a browser package whose install downloads a browser unless told not to.
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Starts redis-server + matcher + 2 gateways with the testkit; returns the gateway URLs. */
async function startLocalStack() {
  const { startRedisServer, startMatcher, startGateway } = await import('@strangers/testkit');
  const redis = await startRedisServer();
  const matcher = await startMatcher(redis.url, { INTEREST_FALLBACK_MS: '1000' });
  const gateways = await Promise.all([
    startGateway(redis.url, { GATEWAY_ID: 'lt-a' }),
    startGateway(redis.url, { GATEWAY_ID: 'lt-b' }),
  ]);
  return {
    urls: gateways.map((gateway) => `ws://127.0.0.1:${gateway.port}`),
    async stop() {
      await Promise.all([...gateways, matcher].map((service) => service.stop('SIGTERM')));
      await redis.stop();
    },
  };
}

function runArtillery(targets) {
  const args = ['--require', `${here}telemetry-off.cjs`, artillery, 'run', ...(smoke ? ['--overrides', JSON.stringify(SMOKE)] : []), ...extra, `${here}scenarios/strangers.yml`];
  console.error(`loadtest: node ${args.map((arg) => arg.replace(here, '')).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: here,
      stdio: 'inherit',
      env: {
        ...process.env,
        ARTILLERY_DISABLE_TELEMETRY: 'true',
        TARGET: targets[0],
        TARGETS: targets.join(','),
        FRAME_TIMEOUT_MS: process.env.FRAME_TIMEOUT_MS ?? (smoke ? '4000' : '15000'),
      },
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

ensureInstalled();
let stack;
let targets;
if (process.env.TARGET) {
  targets = process.env.TARGET.split(',');
} else {
  console.error('loadtest: starting a local stack (redis-server, matcher, 2 gateways)…');
  stack = await startLocalStack();
  targets = stack.urls;
}
console.error(`loadtest: targets ${targets.join(', ')}`);
const code = await runArtillery(targets);
await stack?.stop();
process.exit(code);
