/**
 * Re-renders BENCHMARKS.md from bench/results.json (the last `npm run bench`) without
 * measuring again: for changes to the report's text. Run:
 * `node --conditions=development --import tsx bench/render.ts`
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReport } from './src/report.js';
import type { Results } from './src/results.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const results = JSON.parse(readFileSync(`${root}bench/results.json`, 'utf8')) as Results;
writeFileSync(`${root}BENCHMARKS.md`, renderReport(results, 'docs/bench-relay.svg'));
console.log('BENCHMARKS.md re-rendered from bench/results.json');
