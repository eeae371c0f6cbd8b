import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const appDir = fileURLToPath(new URL('../', import.meta.url));
export const defaultConsoleDir = fileURLToPath(new URL('../dist/console/', import.meta.url));

/** Builds the console into `outDir` (index.html, console.js, styles.css), as apps/web builds the web client. */
export async function buildConsole(outDir = defaultConsoleDir): Promise<string> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [`${appDir}console/console.ts`],
    outfile: `${outDir}/console.js`,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  await copyFile(`${appDir}console/index.html`, `${outDir}/index.html`);
  await copyFile(`${appDir}console/styles.css`, `${outDir}/styles.css`);
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`console built into ${await buildConsole()}`);
}
