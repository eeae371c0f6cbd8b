#!/usr/bin/env node
/**
 * Runs a workspace's test suites that declare a Redis topology, against that topology. Each
 * workspace with such suites has the same `test:cluster` script,
 *
 *   node ../../scripts/test-topology.mjs cluster .
 *
 * and the root's `npm run test:cluster` runs every workspace's.
 *
 * A test file opts in with a comment line of its own, anywhere in the file:
 *
 *   // @topologies single cluster
 *
 * The suite runs with TEST_REDIS=<topology> (packages/testkit starts that topology). A new
 * test file opts in by carrying the line; no list to keep. Extra file arguments after the
 * folder (a name, or `test/*.test.ts` for all) are for workspaces whose test files do not carry
 * the line yet. `npm test` still runs every file on a single server.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOPOLOGIES = ['single', 'cluster'];
const MARKER = /^\/\/ @topologies ((?:[a-z]+ ?)+)$/m;
const root = fileURLToPath(new URL('..', import.meta.url));

/** The topologies a test file declares (none: it is not run per topology). */
export function declaredTopologies(source) {
  const match = MARKER.exec(source);
  return match ? match[1].trim().split(' ') : [];
}

/** The test files of `dir` to run on `topology`: those that declare it, and the `extra` ones. */
export function suitesOf(dir, topology, extra) {
  const testDir = join(dir, 'test');
  if (!existsSync(testDir)) return [];
  const all = readdirSync(testDir).filter((name) => name.endsWith('.test.ts')).sort();
  const wanted = new Set(extra.flatMap((arg) => (arg === 'test/*.test.ts' ? all : [relative('test', arg)])));
  return all
    .filter((name) => wanted.has(name) || declaredTopologies(readFileSync(join(testDir, name), 'utf8')).includes(topology))
    .map((name) => `test/${name}`);
}

function main(argv) {
  const [topology, dir, ...extra] = argv;
  if (!TOPOLOGIES.includes(topology) || !dir) {
    process.stderr.write(`usage: test-topology.mjs <${TOPOLOGIES.join('|')}> <workspace dir> [extra test files…]\n`);
    return 2;
  }
  const workspace = join(process.cwd(), dir);
  const files = suitesOf(workspace, topology, extra);
  if (files.length === 0) {
    process.stderr.write(`test-topology: no test file in ${relative(root, workspace)}/test declares "${topology}"\n`);
    return 1;
  }
  process.stdout.write(`# ${relative(root, workspace)} on ${topology}: ${files.join(' ')}\n`);
  const run = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', '--test', '--test-force-exit', ...files], {
    cwd: workspace,
    env: { ...process.env, TEST_REDIS: topology },
    stdio: 'inherit',
  });
  return run.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
