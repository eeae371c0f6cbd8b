// @topologies single cluster
// Direct tests of chat_move and every session_* script against a real redis-server (or a
// cluster with TEST_REDIS=cluster), through the typed commands and named replies.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createLogger } from '@strangers/config';
import { startTestRedis, type TestRedisHandle } from '@strangers/testkit';
import {
  ChatMoveReply,
  ChatSendReply,
  createRedisClient,
  decodeSessionRecord,
  encodeSessionRecord,
  keys,
  OrphanIndexDropReply,
  SessionAssignReply,
  SessionClaimReply,
  SessionField,
  SessionOrphanReply,
  SessionReapReply,
  StreamDropIdleReply,
  type Redis,
  type SessionRecordWrite,
} from '../src/index.js';

let server: TestRedisHandle;
let redis: Redis;
before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ url: server.url, logger: createLogger({ name: 't', level: 'silent' }), connectionName: 'test' });
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

const OWNER = 'gwA|boot1';
const record = (overrides: Partial<SessionRecordWrite> = {}): SessionRecordWrite => ({
  token: 'tok',
  prevToken: undefined,
  ipHash: 'ip',
  state: 'waiting',
  gen: 3,
  interests: ['go'],
  requeue: true,
  chat: undefined,
  left: undefined,
  match: { lang: ['en'], age: 'adult', media: 'text' },
  ended: undefined,
  ...overrides,
});
async function create(sid: string, fields = record(), owner = OWNER): Promise<void> {
  assert.equal(await redis.sessionCreate(keys.session(sid), 60, ...encodeSessionRecord(fields, { owner, detached: false })), 1);
}
async function read(sid: string) {
  return decodeSessionRecord(await redis.hgetall(keys.session(sid)));
}

test('session_create writes the whole record with its TTL; it decodes back to what was written', async () => {
  await create('s-create');
  assert.ok((await redis.ttl(keys.session('s-create'))) > 0);
  assert.deepEqual(await read('s-create'), { ...record(), detached: false, owner: OWNER, orphan: undefined });
});

test('session_claim: a wrong token is unknown, a wrong owner changed, the right one claimed', async () => {
  await create('s-claim');
  const claim = (token: string, expected: string) => redis.sessionClaim(keys.session('s-claim'), 's-claim', token, expected, 'gwB|boot2');
  assert.equal(await claim('nope', OWNER), SessionClaimReply.unknown);
  assert.equal(await redis.sessionClaim(keys.session('s-missing'), 's-missing', 'tok', OWNER, 'gwB|boot2'), SessionClaimReply.unknown);
  assert.equal(await claim('tok', 'gwC|other'), SessionClaimReply.ownerChanged);
  assert.equal(await claim('tok', ''), SessionClaimReply.ownerChanged, 'not an orphan');
  assert.equal(await claim('tok', OWNER), SessionClaimReply.claimed);
  const claimed = await read('s-claim');
  assert.equal(claimed?.owner, 'gwB|boot2');
  assert.equal(claimed?.detached, false);
});

test('session_claim takes the previous token too (a lost `resumed`), and no other', async () => {
  await create('s-rotated');
  await redis.hset(keys.session('s-rotated'), 'token', 'tok2', 'ptoken', 'tok');
  assert.equal(await redis.sessionClaim(keys.session('s-claim-none'), 's-claim-none', '', OWNER, 'gwB|boot2'), SessionClaimReply.unknown);
  const claim = (token: string) => redis.sessionClaim(keys.session('s-rotated'), 's-rotated', token, OWNER, 'gwB|boot2');
  assert.equal(await claim('older'), SessionClaimReply.unknown);
  assert.equal(await claim(''), SessionClaimReply.unknown);
  assert.equal(await claim('tok'), SessionClaimReply.claimed);
  await redis.hset(keys.session('s-rotated'), 'owner', OWNER);
  assert.equal(await claim('tok2'), SessionClaimReply.claimed);
});

test('session_orphan, then session_claim of the orphan: whoever removes the marker first owns it', async () => {
  await create('s-orphan');
  assert.equal(await redis.sessionOrphan(keys.session('s-orphan'), 's-orphan', 'gwC|other', 1000), SessionOrphanReply.notOwner);
  assert.equal(await redis.sessionOrphan(keys.session('s-gone'), 's-gone', OWNER, 1000), SessionOrphanReply.notOwner);
  assert.equal(await redis.sessionOrphan(keys.session('s-orphan'), 's-orphan', OWNER, 1000), SessionOrphanReply.orphaned);
  const orphan = await read('s-orphan');
  assert.deepEqual([orphan?.owner, orphan?.detached, orphan?.orphan], ['', true, 1000]);
  assert.equal(await redis.sessionClaim(keys.session('s-orphan'), 's-orphan', 'tok', '', 'gwB|boot2'), SessionClaimReply.claimed);
  assert.equal((await read('s-orphan'))?.orphan, undefined, 'the marker is gone');
  // A reaper coming second finds no orphan.
  assert.equal(await redis.sessionReap(keys.session('s-orphan'), 5000), SessionReapReply.notOrphan);
});

