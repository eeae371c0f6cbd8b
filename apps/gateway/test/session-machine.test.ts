// @topologies single cluster
// In-process tests of the `/ws` session state machine (src/chat/session-machine.ts), driven
// directly: no gateway, no socket, but the real stores against a real Redis. Frames the
// client would get are recorded in order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@strangers/config';
import type { ServerFrame } from '@strangers/protocol';
import { chatBucket, createRedisClient, fieldsToRecord, keys, type PairedEntry, type Redis } from '@strangers/redis';
import { startTestRedis, waitFor, type TestRedisHandle } from '@strangers/testkit';
import { ChatStore } from '../src/chat/chat-store.js';
import { SessionMachine, type SessionMachineDeps } from '../src/chat/session-machine.js';
import { SessionStore } from '../src/chat/session-store.js';
import { Session, type ChatLink } from '../src/chat/session.js';

const GATEWAY = 'gwT';
const PARTNER_GATEWAY = 'gwB';
const logger = createLogger({ name: 'session-machine-test', level: 'silent' });
const storeSettings = { historyMaxMessages: 100, historyMaxBytes: 1_000_000, eventsMaxLength: 100_000, chatTtlSeconds: 60, inboxMaxLength: 1000, chatBuckets: 1 };

let server: TestRedisHandle;
let redis: Redis;
let deps: Omit<SessionMachineDeps, 'onFinished'>;
/** The partner's side: its gateway's chat store, to send into a chat as the partner. */
let partnerChats: ChatStore;

/** A session whose client is an array: `frames` is what it was sent, in order. */
class RecordingSession extends SessionMachine {
  readonly frames: ServerFrame[] = [];
  private connected = true;

  constructor(session = new Session('ip-hash')) {
    super(session, { ...deps, onFinished: () => {} });
  }

  get attached(): boolean {
    return this.connected;
  }

  send(frame: ServerFrame): void {
    if (this.connected) this.frames.push(frame);
  }

  /** The socket dropped: the grace starts. */
  drop(): void {
    this.connected = false;
    this.startGrace();
  }

  /** A resume as ChatConnection.resumeOn runs it: the Redis half, then a new socket, then the frames. */
  async resumeHere(lastSeq: number): Promise<void> {
    let plan;
    try {
      plan = await this.prepareResume(lastSeq, this.session.resumeToken);
    } catch (error) {
      this.abandonResume();
      throw error;
    }
    this.stopGrace();
    this.connected = true;
    this.completeResume(plan);
  }

  framesOf<T extends ServerFrame['type']>(type: T): Extract<ServerFrame, { type: T }>[] {
    return this.frames.filter((frame): frame is Extract<ServerFrame, { type: T }> => frame.type === type);
  }
}

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ url: server.url, logger, connectionName: 'session-machine-test' });
  const store = new SessionStore(redis, { owner: `${GATEWAY}|boot`, recordTtlSeconds: 60 });
  deps = {
    gatewayId: GATEWAY,
    resumeGraceMs: 60_000,
    chats: new ChatStore(redis, { gatewayId: GATEWAY, ...storeSettings }),
    store,
    online: () => 1,
    logger,
    matching: { agePolicy: { adultsOnly: false, ageRequired: false, ageCheck: undefined }, rematchWindowMs: 60_000 },
  };
  partnerChats = new ChatStore(redis, { gatewayId: PARTNER_GATEWAY, ...storeSettings });
});

after(async () => {
  redis.disconnect();
  await server.stop();
});

function assignment(machine: SessionMachine, chat: string, gen: number, partner = 'partner'): PairedEntry {
  return { t: 'paired', to: machine.session.id, gen, chat, partner, pgw: PARTNER_GATEWAY, interests: [], lang: [], media: 'text', rematch: false };
}

/** The chat as the partner sees it, to send into it from the partner's gateway. */
function partnerLink(machine: SessionMachine, chat: string): ChatLink {
  return { id: chat, partner: machine.session.id, partnerGateway: GATEWAY, interests: [], lastDeliveredSeq: 0 };
}

async function partnerInbox(chat: string): Promise<Record<string, string>[]> {
  const entries = await redis.xrange(keys.gatewayInbox(chatBucket(chat), PARTNER_GATEWAY), '-', '+');
  return entries.map(([, fields]) => fieldsToRecord(fields)).filter((entry) => entry.chat === chat);
}

