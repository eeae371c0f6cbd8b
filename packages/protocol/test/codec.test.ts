import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClientFrameDecoder, defaultLimits, encodeServerFrame, serverFrameSchema } from '../src/index.js';

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

  test('schema violations name the offending field', () => {
    const result = decoder.decode(JSON.stringify({ type: 'message', text: 'hi', id: 'x'.repeat(65) }));
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.message : '', /^id: /);
  });
});

describe('server frames', () => {
  test('encoded frames validate against the schema clients use', () => {
    const frames = [
      { type: 'welcome', session: 's', resumeToken: 't', online: 3 },
      { type: 'ack', id: 'c1', seq: 16 },
      { type: 'partner_left', reason: 'reported' },
      { type: 'error', code: 'rate_limited', message: 'slow down' },
    ] as const;
    for (const frame of frames) assert.deepEqual(serverFrameSchema.parse(JSON.parse(encodeServerFrame(frame))), frame);
  });
});
