import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSessionRecord, encodeSessionRecord, fieldsToRecord, ownerGateway, ownerToken, parseOwnerToken } from '../src/index.js';

test('the owner token is built and taken apart in one place', () => {
  const token = ownerToken('gw-1', 'abc123');
  assert.equal(token, 'gw-1|abc123');
  assert.deepEqual(parseOwnerToken(token), { gatewayId: 'gw-1', bootId: 'abc123' });
  assert.equal(ownerGateway(token), 'gw-1');
  for (const bad of ['', '|boot', 'no-bar']) assert.equal(parseOwnerToken(bad), undefined, bad);
  assert.equal(ownerGateway(''), '', 'an orphan has no gateway');
});

test('a session record round-trips through its one encoder and its schema', () => {
  const written = {
    token: 't',
    prevToken: 'p',
    ipHash: 'ip',
    state: 'paired' as const,
    gen: 7,
    interests: ['go', 'music'],
    requeue: false,
    chat: { id: '3.x', partner: 'p', partnerGateway: 'gwB', interests: ['go'] },
    left: 'next' as const,
    match: { lang: ['en', 'es'], age: 'adult' as const, media: 'video' as const },
    ended: { chat: '3.w', partner: 'q', partnerGateway: 'gwC', reason: 'left' as const, endedAt: 1700000000000 },
  };
  const hash = fieldsToRecord(encodeSessionRecord(written, { owner: 'gw|b', detached: true }));
  assert.deepEqual(decodeSessionRecord(hash), { ...written, owner: 'gw|b', detached: true, orphan: undefined });
  assert.deepEqual(decodeSessionRecord({ ...hash, orphan: '1234' })?.orphan, 1234);
});

test('decoding: no token is no record; missing fields take their defaults; bad values are refused or read as empty', () => {
  assert.equal(decodeSessionRecord({}), undefined);
  assert.equal(decodeSessionRecord({ state: 'idle' }), undefined);
  assert.deepEqual(decodeSessionRecord({ token: 't' }), {
    token: 't',
    prevToken: undefined,
    ipHash: '',
    state: 'idle',
    gen: 0,
    interests: [],
    requeue: true,
    chat: undefined,
    left: undefined,
    match: { lang: [], age: 'unknown', media: 'text' },
    ended: undefined,
    detached: false,
    owner: '',
    orphan: undefined,
  });
  assert.equal(decodeSessionRecord({ token: 't', state: 'dancing' }), undefined);
  assert.equal(decodeSessionRecord({ token: 't', left: 'bored' }), undefined);
  assert.deepEqual(decodeSessionRecord({ token: 't', interests: 'not json' })?.interests, []);
});