/** A machine in `chat`, paired by the matcher's assignment. */
function pairedMachine(chat: string): RecordingSession {
  const machine = new RecordingSession();
  machine.onFrame({ type: 'join' });
  machine.onPaired(assignment(machine, chat, machine.session.gen));
  assert.equal(machine.session.state, 'paired');
  return machine;
}

test('a frame not valid in the current state is refused with invalid_state and changes nothing', () => {
  const machine = new RecordingSession();
  machine.onFrame({ type: 'message', text: 'hi' });
  machine.onFrame({ type: 'next' });
  assert.deepEqual(
    machine.frames.map((frame) => frame.type === 'error' && frame.code),
    ['invalid_state', 'invalid_state'],
  );
  assert.equal(machine.session.state, 'idle');
});

test('a stale pair assignment is ended at once (the partner is told `left`) and never reaches the client', async () => {
  const machine = new RecordingSession();
  machine.onFrame({ type: 'join' }); // gen 1
  machine.onFrame({ type: 'leave' });
  machine.onPaired(assignment(machine, '0.stale-left', 1)); // the client left after the matcher paired it
  machine.onFrame({ type: 'join' }); // gen 2
  machine.onPaired(assignment(machine, '0.stale-rejoined', 1)); // an assignment for the earlier join
  assert.equal(machine.session.state, 'waiting');
  assert.deepEqual(machine.framesOf('paired'), []);
  for (const chat of ['0.stale-left', '0.stale-rejoined']) {
    const [left] = await waitFor(async () => {
      const entries = await partnerInbox(chat);
      return entries.length > 0 ? entries : undefined;
    }, { what: `partner told the stale chat ${chat} ended` });
    assert.deepEqual([left!.t, left!.to, left!.reason, left!.by], ['left', 'partner', 'left', machine.session.id]);
    assert.equal(await redis.hget(keys.chat(chat), 'ended'), 'left');
  }

  // The current assignment pairs; the same one again (re-sent after a move) changes nothing.
  machine.onPaired(assignment(machine, '0.current', 2));
  machine.onPaired(assignment(machine, '0.current', 2));
  assert.equal(machine.session.state, 'paired');
  assert.deepEqual(machine.framesOf('paired'), [{ type: 'paired', chat: '0.current', interests: [] }]);
  assert.equal(await redis.hget(keys.chat('0.current'), 'ended'), null);
});

test('a resume replays the missed messages after `last`, then what arrived live meanwhile, in order and once each', async () => {
  const chat = '0.replay';
  const machine = pairedMachine(chat);
  const link = partnerLink(machine, chat);
  await partnerChats.send('partner', link, 'one', 1);
  machine.drop();
  await partnerChats.send('partner', link, 'two', 2);
  await partnerChats.send('partner', link, 'three', 3);
  // Delivered live while detached: left in the history for the resume.
  machine.onInbox({ t: 'msg', to: machine.session.id, chat, seq: 3, text: 'three', ts: 3 });
  const resumed = machine.resumeHere(1);
  // While the history is read: the live copy of `three` again, then a new message.
  machine.onInbox({ t: 'msg', to: machine.session.id, chat, seq: 3, text: 'three', ts: 3 });
  const four = await partnerChats.send('partner', link, 'four', 4);
  assert.deepEqual(four, { stored: true, seq: 4 });
  machine.onInbox({ t: 'msg', to: machine.session.id, chat, seq: 4, text: 'four', ts: 4 });
  await resumed;
  const afterResume = machine.frames.slice(machine.frames.findIndex((frame) => frame.type === 'resumed'));
  assert.deepEqual(afterResume, [
    { type: 'resumed', state: 'paired', chat, resumeToken: machine.session.resumeToken, recovered: true },
    { type: 'message', text: 'two', seq: 2, ts: 2 },
    { type: 'message', text: 'three', seq: 3, ts: 3 },
    { type: 'message', text: 'four', seq: 4, ts: 4 },
  ]);
});

test('a resume whose chat move fails sends nothing and leaves the session detached, following its chat, resumable again', async () => {
  const chat = '0.broken';
  const machine = pairedMachine(chat);
  const token = machine.session.resumeToken;
  machine.drop();
  const before = machine.frames.length;
  // A chat key of the wrong type: Redis fails the move script (WRONGTYPE).
  await redis.set(keys.chat(chat), 'not a hash');
  const resumed = machine.resumeHere(0);
  machine.onInbox({ t: 'msg', to: machine.session.id, chat, seq: 1, text: 'live', ts: 1 });
  machine.onInbox({ t: 'left', to: machine.session.id, chat, reason: 'next', by: 'partner' });
  await assert.rejects(resumed, /WRONGTYPE/);
  assert.equal(machine.frames.length, before, 'no resumed, nothing else');
  assert.equal(machine.attached, false);
  // What arrived meanwhile was handled as for any detached session: the departure is kept for the next resume.
  assert.equal(machine.session.state, 'idle');
  assert.equal(machine.session.missedLeft, 'next');
  assert.equal(machine.session.resumeToken, token, 'the token was not rotated');
  await redis.del(keys.chat(chat));
  await machine.resumeHere(0);
  assert.deepEqual(
    machine.frames.slice(before).map((frame) => frame.type),
    ['resumed', 'partner_left', 'waiting'],
  );
});

