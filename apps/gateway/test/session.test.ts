import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSessionRecord } from '@strangers/redis';
import { Session } from '../src/chat/session.js';

/** A field list as a record, to compare with `toRecord`. */
function asRecord(fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
  return record;
}

test('the first write of a session has its whole record', () => {
  const session = new Session('hash');
  assert.deepEqual(asRecord(session.fieldsToWrite('gw|boot', false)), { ...session.toRecord(), detached: '0', owner: 'gw|boot' });
});

test('later writes have only what changed since the last one', () => {
  const session = new Session('hash');
  session.fieldsToWrite('gw|boot', false);
  assert.deepEqual(asRecord(session.fieldsToWrite(undefined, true)), { detached: '1' });

  session.interests = ['go'];
  session.state = 'waiting';
  session.gen += 1;
  assert.deepEqual(asRecord(session.fieldsToWrite(undefined, false)), { state: 'waiting', gen: '1', interests: '["go"]', detached: '0' });
  assert.deepEqual(session.fieldsToWrite(undefined, false), [], 'nothing changed, nothing to write');

  session.state = 'paired';
  session.chat = { id: 'c1', partner: 'p1', partnerGateway: 'gw-b', interests: ['go'], lastDeliveredSeq: 0 };
  assert.deepEqual(asRecord(session.fieldsToWrite(undefined, false)), {
    state: 'paired',
    chat: 'c1',
    partner: 'p1',
    pgw: 'gw-b',
    cint: '["go"]',
  });

  session.chat.partnerGateway = 'gw-c'; // the partner resumed elsewhere
  assert.deepEqual(asRecord(session.fieldsToWrite(undefined, false)), { pgw: 'gw-c' });

  session.chat = undefined;
  session.state = 'idle';
  session.missedLeft = 'next';
  assert.deepEqual(asRecord(session.fieldsToWrite(undefined, true)), {
    state: 'idle',
    chat: '',
    partner: '',
    pgw: '',
    cint: '[]',
    left: 'next',
    detached: '1',
  });
});

test('after a failed write the next one has every field again', () => {
  const session = new Session('hash');
  session.fieldsToWrite('gw|boot', false);
  session.state = 'waiting';
  session.fieldsToWrite(undefined, false);
  session.forgetWritten();
  assert.deepEqual(asRecord(session.fieldsToWrite(undefined, false)), { ...session.toRecord(), detached: '0' });
});

test('a session read back from its record writes it whole the first time', () => {
  const original = new Session('hash');
  original.state = 'paired';
  original.chat = { id: 'c1', partner: 'p1', partnerGateway: 'gw-b', interests: [], lastDeliveredSeq: 0 };
  const record = decodeSessionRecord(original.toRecord());
  assert.ok(record, 'the record decodes');
  const copy = Session.fromRecord(original.id, record);
  assert.deepEqual(asRecord(copy.fieldsToWrite(undefined, true)), { ...original.toRecord(), detached: '1' });
});
