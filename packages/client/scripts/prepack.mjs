// npm runs this before `npm pack` / `npm publish`: builds dist/ and writes the package.json
// that is published. The repository's package.json keeps a `development` export condition
// pointing at the TypeScript sources (the monorepo's tests run with --conditions=development);
// published, that condition would send Vite and webpack (which set it in dev mode) to files
// that are not in the package. postpack.mjs puts the repository's package.json back.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const manifestPath = `${root}package.json`;
const backupPath = `${root}package.json.repo`;

// A pack that failed half-way left the published manifest in place: start from the real one.
if (existsSync(backupPath)) copyFileSync(backupPath, manifestPath);
execFileSync(process.execPath, [`${root}scripts/build.mjs`], { stdio: 'inherit' });

const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
copyFileSync(manifestPath, backupPath);
for (const target of Object.values(manifest.exports)) {
  if (typeof target === 'object' && target !== null) delete target.development;
}
// Workspace-only tooling: a consumer installs none of it, and the private packages it names
// are not published.
delete manifest.devDependencies;
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
