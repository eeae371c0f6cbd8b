import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLOSE_ADVICE,
  CloseCode,
  closeAdvice,
  createClientFrameDecoder,
  createClientFrameSchema,
  defaultLimits,
  encodeServerFrame,
  serverFrameSchema,
} from '../src/index.js';

const decoder = createClientFrameDecoder(defaultLimits);

describe('client frame decoder', () => {
  test('join: interests are trimmed, lower-cased and de-duplicated; unknown fields ignored', () => {
    const result = decoder.decode('{"type":"join","interests":[" Music","music","GO "],"requeue":false,"x":1}');
    assert.deepEqual(result, { ok: true, frame: { type: 'join', interests: ['music', 'go'], requeue: false } });
  });

  test('malformed JSON, non-objects and missing types are invalid_message with a reason', () => {
    for (const raw of ['{', '[]', 'null', '"x"', '{"text":"hi"}', '{"type":1}']) {
      const result = decoder.decode(raw);
      assert.equal(result.ok, false, raw);
      assert.equal(!result.ok && result.code, 'invalid_message', raw);
    }
  });

  test('unknown types name the type in the message', () => {
    assert.deepEqual(decoder.decode('{"type":"dance"}'), {
      ok: false,
      code: 'invalid_message',
      message: 'unknown frame type "dance"',
    });
  });

  test('text length is counted in characters, not UTF-16 units', () => {
    const limits = { ...defaultLimits, maxTextLength: 3 };
    const small = createClientFrameDecoder(limits);
    assert.equal(small.decode(JSON.stringify({ type: 'message', text: '😀😀😀' })).ok, true);
    const tooLong = small.decode(JSON.stringify({ type: 'message', text: '😀😀😀😀' }));
    assert.equal(!tooLong.ok && tooLong.code, 'text_too_long');
  });

  test('a refused frame with a valid id has it in the result, to echo in the error (v1.1)', () => {
    const small = createClientFrameDecoder({ ...defaultLimits, maxTextLength: 3 });
    assert.deepEqual(small.decode(JSON.stringify({ type: 'message', text: 'four', id: 'c9' })), {
      ok: false,
      code: 'text_too_long',
      message: 'text is longer than 3 characters',
      id: 'c9',
    });
    const bad = decoder.decode(JSON.stringify({ type: 'message', text: 7, id: 'c8' }));
    assert.equal(!bad.ok && bad.id, 'c8');
    const badId = decoder.decode(JSON.stringify({ type: 'message', text: 'hi', id: 'x'.repeat(65) }));
    assert.equal(!badId.ok && badId.id, undefined);
  });

  test('schema violations name the offending field', () => {
    const result = decoder.decode(JSON.stringify({ type: 'message', text: 'hi', id: 'x'.repeat(65) }));
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.message : '', /^id: /);
  });
});

describe('v1.1 fields', () => {
  test('chat-scoped frames keep their chat; report takes a category', () => {
    assert.deepEqual(decoder.decode('{"type":"message","text":"hi","id":"c1","chat":"0.ab"}'), {
      ok: true,
      frame: { type: 'message', text: 'hi', id: 'c1', chat: '0.ab' },
    });
    assert.deepEqual(decoder.decode('{"type":"next","chat":"0.ab"}'), { ok: true, frame: { type: 'next', chat: '0.ab' } });
    assert.deepEqual(decoder.decode('{"type":"typing","typing":true,"chat":"0.ab"}'), {
      ok: true,
      frame: { type: 'typing', typing: true, chat: '0.ab' },
    });
    assert.deepEqual(decoder.decode('{"type":"report","category":"minor_safety","chat":"0.ab"}'), {
      ok: true,
      frame: { type: 'report', category: 'minor_safety', chat: '0.ab' },
    });
    const badCategory = decoder.decode('{"type":"report","category":"rude"}');
    assert.equal(!badCategory.ok && badCategory.code, 'invalid_message');
  });

  test('join takes lang (ISO 639-1, at most 3), adult, media and proof', () => {
    assert.deepEqual(decoder.decode('{"type":"join","lang":["EN","es","en"],"adult":true,"media":"video","proof":"eyJ9"}'), {
      ok: true,
      frame: { type: 'join', lang: ['en', 'es'], adult: true, media: 'video', proof: 'eyJ9' },
    });
    for (const bad of ['{"type":"join","lang":["eng"]}', '{"type":"join","lang":["a","b","c","d"]}', '{"type":"join","media":"hologram"}', '{"type":"join","adult":"yes"}']) {
      const result = decoder.decode(bad);
      assert.equal(!result.ok && result.code, 'invalid_message', bad);
    }
  });

  test('signal keeps its chat and data object (checked further by the gateway); ice has no fields', () => {
    const data = { type: 'offer', sdp: 'v=0\r\n' };
    assert.deepEqual(decoder.decode(JSON.stringify({ type: 'signal', chat: '0.ab', data, x: 1 })), { ok: true, frame: { type: 'signal', chat: '0.ab', data } });
    assert.deepEqual(decoder.decode('{"type":"ice","chat":"0.ab"}'), { ok: true, frame: { type: 'ice' } });
    for (const raw of ['{"type":"signal"}', '{"type":"signal","data":"v=0"}', '{"type":"signal","data":[1]}', '{"type":"signal","data":{},"chat":""}']) {
      const result = decoder.decode(raw);
      assert.equal(!result.ok && result.code, 'invalid_message', raw);
    }
  });

  test('next with a proof keeps it', () => {
    assert.deepEqual(decoder.decode('{"type":"next","proof":"abc"}'), { ok: true, frame: { type: 'next', proof: 'abc' } });
  });
});

