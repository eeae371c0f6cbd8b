// Restores the repository's package.json after prepack.mjs wrote the published one.
import { renameSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
if (existsSync(`${root}package.json.repo`)) renameSync(`${root}package.json.repo`, `${root}package.json`);
