import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClientFrameTypes,
  createClientFrameDecoder,
  defaultLimits,
  ErrorCode,
  errorCodeSchema,
  FRAME_VALID_IN,
  isFrameValidIn,
  isLeftReason,
  isLongerThan,
  LeftReason,
  leftReasonSchema,
  serverFrameSchema,
  SessionState,
  sessionStateSchema,
} from '../src/index.js';

test('the zod enums are the code tables', () => {
  assert.deepEqual(errorCodeSchema.options, Object.values(ErrorCode));
  assert.deepEqual(leftReasonSchema.options, Object.values(LeftReason));
  assert.deepEqual(sessionStateSchema.options, Object.values(SessionState));
  assert.equal(isLeftReason('next'), true);
  assert.equal(isLeftReason('bored'), false);
});

test('server frames accept exactly the codes of the tables', () => {
  for (const code of Object.values(ErrorCode)) assert.equal(serverFrameSchema.safeParse({ type: 'error', code, message: '' }).success, true, code);
  for (const reason of Object.values(LeftReason)) assert.equal(serverFrameSchema.safeParse({ type: 'partner_left', reason }).success, true, reason);
  assert.equal(serverFrameSchema.safeParse({ type: 'error', code: 'nope', message: '' }).success, false);
});

test('the valid-when table of PROTOCOL.md §1 covers every client frame type, and the decoder knows the same types', () => {
  const decoder = createClientFrameDecoder(defaultLimits);
  assert.deepEqual(Object.keys(FRAME_VALID_IN).sort(), Object.values(ClientFrameTypes).sort());
  for (const type of Object.values(ClientFrameTypes)) {
    const result = decoder.decode(JSON.stringify({ type }));
    assert.ok(result.ok || result.message !== `unknown frame type "${type}"`, type);
  }
  assert.equal(isFrameValidIn('join', 'idle'), true);
  assert.equal(isFrameValidIn('join', 'waiting'), false);
  assert.equal(isFrameValidIn('message', 'paired'), true);
  assert.equal(isFrameValidIn('message', 'waiting'), false);
  assert.equal(isFrameValidIn('next', 'waiting'), true);
  assert.equal(isFrameValidIn('next', 'idle'), false);
  assert.equal(isFrameValidIn('leave', 'idle'), true);
  assert.equal(isFrameValidIn('report', 'waiting'), false);
});

test('text length is counted in code points', () => {
  assert.equal(isLongerThan('😀😀', 2), false);
  assert.equal(isLongerThan('😀😀😀', 2), true);
  assert.equal(isLongerThan('abc', 2), true);
});