describe('server frames', () => {
  test('encoded frames validate against the schema clients use', () => {
    const frames = [
      { type: 'welcome', session: 's', resumeToken: 't', online: 3 },
      { type: 'ack', id: 'c1', seq: 16 },
      { type: 'partner_left', reason: 'reported' },
      { type: 'error', code: 'rate_limited', message: 'slow down' },
      { type: 'error', code: 'stale_chat', message: 'that chat has ended', id: 'c2' },
      { type: 'resumed', state: 'paired', chat: '0.ab', resumeToken: 't2', recovered: false },
      { type: 'paired', chat: '0.ab', interests: [], lang: ['en'], rematch: true, media: 'video', role: 'offer', ice: [{ urls: ['turn:127.0.0.1:3478'], username: '1:s', credential: 'c' }] },
      { type: 'banned', ban: 'b1', reason: 'spam', until: 1735689600000, appeal: 'https://example.test/appeal/b1' },
      { type: 'rematch_offer', chat: '0.ab' },
      { type: 'signal', data: { sdp: 'v=0' } },
      { type: 'paired', chat: '0.ab', interests: [], media: 'audio', role: 'answer', ice: [], iceTransportPolicy: 'relay' },
      { type: 'ice', ice: [{ urls: ['turn:127.0.0.1:3478'], username: '1:s', credential: 'c' }], iceTransportPolicy: 'relay' },
      { type: 'ice', ice: [] },
    ] as const;
    for (const frame of frames) assert.deepEqual(serverFrameSchema.parse(JSON.parse(encodeServerFrame(frame))), frame);
  });

  test('iceTransportPolicy is all or relay (the relay-only hint, an addition to PROTOCOL.md §4)', () => {
    for (const type of ['paired', 'ice'] as const) {
      const frame = type === 'paired' ? { type, chat: '0.ab', interests: [], ice: [] } : { type, ice: [] };
      assert.equal(serverFrameSchema.safeParse({ ...frame, iceTransportPolicy: 'all' }).success, true);
      assert.equal(serverFrameSchema.safeParse({ ...frame, iceTransportPolicy: 'none' }).success, false, type);
    }
  });
});

describe('hand-decoded frames', () => {
  const limits = { ...defaultLimits, maxInterests: 3, maxInterestLength: 4 };
  const small = createClientFrameDecoder(limits);
  const schema = createClientFrameSchema(limits);
  const values: Record<string, unknown[]> = {
    type: ['join', 'message', 'typing', 'next', 'leave'],
    text: [undefined, '', 'hi', 1],
    id: [undefined, 'c1', 'x'.repeat(65), 2],
    typing: [undefined, true, false, 'true', 0],
    interests: [undefined, null, [], [' Go ', 'go', 'MUSIC'], ['a', 'b', 'c', 'd'], ['toolong'], ['  '], ['İİ'], [1], 'go', {}],
    requeue: [undefined, true, false, 'false', null],
    chat: [undefined, '0.abc', '', 'x'.repeat(129), 3],
    extra: [undefined, 1],
  };
  /** Every combination of the values above, fields left out where undefined. */
  function* frames(fields = Object.keys(values), frame: Record<string, unknown> = {}): Generator<Record<string, unknown>> {
    const [field, ...rest] = fields;
    if (field === undefined) return yield frame;
    for (const value of values[field]!) yield* frames(rest, value === undefined ? frame : { ...frame, [field]: value });
  }

  test('agree with the schema on valid and invalid frames alike', () => {
    let accepted = 0;
    for (const frame of frames()) {
      const raw = JSON.stringify(frame);
      const parsed = schema.safeParse(frame);
      const result = small.decode(raw);
      assert.equal(result.ok, parsed.success, raw);
      if (result.ok && parsed.success) {
        assert.deepEqual(result.frame, parsed.data, raw);
        accepted += 1;
      }
    }
    assert.ok(accepted > 100, `only ${accepted} frames were valid`);
  });
});

describe('close codes', () => {
  test('each code the gateway uses comes with advice; taken-over and banned mean stop, drops mean resume', () => {
    for (const code of Object.values(CloseCode)) assert.ok(CLOSE_ADVICE[code], `no advice for ${code}`);
    assert.equal(closeAdvice(CloseCode.sessionTakenOver), 'stop');
    assert.equal(closeAdvice(CloseCode.banned), 'stop');
    assert.equal(closeAdvice(CloseCode.serviceRestart), 'resume');
    assert.equal(closeAdvice(1006), 'resume');
  });
});
