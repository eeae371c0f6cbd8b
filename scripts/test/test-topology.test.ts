import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs script without types
import { declaredTopologies, suitesOf } from '../test-topology.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = (workspace: string) => (JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('suites per Redis topology (scripts/test-topology.mjs)', () => {
  test('a file declares its topologies on a comment line of its own', () => {
    assert.deepEqual(declaredTopologies("import x from 'y';\n// @topologies single cluster\ntest();"), ['single', 'cluster']);
    assert.deepEqual(declaredTopologies('// runs on @topologies single cluster, says a comment'), []);
    assert.deepEqual(declaredTopologies("test('no marker');"), []);
  });

  test('the cluster run covers at least the suites it always did', () => {
    const expected: Record<string, string[]> = {
      'apps/gateway': ['chat', 'resume', 'room', 'concurrency', 'limits', 'fuzz', 'metrics', 'redis-security', 'redis-outage', 'orphan-assignment'],
      'packages/redis': ['chat-scripts'],
      'apps/matcher': ['ha'],
      'packages/client': ['client'],
      'apps/web': ['e2e'],
    };
    for (const [workspace, names] of Object.entries(expected)) {
      const [, , , ...extra] = script(workspace)['test:cluster']!.replace(/'/g, '').split(' ');
      assert.match(script(workspace)['test:cluster']!, /^node \.\.\/\.\.\/scripts\/test-topology\.mjs cluster \./, `${workspace} runs the topology runner`);
      const files = suitesOf(join(root, workspace), 'cluster', extra.slice(1)) as string[];
      for (const name of names) assert.ok(files.includes(`test/${name}.test.ts`), `${workspace}: ${name} runs on the cluster`);
    }
    assert.equal(script('.')['test:cluster'], 'npm run test:cluster --workspaces --if-present');
  });

  test('a workspace without a suite for the topology is an error, not a silent pass', () => {
    const run = spawnSync(process.execPath, [join(root, 'scripts/test-topology.mjs'), 'cluster', 'packages/protocol'], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no test file in packages\/protocol\/test declares "cluster"/);
  });
});
