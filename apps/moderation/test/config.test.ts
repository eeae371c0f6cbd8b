import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@strangers/config';
import { hashAddress } from '@strangers/config';
import { loadModerationConfig as loadWith } from '../src/config.ts';
import { createAddressHasher } from '../src/client-address.ts';
import type { IncomingMessage } from 'node:http';

const secret = 'a'.repeat(64);
/** Every test but the salt's own gives a real secret, as a deployment must. */
const loadModerationConfig = (env: NodeJS.ProcessEnv) => loadWith({ IP_HASH_SALT: secret, ...env });

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

test('IP_HASH_SALT must be a real secret (as on the gateways) unless ALLOW_INSECURE_SALT is set', () => {
  for (const salt of [undefined, '', 'strangers-default-salt', 'short']) {
    const env = salt === undefined ? {} : { IP_HASH_SALT: salt };
    assert.throws(() => loadWith(env), (error: unknown) => error instanceof ConfigError && /IP_HASH_SALT/.test(error.message), String(salt));
  }
  assert.equal(loadWith({ IP_HASH_SALT: secret }).ipHashSalt, secret);
  assert.ok(loadWith({ ALLOW_INSECURE_SALT: 'true' }).ipHashSalt.length >= 16);
});

test("the appeal form's address hash is the gateways' keyed hash (HMAC, IPv6 by its /64), not a plain digest", () => {
  const hasher = createAddressHasher([], secret);
  const request = (remoteAddress: string) => ({ socket: { remoteAddress }, headers: {} }) as unknown as IncomingMessage;
  assert.equal(hasher(request('203.0.113.7')), hashAddress('203.0.113.7', secret));
  assert.equal(hasher(request('2001:db8:1:2::1')), hasher(request('2001:db8:1:2:ffff::9')));
  assert.notEqual(hasher(request('203.0.113.7')), createAddressHasher([], 'b'.repeat(64))(request('203.0.113.7')));
});
