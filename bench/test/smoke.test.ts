import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('../', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out; output:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// Five cases, each on freshly started systems (run from source): well under a minute on a quiet box.
test('the bench smoke mode measures every case and writes a report with a chart', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    const { code, output } = await run(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', 'src/main.ts', '--smoke', '--out', out],
      benchDir,
      170_000,
    );
    assert.equal(code, 0, output);
    const report = readFileSync(join(out, 'BENCHMARKS.md'), 'utf8');
    for (const heading of ['## Targets (issues 5, 19, 20, 23)', '## 1. Cross-gateway relay', '### Content filters on', '## 2. Pairing', '## 3. Idle connections', '## 4. The matcher alone', '## 5. Resume after a gateway kill -9']) {
      assert.ok(report.includes(heading), `missing ${heading}`);
    }
    for (const system of ['strangers (product)', 'bare ws, 1 process', 'bare ws + Redis Streams', 'Socket.IO']) {
      assert.ok(report.includes(system), `no figures for ${system}`);
    }
    assert.match(readFileSync(join(out, 'docs/bench-relay.svg'), 'utf8'), /^<svg /);
    const results = JSON.parse(readFileSync(join(out, 'bench-results.json'), 'utf8')) as {
      relay: Record<string, { rates: { runs: { sent: number; lost: number }[] }[] }>;
      filters: { runs: { sent: number; lost: number }[] };
      resume: { runs: { clients: number; resumed: number; acked: number; lost: number; duplicated: number; misordered: number }[] };
    };
    const product = results.relay.product!.rates[0]!.runs[0]!;
    assert.ok(product.sent > 0 && product.lost === 0, `product relay: ${JSON.stringify(product)}`);
    // With every content filter on, the bench's ordinary messages all pass: each was checked and delivered.
    const filtered = results.filters.runs[0]!;
    assert.ok(filtered.sent > 0 && filtered.lost === 0, `product relay, filters on: ${JSON.stringify(filtered)}`);
    // Every client of the killed gateway came back, and the kill lost or repeated nothing acked.
    const resume = results.resume.runs[0]!;
    assert.ok(resume.clients > 0 && resume.resumed === resume.clients && resume.acked > 0, `resume: ${JSON.stringify(resume)}`);
    assert.deepEqual([resume.lost, resume.duplicated, resume.misordered], [0, 0, 0], `resume: ${JSON.stringify(resume)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// artillery is ~590 MB and not part of the root install: the smoke run is skipped (with a
// message) until `npm run loadtest` (or `npm install` in loadtest/) has installed it.
const artilleryInstalled = existsSync(join(repoRoot, 'loadtest/node_modules/artillery/bin/run'));
test(
  'the artillery scenarios run against a local stack',
  { timeout: 90_000, skip: artilleryInstalled ? false : 'loadtest/node_modules missing: run `npm run loadtest` once to install artillery' },
  async () => {
    const { code, output } = await run(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', 'loadtest/run.mjs', '--smoke'],
      repoRoot,
      80_000,
    );
    assert.equal(code, 0, output);
    assert.match(output, /Summary report/);
    assert.match(output, /chat\.relay_ms/);
    // Scenarios are picked at random by weight (4:1): only check the room when it ran.
    if (/vusers\.created_by_name\.shared room/.test(output)) assert.match(output, /room\.sent/);
    assert.match(output, /vusers\.failed: \.+ 0/);
  },
);
