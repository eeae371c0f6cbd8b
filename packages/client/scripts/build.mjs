// Builds the publishable package into dist/: one ESM bundle (index.js) and one declaration
// file (index.d.ts). The private workspace package @strangers/protocol (and the part of zod
// it uses) is bundled in, so the published package has no runtime dependencies.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
await rm(`${root}dist`, { recursive: true, force: true });

await build({
  entryPoints: [`${root}src/index.ts`],
  outfile: `${root}dist/index.js`,
  bundle: true,
  format: 'esm',
  // Browsers and Node alike: nothing platform-specific is imported.
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: ['es2022'],
  // The workspace packages from their TypeScript sources: no prior build of them needed.
  conditions: ['development'],
  legalComments: 'linked',
  logLevel: 'warning',
});

// One .d.ts with the protocol's types inlined (they are plain unions and consts).
execFileSync(
  process.execPath,
  [
    fileURLToPath(import.meta.resolve('dts-bundle-generator/dist/bin/dts-bundle-generator.js')),
    '--project', `${root}tsconfig.types.json`,
    '--external-inlines', '@strangers/protocol',
    '--no-banner',
    '--no-check',
    '--silent',
    '-o', `${root}dist/index.d.ts`,
    `${root}src/index.ts`,
  ],
  { stdio: 'inherit' },
);
console.log('built dist/index.js and dist/index.d.ts');
