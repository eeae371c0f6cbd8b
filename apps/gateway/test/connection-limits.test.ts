import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionLimits } from '../src/edge/connection-limits.js';
import { isOriginAllowed } from '../src/edge/origin-check.js';

const settings = { maxConnections: 4, maxConnectionsPerIp: 2, upgradesPerIpPerSecond: 1, limitLoopback: false };

describe('ConnectionLimits', () => {
  test('per-address open connections: 429 past the limit, room again after a release', () => {
    const limits = new ConnectionLimits({ ...settings, upgradesPerIpPerSecond: 100 });
    assert.deepEqual(limits.admit('203.0.113.1', 0), { ok: true });
    assert.deepEqual(limits.admit('203.0.113.1', 0), { ok: true });
    assert.equal(limits.admit('203.0.113.1', 0).ok, false);
    limits.release('203.0.113.1');
    assert.deepEqual(limits.admit('203.0.113.1', 0), { ok: true });
  });

  test('upgrade rate per address: a burst of twice the rate, then one per 1/rate seconds', () => {
    const limits = new ConnectionLimits({ ...settings, maxConnectionsPerIp: 100, maxConnections: 100 });
    assert.ok(limits.admit('198.51.100.1', 0).ok);
    assert.ok(limits.admit('198.51.100.1', 0).ok);
    assert.deepEqual(limits.admit('198.51.100.1', 0), { ok: false, status: 429, reason: 'Too Many Requests' });
    assert.ok(limits.admit('198.51.100.1', 1000).ok);
  });

  test('the total bound answers 503 and applies to loopback too; per-address bounds do not', () => {
    const limits = new ConnectionLimits(settings);
    for (let i = 0; i < 4; i++) assert.ok(limits.admit(i % 2 ? '127.0.0.1' : '::1', 0).ok);
    assert.deepEqual(limits.admit('::ffff:127.0.0.1', 0), { ok: false, status: 503, reason: 'Service Unavailable' });
    assert.equal(limits.openConnections, 4);
  });

  test('LIMIT_LOOPBACK applies the per-address bounds to loopback', () => {
    const limits = new ConnectionLimits({ ...settings, limitLoopback: true, upgradesPerIpPerSecond: 100 });
    assert.ok(limits.admit('127.0.0.1', 0).ok);
    assert.ok(limits.admit('127.0.0.1', 0).ok);
    assert.equal(limits.admit('127.0.0.1', 0).ok, false);
  });
});

describe('isOriginAllowed', () => {
  test('unset allows every origin; a list allows its entries (case-insensitive), no Origin, and nothing else', () => {
    assert.equal(isOriginAllowed('https://evil.example', undefined), true);
    const allowed = ['https://chat.example'];
    assert.equal(isOriginAllowed('https://CHAT.example', allowed), true);
    assert.equal(isOriginAllowed('https://chat.example:443', allowed), true);
    assert.equal(isOriginAllowed(undefined, allowed), true);
    assert.equal(isOriginAllowed('https://chat.example.evil', allowed), false);
    assert.equal(isOriginAllowed('http://chat.example', allowed), false);
    assert.equal(isOriginAllowed('null', allowed), false);
    assert.equal(isOriginAllowed('https://chat.example', ['HTTPS://Chat.Example/']), true);
  });
});