test('session_reap: later before the deadline, take after it (once), notOrphan for an owned or missing session', async () => {
  await create('s-reap');
  assert.equal(await redis.sessionReap(keys.session('s-reap'), 5000), SessionReapReply.notOrphan, 'owned');
  assert.equal(await redis.sessionReap(keys.session('s-nobody'), 5000), SessionReapReply.notOrphan, 'missing');
  await redis.sessionOrphan(keys.session('s-reap'), 's-reap', OWNER, 2000);
  assert.equal(await redis.sessionReap(keys.session('s-reap'), 1999), SessionReapReply.later);
  assert.equal(await redis.sessionReap(keys.session('s-reap'), 2000), SessionReapReply.take);
  assert.equal(await redis.sessionReap(keys.session('s-reap'), 2000), SessionReapReply.notOrphan, 'taken once');
  // A resume coming second cannot claim it.
  assert.equal(await redis.sessionClaim(keys.session('s-reap'), 's-reap', 'tok', '', 'gwB|boot2'), SessionClaimReply.ownerChanged);
});

test('session_assign stores a pairing only for the expected owner while waiting with that gen', async () => {
  await create('s-assign');
  const assign = (owner: string, gen: number) => redis.sessionAssign(keys.session('s-assign'), owner, gen, '0.chat', 'p', 'gwP', '["go"]');
  assert.equal(await assign('gwC|other', 3), SessionAssignReply.notWaiting, 'another owner');
  assert.equal(await assign(OWNER, 2), SessionAssignReply.notWaiting, 'an older gen');
  assert.equal(await assign(OWNER, 3), SessionAssignReply.stored);
  const paired = await read('s-assign');
  assert.equal(paired?.state, 'paired');
  assert.deepEqual(paired?.chat, { id: '0.chat', partner: 'p', partnerGateway: 'gwP', interests: ['go'] });
  assert.equal(paired?.left, undefined);
  assert.equal(await assign(OWNER, 3), SessionAssignReply.notWaiting, 'already paired');
  // An orphan ('' owner) is assigned the same way.
  await create('s-assign-orphan');
  await redis.sessionOrphan(keys.session('s-assign-orphan'), 's-assign-orphan', OWNER, 1000);
  assert.equal(await redis.sessionAssign(keys.session('s-assign-orphan'), '', 3, '0.c2', 'p', 'gwP', '[]'), SessionAssignReply.stored);
});

test('orphan_index_drop drops only the entry with the score the reaper read', async () => {
  const index = keys.sessionOrphans(0);
  await redis.zadd(index, 1000, 's-index');
  assert.equal(await redis.orphanIndexDrop(index, 's-index', 999), OrphanIndexDropReply.kept);
  assert.equal(await redis.orphanIndexDrop(index, 's-absent', 1000), OrphanIndexDropReply.kept);
  assert.equal(await redis.orphanIndexDrop(index, 's-index', 1000), OrphanIndexDropReply.dropped);
  assert.equal(await redis.zscore(index, 's-index'), null);
});

test('stream_drop_idle deletes a stream only once its newest entry is older than the retention', async () => {
  const control = keys.gatewayControl('gw-idle');
  const inbox = keys.gatewayInbox(0, 'gw-idle');
  assert.deepEqual(await redis.streamDropIdle(control, 60_000), [StreamDropIdleReply.absent, 0]);
  // An entry stamped in 1970 (explicit id), then one stamped now by Redis.
  await redis.xadd(inbox, '1000-0', 'k', 'v');
  await redis.xadd(control, '1000-0', 'k', 'v');
  const recent = await redis.xadd(control, '*', 'k', 'v');
  const [kept, newest] = await redis.streamDropIdle(control, 60_000);
  assert.equal(kept, StreamDropIdleReply.kept, 'its newest entry is recent');
  assert.equal(newest, Number(recent!.split('-')[0]));
  assert.equal(await redis.exists(control), 1);
  assert.deepEqual(await redis.streamDropIdle(inbox, 60_000), [StreamDropIdleReply.deleted, 1000]);
  assert.equal(await redis.exists(inbox), 0);
  // An empty stream (every entry trimmed) holds nothing to lose.
  await redis.xadd(inbox, '*', 'k', 'v');
  await redis.xtrim(inbox, 'MAXLEN', 0);
  assert.deepEqual(await redis.streamDropIdle(inbox, 60_000), [StreamDropIdleReply.deleted, 0]);
  assert.equal(await redis.exists(inbox), 0);
});

