/**
 * Keeps README.md true: every environment variable a service reads is in its configuration
 * table, and every variable in those tables is read by the service.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gatewayEnvSchema } from '../../apps/gateway/src/config.ts';
import { matcherEnvSchema } from '../../apps/matcher/src/config.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The `VAR` names in the first column of the table under the heading starting with `heading`. */
function documented(heading: string): Set<string> {
  const start = readme.indexOf(`### ${heading}`);
  assert.ok(start >= 0, `README has a "${heading}" section`);
  const end = readme.indexOf('\n#', start + 4);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return new Set([...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((match) => match[1]!));
}

for (const [heading, schema] of [
  ['Gateway', gatewayEnvSchema],
  ['Matcher', matcherEnvSchema],
] as const) {
  test(`README's ${heading} table lists exactly the variables the ${heading.toLowerCase()} reads`, () => {
    const read = Object.keys(schema.shape).sort();
    assert.deepEqual([...documented(heading)].sort(), read);
  });
}
