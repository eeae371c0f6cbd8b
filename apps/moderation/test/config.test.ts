import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@strangers/config';
import { loadModerationConfig } from '../src/config.ts';

test('defaults: port 8090, API off, retention 90 days and 365 for minor_safety', () => {
  const config = loadModerationConfig({});
  assert.equal(config.port, 8090);
  assert.deepEqual(config.moderators, []);
  assert.deepEqual(config.retention, { defaultDays: 90, byCategory: { minor_safety: 365 } });
});

test('MODERATOR_TOKENS is name:token,…; a bad entry fails without echoing the token', () => {
  const config = loadModerationConfig({ MODERATOR_TOKENS: 'alice:0123456789abcdef, bob:fedcba9876543210xyz', PUBLIC_URL: 'https://mod.example.org/' });
  assert.deepEqual(config.moderators, [{ name: 'alice', token: '0123456789abcdef' }, { name: 'bob', token: 'fedcba9876543210xyz' }]);
  assert.equal(config.publicUrl, 'https://mod.example.org');
  for (const bad of ['alice', 'alice:short-secret', ':0123456789abcdef', 'a b:0123456789abcdef', 'a:0123456789abcdef,a:0123456789abcdeg']) {
    assert.throws(
      () => loadModerationConfig({ MODERATOR_TOKENS: bad }),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('0123456789abcdef') && !error.message.includes('short-secret'),
      bad,
    );
  }
});

test('retention by category and the other settings are validated', () => {
  const config = loadModerationConfig({ REPORT_RETENTION_DAYS: '30', REPORT_RETENTION_BY_CATEGORY: 'spam:7,hate:180' });
  assert.deepEqual(config.retention, { defaultDays: 30, byCategory: { minor_safety: 365, spam: 7, hate: 180 } });
  for (const env of [{ REPORT_RETENTION_BY_CATEGORY: 'spam:0' }, { REPORT_RETENTION_BY_CATEGORY: 'junk:5' }, { PUBLIC_URL: 'ftp://x' }, { MODERATION_PORT: '70000' }]) {
    assert.throws(() => loadModerationConfig(env), ConfigError, JSON.stringify(env));
  }
});
