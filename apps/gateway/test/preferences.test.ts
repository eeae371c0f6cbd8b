import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { checkAge } from '../src/preferences/age-check.js';
import { joinPreferences, type AgePolicy } from '../src/preferences/join-preferences.js';
import { decodeSessionRecord, encodeSessionRecord, fieldsToRecord, NO_MATCH_PREFERENCES } from '@strangers/redis';
import { decideRematch, type EndedChat } from '../src/preferences/rematch-rules.js';

/** A real local age-check provider: answers by the path it was given, records what it was asked. */
class Provider {
  readonly asked: unknown[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void readBody(request).then((body) => {
        this.asked.push(JSON.parse(body));
        const path = request.url ?? '';
        if (path === '/allow') response.end(JSON.stringify({ allowed: true }));
        else if (path === '/verify-minor') response.end(JSON.stringify({ allowed: true, adult: false }));
        else if (path === '/deny') response.end(JSON.stringify({ allowed: false }));
        else if (path === '/error') response.writeHead(500).end('{}');
        else if (path === '/garbage') response.end('not json');
        else if (path === '/slow') setTimeout(() => response.end(JSON.stringify({ allowed: true })), 2000).unref();
        else response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => resolve(body));
  });
}

describe('age-check provider (a real local HTTP server)', () => {
  const provider = new Provider();
  before(() => provider.start());
  after(() => provider.stop());
  const options = (path: string, timeoutMs = 1000) => ({ url: `${provider.url}${path}`, timeoutMs });

  test('allow, deny, and the verified age replacing the declared one', async () => {
    assert.deepEqual(await checkAge(options('/allow'), 's1', true), { kind: 'allowed', adult: true });
    assert.deepEqual(provider.asked.at(-1), { session: 's1', adult: true }, 'the documented request');
    assert.deepEqual(await checkAge(options('/verify-minor'), 's2', true), { kind: 'allowed', adult: false });
    assert.deepEqual(await checkAge(options('/deny'), 's3', undefined), { kind: 'denied' });
    assert.deepEqual(provider.asked.at(-1), { session: 's3', adult: null });
  });

  test('fail-closed: an error status, a malformed answer, a timeout, nobody listening', async () => {
    assert.deepEqual(await checkAge(options('/error'), 's', true), { kind: 'unavailable' });
    assert.deepEqual(await checkAge(options('/garbage'), 's', true), { kind: 'unavailable' });
    const started = Date.now();
    assert.deepEqual(await checkAge(options('/slow', 200), 's', true), { kind: 'unavailable' });
    assert.ok(Date.now() - started < 1500, 'the timeout bounds the wait');
    assert.deepEqual(await checkAge({ url: 'http://127.0.0.1:1/allow', timeoutMs: 500 }, 's', true), { kind: 'unavailable' });
  });

  test('the join policy: adults only, an age required, the provider', async () => {
    const open: AgePolicy = { adultsOnly: false, ageRequired: false, ageCheck: undefined };
    assert.deepEqual(await joinPreferences(open, 's', {}), { ok: true, preferences: { lang: [], age: 'unknown', media: 'text' } });
    assert.deepEqual(await joinPreferences(open, 's', { lang: ['en'], adult: false, media: 'video' }), {
      ok: true,
      preferences: { lang: ['en'], age: 'minor', media: 'video' },
    });
    const adultsOnly = { ...open, adultsOnly: true };
    assert.equal((await joinPreferences(adultsOnly, 's', { adult: false })).ok, false);
    assert.equal((await joinPreferences(adultsOnly, 's', {})).ok, false);
    assert.equal((await joinPreferences({ ...open, ageRequired: true }, 's', {})).ok, false);
    const checked = { ...open, ageCheck: options('/verify-minor') };
    assert.deepEqual(await joinPreferences(checked, 's', { adult: true }), { ok: true, preferences: { lang: [], age: 'minor', media: 'text' } });
    const refused = await joinPreferences({ ...adultsOnly, ageCheck: options('/verify-minor') }, 's', { adult: true });
    assert.deepEqual(refused.ok ? undefined : refused.code, 'not_allowed', 'a verified minor on an adults-only deployment');
    const down = await joinPreferences({ ...open, ageCheck: options('/error') }, 's', { adult: true });
    assert.deepEqual(down.ok ? undefined : down.code, 'unavailable');
  });
});

describe('rematch rules', () => {
  const ended: EndedChat = { chat: '0.c', partner: 'p', partnerGateway: 'gw-1', reason: 'next', endedAt: 1000 };

  test('only the last ended chat, only after next or left, only within the window', () => {
    assert.deepEqual(decideRematch(ended, '0.c', 1500, 60_000), { ok: true, ended, until: 61_000 });
    assert.equal(decideRematch({ ...ended, reason: 'left' }, '0.c', 1500, 60_000).ok, true);
    for (const [chatEnded, chat, now, code] of [
      [undefined, '0.c', 1500, 'invalid_state'],
      [ended, '0.other', 1500, 'invalid_state'],
      [ended, '0.c', 61_000, 'invalid_state'],
      [{ ...ended, reason: 'reported' }, '0.c', 1500, 'not_allowed'],
      [{ ...ended, reason: 'disconnected' }, '0.c', 1500, 'not_allowed'],
    ] as const) {
      const decision = decideRematch(chatEnded, chat, now, 60_000);
      assert.equal(decision.ok ? undefined : decision.code, code);
    }
  });

  test('the session record keeps the ended chat and the matching fields; anything malformed reads as none', () => {
    const base = { token: 't', ipHash: '', state: 'idle', gen: 1, interests: [], requeue: true, chat: undefined, left: undefined } as const;
    const match = { lang: ['en'], age: 'adult', media: 'video' } as const;
    const hash = fieldsToRecord(encodeSessionRecord({ ...base, match: { ...match, lang: [...match.lang] }, ended }));
    const decoded = decodeSessionRecord(hash);
    assert.deepEqual([decoded?.ended, decoded?.match], [ended, match]);
    for (const raw of ['', 'x', '{}', JSON.stringify({ ...ended, reason: 'bye' })]) {
      const odd = decodeSessionRecord({ ...hash, ended: raw, match: raw });
      assert.deepEqual([odd?.ended, odd?.match], [undefined, NO_MATCH_PREFERENCES]);
    }
  });
});