const send = (chat: string, from: string, fromGw: string, to: string, toGw: string, text: string, ts: number) =>
  redis.chatSend(keys.chat(chat), keys.chatLog(chat), keys.gatewayInbox(0, toGw), chat, from, fromGw, to, toGw, text, ts, 100, 1000, 60, 1_000_000);

test("chat_move points the member's gateway at the new one and returns the partner's messages after `last`, oldest first", async () => {
  assert.deepEqual(await send('0.m1', 'b', 'gwB', 'a', 'gwA', 'one', 11), [ChatSendReply.stored, 1]);
  assert.deepEqual(await send('0.m1', 'a', 'gwA', 'b', 'gwB', 'mine', 12), [ChatSendReply.stored, 2]);
  assert.deepEqual(await send('0.m1', 'b', 'gwB', 'a', 'gwA', 'two', 13), [ChatSendReply.stored, 3]);
  const moved = await redis.chatMove(keys.chat('0.m1'), keys.chatLog('0.m1'), 'a', 'gwNew', 1, 'b', 'gwB', 60);
  assert.deepEqual(moved, [ChatMoveReply.moved, 1, 3, '13', 'two'], "all kept (1), then only b's messages after seq 1");
  // Trimmed past `last + 1`: not everything after `last` is kept any more.
  await redis.xtrim(keys.chatLog('0.m1'), 'MAXLEN', 1);
  assert.deepEqual(await redis.chatMove(keys.chat('0.m1'), keys.chatLog('0.m1'), 'a', 'gwNew', 1, 'b', 'gwB', 60), [ChatMoveReply.moved, 0, 3, '13', 'two']);
  assert.deepEqual((await redis.chatMove(keys.chat('0.m1'), keys.chatLog('0.m1'), 'a', 'gwNew', 2, 'b', 'gwB', 60)).slice(0, 2), [ChatMoveReply.moved, 1]);
  assert.equal(await redis.hget(keys.chat('0.m1'), 'gw:a'), 'gwNew');
  // b now sending to a on the old gateway is told where a went.
  assert.deepEqual(await send('0.m1', 'b', 'gwB', 'a', 'gwA', 'x', 14), [ChatSendReply.partnerMoved, 'gwNew']);
});

test('chat_move creates an untouched chat with the new gateway, refuses a non-member, reports an ended chat', async () => {
  assert.deepEqual(await redis.chatMove(keys.chat('0.m2'), keys.chatLog('0.m2'), 'a', 'gwNew', 0, 'b', 'gwB', 60), [ChatMoveReply.moved, 1]);
  assert.deepEqual(await redis.hmget(keys.chat('0.m2'), 'gw:a', 'gw:b', 'seq'), ['gwNew', 'gwB', '0']);
  assert.ok((await redis.ttl(keys.chat('0.m2'))) > 0);
  assert.deepEqual(await redis.chatMove(keys.chat('0.m2'), keys.chatLog('0.m2'), 'mallory', 'gwM', 0, 'b', 'gwB', 60), [ChatMoveReply.notMember]);
  await redis.chatEnd(keys.chat('0.m2'), keys.chatLog('0.m2'), keys.gatewayInbox(0, 'gwB'), '0.m2', 'a', 'gwNew', 'b', 'gwB', 'next', 1000, 60);
  assert.deepEqual(await redis.chatMove(keys.chat('0.m2'), keys.chatLog('0.m2'), 'b', 'gwB2', 0, 'a', 'gwNew', 60), [ChatMoveReply.ended, 'next']);
});

test("each session script's header cites only SessionField names, and every field it touches is one", () => {
  const names = new Set<string>(Object.values(SessionField));
  const dir = new URL('../lua/', import.meta.url);
  const scripts = readdirSync(dir).filter((file) => file.startsWith('session_'));
  assert.ok(scripts.length >= 5);
  for (const file of scripts) {
    const source = readFileSync(new URL(file, dir), 'utf8');
    const cited = /^-- Record fields \(SessionField[^)]*\): (.+)$/m.exec(source);
    assert.ok(cited, `${file} cites its record fields`);
    if (file !== 'session_create.lua') {
      for (const field of cited[1]!.split(',').map((name) => name.trim())) assert.ok(names.has(field), `${file}: ${field} is a SessionField`);
    }
    // Field names the script names by literal: every argument of HMGET/HGET/HDEL, every other one of HSET.
    for (const call of source.matchAll(/redis\.call\('(HSET|HMGET|HGET|HDEL)', KEYS\[1\], ([^)]*)\)/g)) {
      const args = call[2]!.split(', ');
      const fields = call[1] === 'HSET' ? args.filter((_, index) => index % 2 === 0) : args;
      for (const field of fields) {
        const literal = /^'([A-Za-z]+)'$/.exec(field);
        if (literal) assert.ok(names.has(literal[1]!), `${file}: '${literal[1]}' is a SessionField`);
      }
    }
  }
});
