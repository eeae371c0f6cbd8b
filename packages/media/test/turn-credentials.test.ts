import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '@strangers/config';
import { iceConfigurationFor, iceServersFor, loadMediaConfig, turnCredential, turnPassword } from '../src/index.js';

const secret = 'correct horse battery staple';

describe('TURN REST credentials', () => {
  test('the password is base64(HMAC-SHA1(secret, username)) (vector from `openssl dgst -sha1 -hmac`)', () => {
    assert.equal(turnPassword(secret, '1735693200:s-42'), 'Cf0NcGGzw8lcr27zexi8lUSNKQo=');
  });

  test('the username is <expiry-unix-seconds>:<session>, the expiry now + TTL', () => {
    const now = Date.UTC(2025, 0, 1, 0, 0, 0, 500);
    const credential = turnCredential(secret, 's-42', now, 3600);
    assert.equal(credential.username, '1735693200:s-42');
    assert.equal(credential.expiresAt, 1735693200);
    assert.equal(credential.credential, 'Cf0NcGGzw8lcr27zexi8lUSNKQo=');
  });

  test('refuses an empty or control-character session', () => {
    assert.throws(() => turnCredential(secret, '', 0, 60));
    assert.throws(() => turnCredential(secret, 'a\nb', 0, 60));
  });
});

describe('media config and the ice array', () => {
  const env = {
    TURN_SECRET: secret,
    TURN_URLS: 'turn:turn.example.org:3478?transport=udp, turn:turn.example.org:3478?transport=tcp,turns:turn.example.org:5349',
    STUN_URLS: 'stun:turn.example.org:3478',
    TURN_TTL_SECONDS: '7200',
  };

  test('paired.ice: STUN first, then every TURN URL with a fresh credential', () => {
    const { turn } = loadMediaConfig(env);
    const now = 1_735_690_000_000;
    const ice = iceServersFor(turn, 'sess-1', now);
    assert.deepEqual(ice, [
      { urls: ['stun:turn.example.org:3478'] },
      {
        urls: [
          'turn:turn.example.org:3478?transport=udp',
          'turn:turn.example.org:3478?transport=tcp',
          'turns:turn.example.org:5349',
        ],
        username: `${now / 1000 + 7200}:sess-1`,
        credential: turnPassword(secret, `${now / 1000 + 7200}:sess-1`),
      },
    ]);
    assert.equal(iceConfigurationFor(turn, 'sess-1', now).iceTransportPolicy, 'all');
  });

  test('relay-only: no STUN servers and the relay policy hint', () => {
    const { turn } = loadMediaConfig({ ...env, MEDIA_RELAY_ONLY: 'true' });
    const configuration = iceConfigurationFor(turn, 'sess-1', 0);
    assert.equal(configuration.iceTransportPolicy, 'relay');
    assert.equal(configuration.iceServers.length, 1);
    assert.ok(configuration.iceServers[0]!.urls.every((url) => url.startsWith('turn')));
  });

  test('defaults: no servers, a 4 h TTL, the contract signal limits', () => {
    const config = loadMediaConfig({});
    assert.deepEqual(iceServersFor(config.turn, 's'), []);
    assert.equal(config.turn.ttlSeconds, 4 * 3600);
    assert.equal(config.signal.maxBytes, 16 * 1024);
  });

  test('rejects TURN_URLS without a secret, relay-only without TURN, bad URLs and schemes', () => {
    const problems = (bad: NodeJS.ProcessEnv) => {
      try {
        loadMediaConfig(bad);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems.join('\n');
      }
      assert.fail('expected a ConfigError');
    };
    assert.match(problems({ TURN_URLS: 'turn:a.example:3478' }), /TURN_SECRET/);
    assert.match(problems({ MEDIA_RELAY_ONLY: 'true' }), /MEDIA_RELAY_ONLY/);
    assert.match(problems({ ...env, TURN_URLS: 'http://turn.example.org' }), /TURN_URLS/);
    assert.match(problems({ ...env, STUN_URLS: 'turn:turn.example.org' }), /STUN_URLS/);
    assert.match(problems({ ...env, TURN_SECRET: 'short' }), /TURN_SECRET/);
    assert.match(problems({ ...env, TURN_TTL_SECONDS: '10' }), /TURN_TTL_SECONDS/);
  });
});
