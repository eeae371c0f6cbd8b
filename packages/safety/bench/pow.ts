/**
 * Proof-of-work costs: server CPU per challenge and per verification, and client solve time
 * at several difficulties — Node (node:crypto), WebCrypto in Node, and WebCrypto in headless
 * Chromium (the web client's case) — median and spread over several runs. Not run by tests.
 *
 *   npm run bench:pow -w @strangers/safety -- [--runs 9] [--difficulties 10000,50000,100000,500000] [--verifications 300]
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { Challenge } from 'altcha-lib/types';
import { startRedisServer } from '@strangers/testkit';
import { decodeProofJson, ProofOfWork, solveProof, solveProofNode, type ProofPayload } from '../src/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '9' },
    difficulties: { type: 'string', default: '10000,50000,100000,500000' },
    verifications: { type: 'string', default: '300' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
});
const runs = Number(values.runs);
const difficulties = values.difficulties.split(',').map(Number);
const verifications = Number(values.verifications);

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const spread = (xs: number[], digits = 0) => `${sorted(xs)[0]!.toFixed(digits)}–${sorted(xs).at(-1)!.toFixed(digits)}`;
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

const redis = await startRedisServer();
const client = redis.client();
const pow = new ProofOfWork({ hmacKey: 'bench-hmac-key-0123456789abcdef', expiresMs: 600_000, redis: client });

async function serverCosts(): Promise<string[]> {
  // Challenges: one SHA-256 (the secret counter's key) and two HMACs each.
  const challengeCpu: number[] = [];
  const verifyCpu: number[] = [];
  const altchaOnlyCpu: number[] = [];
  for (let round = 0; round < runs; round++) {
    let cpu = cpuMicros();
    const challenges: Challenge[] = [];
    for (let i = 0; i < verifications; i++) challenges.push(await pow.createChallenge(1000));
    challengeCpu.push((cpuMicros() - cpu) / verifications);
    const proofs = await Promise.all(challenges.map((challenge) => solveProofNode(challenge)));
    // altcha-lib's check alone (signature, key signature): what the verification itself costs.
    cpu = cpuMicros();
    for (const proof of proofs) {
      const { challenge, solution } = decodeProofJson(proof) as ProofPayload;
      await verifySolution({ challenge, solution, deriveKey, hmacSignatureSecret: 'bench-hmac-key-0123456789abcdef', hmacKeySignatureSecret: undefined });
    }
    altchaOnlyCpu.push((cpuMicros() - cpu) / verifications);
    // The gateway's whole verify: decode, zod, altcha, SET NX PX on a real redis-server (client side CPU only).
    cpu = cpuMicros();
    for (const proof of proofs) await pow.verify(proof);
    verifyCpu.push((cpuMicros() - cpu) / verifications);
  }
  return [
    '| server step | CPU µs (median) | spread over runs |',
    '| --- | ---: | --- |',
    `| createChallenge | ${median(challengeCpu).toFixed(0)} | ${spread(challengeCpu)} |`,
    `| altcha-lib verifySolution (re-derive path) | ${median(altchaOnlyCpu).toFixed(0)} | ${spread(altchaOnlyCpu)} |`,
    `| ProofOfWork.verify (decode + zod + key-signature check + SET NX) | ${median(verifyCpu).toFixed(0)} | ${spread(verifyCpu)} |`,
  ];
}

/** Serves altcha-lib's ESM build so the page imports the same solver code the web client bundles. */
async function chromiumSolver(): Promise<{ solve: (challenge: Challenge) => Promise<{ ms: number; counter: number }>; close: () => Promise<void> } | undefined> {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return undefined;
  }
  const root = fileURLToPath(new URL('../../../node_modules/altcha-lib/dist/esm/v2/', import.meta.url));
  const server = createServer(async (request, response) => {
    const path = normalize(join(root, (request.url ?? '/').split('?')[0]!));
    if (request.url === '/') return response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>pow</title>');
    const body = await readFile(path).catch(() => undefined);
    if (body === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let browser;
  try {
    browser = await chromium.launch({ executablePath: values.chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  } catch {
    server.close();
    return undefined;
  }
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  return {
    solve: (challenge) =>
      page.evaluate(async (c) => {
        const { solveChallenge } = await import('/index.js' as string);
        const { deriveKey: webDeriveKey } = await import('/algorithms/web/sha.js' as string);
        const start = performance.now();
        const solution = await solveChallenge({ challenge: c, deriveKey: webDeriveKey, timeout: 600_000 });
        return { ms: performance.now() - start, counter: solution.counter as number };
      }, challenge),
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}

async function solveTimes(): Promise<string[]> {
  const browser = await chromiumSolver();
  const lines = [
    '| difficulty (max counter) | solver | solve ms, median | spread (min–max) | µs per attempt, median |',
    '| ---: | --- | ---: | --- | ---: |',
  ];
  for (const difficulty of difficulties) {
    // Node's WebCrypto digest is a thread-pool round trip per attempt: shown at the lowest difficulty only.
    const withNodeWebCrypto = difficulty === difficulties[0];
    const rows: Record<string, { ms: number[]; perAttempt: number[] }> = { 'Node (node:crypto)': { ms: [], perAttempt: [] } };
    if (withNodeWebCrypto) rows['Node (WebCrypto)'] = { ms: [], perAttempt: [] };
    if (browser) rows['Chromium (WebCrypto)'] = { ms: [], perAttempt: [] };
    for (let run = 0; run < runs; run++) {
      const challenge = await pow.createChallenge(difficulty);
      const timed = async (name: string, solve: () => Promise<{ counter: number; ms?: number }>) => {
        const start = performance.now();
        const { counter, ms } = await solve();
        const elapsed = ms ?? performance.now() - start;
        rows[name]!.ms.push(elapsed);
        rows[name]!.perAttempt.push((elapsed * 1000) / Math.max(1, counter + 1));
      };
      const counterOf = (proof: string) => ({ counter: (decodeProofJson(proof) as ProofPayload).solution.counter });
      await timed('Node (node:crypto)', async () => counterOf(await solveProofNode(challenge, { timeoutMs: 600_000 })));
      if (withNodeWebCrypto) await timed('Node (WebCrypto)', async () => counterOf(await solveProof(challenge, { timeoutMs: 600_000 })));
      if (browser) await timed('Chromium (WebCrypto)', () => browser.solve(challenge));
    }
    for (const [name, { ms, perAttempt }] of Object.entries(rows)) {
      lines.push(`| ${difficulty} | ${name} | ${median(ms).toFixed(0)} | ${spread(ms)} | ${median(perAttempt).toFixed(2)} |`);
    }
  }
  await browser?.close();
  return lines;
}

try {
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average before: ${load}`);
  console.log(`${runs} runs each; a solve tries counter+1 keys, the counter uniform in [1, difficulty] — the spread is mostly that luck\n`);
  console.log((await serverCosts()).join('\n'));
  console.log('');
  console.log((await solveTimes()).join('\n'));
  console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  client.disconnect();
  await redis.stop();
}
