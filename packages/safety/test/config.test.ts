import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, parseEnv } from '@strangers/config';
import { loadSafetyConfig, safetyConfigFromEnv, safetyEnvSchema } from '../src/index.js';

test('defaults: everything off or allowing, so wiring it in changes nothing until configured', () => {
  const config = loadSafetyConfig({});
  assert.equal(config.pow.mode, 'off');
  assert.equal(config.filters.links, 'allow');
  assert.equal(config.filters.contacts.mode, 'allow');
  assert.deepEqual(config.filters.words, []);
  assert.equal(config.filters.repeat.mode, 'allow');
  assert.equal(config.hook.url, undefined);
  assert.equal(config.abuse.threshold, 0);
});

test('PROOF_OF_WORK on or adaptive needs POW_HMAC_KEY', () => {
  assert.throws(() => loadSafetyConfig({ PROOF_OF_WORK: 'on' }), (error: unknown) => error instanceof ConfigError && /POW_HMAC_KEY/.test(error.message));
  assert.throws(() => loadSafetyConfig({ PROOF_OF_WORK: 'adaptive', POW_HMAC_KEY: 'short' }), ConfigError);
  const config = loadSafetyConfig({ PROOF_OF_WORK: 'adaptive', POW_HMAC_KEY: 'k'.repeat(32), POW_DIFFICULTY: '1000', POW_ADAPTIVE_DIFFICULTY: '10' });
  // The adaptive challenge is never easier than the normal one.
  assert.equal(config.pow.adaptiveDifficulty, 1000);
});

test('bad values are named', () => {
  assert.throws(() => loadSafetyConfig({ FILTER_LINKS: 'maybe' }), /FILTER_LINKS/);
  assert.throws(() => loadSafetyConfig({ MODERATION_HOOK_URL: 'ftp://x' }), /MODERATION_HOOK_URL/);
  assert.throws(() => loadSafetyConfig({ MODERATION_HOOK_FAIL: 'sideways' }), /MODERATION_HOOK_FAIL/);
  assert.throws(() => loadSafetyConfig({ FILTER_WORDS_FILE: '/nonexistent/words.txt' }), /FILTER_WORDS_FILE/);
});

test('the word file is read at startup, comments and blank lines skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safety-words-'));
  const file = join(dir, 'words.txt');
  writeFileSync(file, '# a comment\nfoo\n\n  bar baz  \nqux # why\n');
  assert.deepEqual(loadSafetyConfig({ FILTER_WORDS_FILE: file }).filters.words, ['foo', 'bar baz', 'qux']);
});

test('a service merges the schema into its own', () => {
  const serviceSchema = z.object({ PORT: z.coerce.number().default(8080) }).extend(safetyEnvSchema.shape);
  const env = parseEnv(serviceSchema, { PORT: '9000', FILTER_LINKS: 'block', MODERATION_HOOK_URL: 'http://127.0.0.1:9/hook' });
  assert.equal(env.PORT, 9000);
  const config = safetyConfigFromEnv(env);
  assert.equal(config.filters.links, 'block');
  assert.equal(config.hook.url, 'http://127.0.0.1:9/hook');
});
