import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClientFrameDecoder, createClientFrameSchema, defaultLimits, encodeServerFrame, serverFrameSchema } from '../src/index.js';

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