test('a resume into a chat that ended meanwhile answers idle, then partner_left, then re-queues', async () => {
  const chat = '0.ended';
  const machine = pairedMachine(chat);
  machine.drop();
  await partnerChats.end('partner', partnerLink(machine, chat), 'next');
  await machine.resumeHere(0);
  const afterResume = machine.frames.slice(machine.frames.findIndex((frame) => frame.type === 'resumed'));
  assert.deepEqual(
    afterResume.map((frame) => frame.type),
    ['resumed', 'partner_left', 'waiting'],
  );
  assert.deepEqual(afterResume[0], { type: 'resumed', state: 'idle', chat, resumeToken: machine.session.resumeToken, recovered: true });
  assert.deepEqual(afterResume[1], { type: 'partner_left', reason: 'next' });
  assert.equal(machine.session.state, 'waiting');
});

test('a chat-scoped frame naming another chat is refused with stale_chat (its id echoed) and has no effect', async () => {
  const chat = '0.current-chat';
  const machine = pairedMachine(chat);
  machine.onFrame({ type: 'message', text: 'for the old stranger', id: 'm1', chat: '0.old-chat' });
  machine.onFrame({ type: 'typing', typing: true, chat: '0.old-chat' });
  machine.onFrame({ type: 'report', chat: '0.old-chat' });
  machine.onFrame({ type: 'next', chat: '0.old-chat' });
  assert.deepEqual(
    machine.frames.filter((frame) => frame.type === 'error').map((frame) => frame.type === 'error' && [frame.code, frame.id]),
    [
      ['stale_chat', 'm1'],
      ['stale_chat', undefined],
      ['stale_chat', undefined],
      ['stale_chat', undefined],
    ],
  );
  assert.equal(machine.session.state, 'paired');
  assert.equal(machine.session.chat?.id, chat);
  // Nothing was stored or sent into the current chat.
  assert.equal(await redis.exists(keys.chat(chat)), 0);
  assert.deepEqual(await partnerInbox(chat), []);
  // The current chat id goes through.
  machine.onFrame({ type: 'message', text: 'hi', id: 'm2', chat });
  const ack = await waitFor(() => machine.framesOf('ack')[0], { what: 'ack' });
  assert.deepEqual(ack, { type: 'ack', id: 'm2', seq: 1 });
});

test('a stale `next` while waiting is refused before the valid-when check: the queue place is kept, nothing skipped', () => {
  const machine = new RecordingSession();
  machine.onFrame({ type: 'join' });
  const gen = machine.session.gen;
  machine.frames.length = 0;
  machine.onFrame({ type: 'next', chat: '0.ended-chat' });
  machine.onFrame({ type: 'message', text: 'late', id: 'late', chat: '0.ended-chat' });
  assert.deepEqual(machine.frames.map((frame) => frame.type === 'error' && [frame.code, frame.id]), [
    ['stale_chat', undefined],
    ['stale_chat', 'late'],
  ]);
  assert.equal(machine.session.state, 'waiting');
  assert.equal(machine.session.gen, gen);
});

test('every error answering a frame with an id echoes it (invalid_state, a chat that ended meanwhile)', async () => {
  const idle = new RecordingSession();
  idle.onFrame({ type: 'message', text: 'hi', id: 'x1' });
  assert.deepEqual(idle.frames.map((frame) => frame.type === 'error' && [frame.code, frame.id]), [['invalid_state', 'x1']]);

  const chat = '0.ended-under-send';
  const machine = pairedMachine(chat);
  await partnerChats.end('partner', partnerLink(machine, chat), 'left');
  machine.onFrame({ type: 'message', text: 'too late', id: 'x2' });
  const error = await waitFor(() => machine.framesOf('error')[0], { what: 'error' });
  assert.equal(error.code, 'invalid_state');
  assert.equal(error.id, 'x2');
});
