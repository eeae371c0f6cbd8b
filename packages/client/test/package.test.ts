import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { startGateway, startMatcher, startTestRedis, type ServiceHandle, type TestRedisHandle } from '@strangers/testkit';

// The published package as a developer gets it: `npm pack`, installed into a scratch project
// outside the monorepo, and the README's example run against a real stack.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../', import.meta.url));
const typescriptCli = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));

let scratch: string;
let tarball: string;
let redis: TestRedisHandle;
let services: ServiceHandle[] = [];

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'strangers-sdk-'));
  const manifestBefore = await readFile(`${packageDir}package.json`, 'utf8');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: packageDir, maxBuffer: 16 << 20 });
  // postpack put the repository's manifest back.
  assert.equal(await readFile(`${packageDir}package.json`, 'utf8'), manifestBefore);
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[];
  tarball = join(scratch, packed!.filename);
  await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  // ws and its types come from npm's cache when they are there (the monorepo installed them).
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, 'ws@8', '@types/ws@8'], { cwd: scratch });
});

after(async () => {
  await Promise.all(services.map((service) => service.stop('SIGKILL')));
  await redis?.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function installedManifest(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(scratch, 'node_modules/@strangers/client/package.json'), 'utf8')) as Record<string, unknown>;
}

test('the tarball holds dist (ESM + .d.ts) and a manifest with no private dependency and no development condition', async () => {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  const files = stdout.trim().split('\n').sort();
  assert.deepEqual(files, ['package/README.md', 'package/dist/index.d.ts', 'package/dist/index.js', 'package/package.json']);
  const manifest = await installedManifest();
  assert.equal(manifest.private, undefined);
  assert.equal(manifest.dependencies, undefined);
  assert.equal(manifest.devDependencies, undefined);
  assert.doesNotMatch(JSON.stringify(manifest.exports), /development|src\//);
  const bundle = await readFile(join(scratch, 'node_modules/@strangers/client/dist/index.js'), 'utf8');
  const declarations = await readFile(join(scratch, 'node_modules/@strangers/client/dist/index.d.ts'), 'utf8');
  for (const file of [bundle, declarations]) assert.doesNotMatch(file, /@strangers\/protocol|from ['"]zod/);
  // The declarations build sees zod as untyped (scripts/types-stubs): a zod type leaking into
  // the public API would show up here as \`any\`.
  assert.doesNotMatch(declarations.replace(/\/\*[\s\S]*?\*\//g, ''), /\bany\b/);
});

function readmeExample(readme: string): string {
  const match = /<!-- the package test runs this block[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(match, 'README.md has the example block');
  return match[1]!;
}

test("the README's example type-checks against the published declarations", async () => {
  await writeFile(join(scratch, 'example.mjs'), readmeExample(await readFile(`${packageDir}README.md`, 'utf8')));
  await writeFile(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', allowJs: true, checkJs: true, strict: true, noImplicitAny: false, noEmit: true, types: ['node'] },
      files: ['example.mjs'],
    }),
  );
  // @types/node comes with @types/ws; a failure prints every diagnostic.
  await run(process.execPath, [typescriptCli, '-p', 'tsconfig.json'], { cwd: scratch }).catch((error: { stdout?: string }) => {
    assert.fail(`tsc found errors:\n${error.stdout}`);
  });
});

test('bundles for the browser, also with the `development` condition bundlers set in dev mode', async () => {
  await writeFile(join(scratch, 'browser.js'), "import { StrangerClient } from '@strangers/client';\nexport const client = StrangerClient;\n");
  for (const conditions of [[], ['development']]) {
    const result = await build({
      entryPoints: [join(scratch, 'browser.js')],
      absWorkingDir: scratch,
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions,
      logLevel: 'silent',
    });
    assert.equal(result.errors.length, 0);
    assert.match(result.outputFiles[0]!.text, /StrangerClient = class extends TypedEmitter/);
  }
});

test("the README's example pairs two clients and exchanges messages on a real stack", { timeout: 60_000 }, async () => {
  redis = await startTestRedis();
  const matcher = await startMatcher(redis.url);
  services.push(matcher);
  const gateway = await startGateway(redis.url, { GATEWAY_ID: 'sdk-package-gw' });
  services.push(gateway);
  await writeFile(join(scratch, 'example.mjs'), readmeExample(await readFile(`${packageDir}README.md`, 'utf8')));
  const { stdout } = await run(process.execPath, ['example.mjs'], {
    cwd: scratch,
    timeout: 30_000,
    env: { ...process.env, STRANGERS_URL: `ws://127.0.0.1:${gateway.port}/ws` },
  });
  const lines = stdout.trim().split('\n');
  assert.ok(lines.includes('alice: paired, shared interests: music'), stdout);
  assert.ok(lines.includes('bob: paired, shared interests: music'), stdout);
  assert.ok(lines.includes('bob got: hi, stranger!'), stdout);
  assert.ok(lines.includes('alice got: hello alice'), stdout);
  assert.ok(lines.some((line) => /^alice: message stored as #\d+$/.test(line)), stdout);
});
