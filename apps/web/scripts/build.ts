import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const appDir = fileURLToPath(new URL('../', import.meta.url));
export const defaultOutDir = fileURLToPath(new URL('../dist/', import.meta.url));

export interface BuildWebOptions {
  outDir?: string;
  /**
   * Bundle the workspace packages from their TypeScript sources (the `development` export
   * condition) instead of their built `dist`: what tests use, so they need no prior build.
   */
  fromSource?: boolean;
}

/** Builds the web client into `outDir`: index.html, app.js and proof-worker.js (minified bundles), styles.css, terms.json. */
export async function buildWeb({ outDir = defaultOutDir, fromSource = false }: BuildWebOptions = {}): Promise<string> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    // The page, and the Web Worker that solves proofs of work (loaded by proof.ts).
    entryPoints: { app: `${appDir}src/app.ts`, 'proof-worker': `${appDir}src/proof-worker.ts` },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    conditions: fromSource ? ['development'] : [],
    logLevel: 'warning',
  });
  await copyFile(`${appDir}src/index.html`, `${outDir}/index.html`);
  await copyFile(`${appDir}src/styles.css`, `${outDir}/styles.css`);
  await copyFile(`${appDir}src/terms.json`, `${outDir}/terms.json`);
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outDir = await buildWeb({ fromSource: process.argv.includes('--from-source') });
  console.log(`web client built into ${outDir}`);
}
