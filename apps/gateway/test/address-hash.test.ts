import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { addressKey, ConfigError, hashAddress } from '@strangers/config';
import { loadGatewayConfig } from '../src/config.js';
import { ConnectionLimits } from '../src/edge/connection-limits.js';
import { secretsEqual } from '../src/edge/secret-compare.js';

const secret = 'b'.repeat(64);

describe('client-address hash', () => {
  test('is an HMAC-SHA256 keyed with IP_HASH_SALT, not a plain hash over salt + address', () => {
    const hmac = createHmac('sha256', secret).update('203.0.113.7').digest().toString('base64url', 0, 17).slice(0, 22);
    const plain = createHash('sha256').update(secret).update('203.0.113.7').digest().toString('base64url', 0, 17).slice(0, 22);
    assert.equal(hashAddress('203.0.113.7', secret), hmac);
    assert.notEqual(hashAddress('203.0.113.7', secret), plain);
    assert.notEqual(hashAddress('203.0.113.7', secret), hashAddress('203.0.113.7', 'c'.repeat(64)));
  });

  test('IPv6 hashes and limits key on the /64', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('::ffff:198.51.100.4'), '198.51.100.4');
    assert.equal(addressKey('198.51.100.4'), '198.51.100.4');
    assert.equal(hashAddress('2001:db8:1:2::1', secret), hashAddress('2001:db8:1:2:dead:beef:0:1', secret));
    assert.notEqual(hashAddress('2001:db8:1:2::1', secret), hashAddress('2001:db8:1:3::1', secret));
    const limits = new ConnectionLimits({ maxConnections: 100, maxConnectionsPerIp: 2, upgradesPerIpPerSecond: 100, limitLoopback: false });
    assert.equal(limits.admit('2001:db8:1:2::1', 0).ok, true);
    assert.equal(limits.admit('2001:db8:1:2::2', 0).ok, true);
    assert.deepEqual(limits.admit('2001:db8:1:2:ffff::3', 0), { ok: false, status: 429, reason: 'Too Many Requests' });
    assert.equal(limits.admit('2001:db8:1:3::1', 0).ok, true, 'another /64 is another client');
  });
});

describe('IP_HASH_SALT', () => {
  const load = (env: Record<string, string>) => loadGatewayConfig({ REDIS_URL: 'redis://127.0.0.1:1', ...env });
  const refused = (env: Record<string, string>) =>
    assert.throws(() => load(env), (error: unknown) => error instanceof ConfigError && error.problems.some((line) => line.startsWith('IP_HASH_SALT')));

  test('unset, empty (the .env.example placeholder), the old public default or a short one: refused', () => {
    refused({});
    refused({ IP_HASH_SALT: '' });
    refused({ IP_HASH_SALT: 'strangers-default-salt' });
    refused({ IP_HASH_SALT: 'short-salt' });
  });

  test('a real secret is taken; ALLOW_INSECURE_SALT=true (local development) starts without one', () => {
    assert.equal(load({ IP_HASH_SALT: secret }).ipHashSalt, secret);
    assert.ok(load({ ALLOW_INSECURE_SALT: 'true' }).ipHashSalt.length >= 16);
  });
});

test('secretsEqual compares secrets of any length', () => {
  assert.equal(secretsEqual('abc', 'abc'), true);
  assert.equal(secretsEqual('abc', 'abd'), false);
  assert.equal(secretsEqual('abc', 'abcd'), false);
});
