// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { keys, MATCHER_GROUP } from '@strangers/redis';
import { TestClient, waitFor, type Frame } from '@strangers/testkit';
import { startStack, type Stack } from './stack.js';

/**
 * 200 clients on two gateways join, chat, skip, leave and drop at random for 10 s (some
 * dropped clients resume, on either gateway). Every chat-scoped frame carries the chat it was
 * written for (PROTOCOL.md §1, v1.1), so none may land in a chat its sender has not seen.
 * Every frame is checked as it arrives against what the client has seen so far, and the
 * whole history is checked at the end.
 */
const CLIENTS = 200;
const DURATION_MS = 10_000;
const TAGS = ['a', 'b', 'c'];

let stack: Stack;
before(async () => {
  stack = await startStack({ matcherEnv: { INTEREST_FALLBACK_MS: '300', NEXT_COOLDOWN_MS: '60000' }, gatewayEnv: { RESUME_GRACE_MS: '5000', RESUME_GRACE_CLEAN_MS: '300' } });
});
after(async () => stack.stop());

interface Actor {
  client: TestClient;
  session: string;
  resumeToken: string;
  /** The chat last seen in `paired` or `resumed` (kept after it ends: a waiting client's `next` names it). */
  chat: string | undefined;
  state: 'idle' | 'waiting' | 'paired';
  violations: string[];
}

/** chat id → the sessions that were told they are in it. */
const members = new Map<string, Set<string>>();
/**
 * Every message received, with the chat the receiver was last paired into. The text names
 * the sender only: a client may send just as the server moves it into its next chat (the
 * `paired` frame is still in flight), and the server routes by its own state, so the check
 * is that sender and receiver were told they share the receiver's chat.
 */
const receipts: { to: string; chat: string | undefined; from: string; sentFor: string }[] = [];
/** `session|chat` of every `next` and `report` sent, with the chat it named. */
const chatEnds = new Set<string>();
/** Chats whose member was told `partner_left` `next` or `reported`: chat → the sessions told. */
const partnerLeft = new Map<string, Set<string>>();
let staleAnswers = 0;
let resumes = 0;

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

async function connectActor(gateway: number): Promise<Actor> {
  const client = await TestClient.connect(`ws://127.0.0.1:${stack.gateways[gateway]!.port}/ws`);
  const welcome = await client.next('welcome', 15_000);
  const actor: Actor = { client, session: String(welcome.session), resumeToken: String(welcome.resumeToken), chat: undefined, state: 'idle', violations: [] };
  client.socket.on('message', (data) => observe(actor, JSON.parse(data.toString()) as Frame));
  return actor;
}

/** The same session on a new socket (any gateway), told by `resumed`; a fresh session if the resume failed. */
async function resumeActor(actor: Actor, gateway: number): Promise<Actor> {
  const client = await TestClient.connect(`ws://127.0.0.1:${stack.gateways[gateway]!.port}/ws?resume=${actor.resumeToken}`);
  const resumed: Actor = { ...actor, client, violations: [] };
  // From the first frame: what came with the upgrade's answer was emitted before `connect`
  // resolved (the test client recorded it), the rest is observed as it comes.
  for (const frame of client.frames) observe(resumed, frame);
  client.socket.on('message', (data) => observe(resumed, JSON.parse(data.toString()) as Frame));
  const first = await client.next(undefined, 15_000);
  if (first.type === 'resumed') {
    resumes++;
    return resumed;
  }
  failedResumes++;
  client.terminate();
  return connectActor(gateway);
}
/** Resumes that came too late (the grace had run out) under the load of the machine: a fresh session instead. */
let failedResumes = 0;

function observe(actor: Actor, frame: Frame): void {
  switch (frame.type) {
    case 'paired': {
      if (actor.state === 'paired') {
        const recent = actor.client.frames.slice(-8).map((seen) => `${seen.type}${seen.chat ? `(${String(seen.chat).slice(2, 6)})` : ''}${seen.code ? `:${String(seen.code)}` : ''}`);
        actor.violations.push(`paired into ${String(frame.chat)} while in ${actor.chat} (last frames: ${recent.join(' ')})`);
      }
      const chat = String(frame.chat);
      const set = members.get(chat) ?? new Set();
      set.add(actor.session);
      members.set(chat, set);
      actor.chat = chat;
      actor.state = 'paired';
      return;
    }
    case 'partner_left':
      actor.state = 'idle';
      if ((frame.reason === 'next' || frame.reason === 'reported') && actor.chat) {
        partnerLeft.set(actor.chat, (partnerLeft.get(actor.chat) ?? new Set()).add(actor.session));
      }
      return;
    case 'error':
      if (frame.code === 'stale_chat') staleAnswers++;
      return;
    case 'resumed':
      actor.state = frame.state as Actor['state'];
      actor.resumeToken = String(frame.resumeToken);
      if (frame.state === 'paired') {
        const chat = String(frame.chat);
        members.set(chat, (members.get(chat) ?? new Set()).add(actor.session));
        actor.chat = chat;
      } else {
        // Idle with `chat`: that chat ended while away; without: whatever ended meanwhile is
        // not named (a `partner_left` that follows is then not attributed to any chat).
        actor.chat = frame.chat === undefined ? undefined : String(frame.chat);
      }
      return;
    case 'waiting':
      // The server only says `waiting` once out of any chat (a `next` sent while waiting can
      // cross a `paired` in flight and skip that chat).
      actor.state = 'waiting';
      return;
    case 'message': {
      const body = JSON.parse(String(frame.text)) as { from: string; chat: string };
      if (body.from === actor.session) actor.violations.push('received its own message');
      receipts.push({ to: actor.session, chat: actor.chat, from: body.from, sentFor: body.chat });
      return;
    }
  }
}

function act(actor: Actor): 'drop' | undefined {
  const { client, chat } = actor;
  const roll = Math.random();
  if (actor.state === 'idle') {
    const interests = TAGS.filter(() => Math.random() < 0.3);
    client.send({ type: 'join', interests, requeue: Math.random() < 0.8 });
    actor.state = 'waiting';
  } else if (actor.state === 'waiting') {
    if (roll < 0.05) {
      client.send({ type: 'leave' });
      actor.state = 'idle';
    } else if (roll < 0.08 && chat) {
      // "Keep searching", naming the chat it last left: if the server has paired it meanwhile
      // (the `paired` frame in flight) this is stale and must not skip that unseen chat.
      client.send({ type: 'next', chat });
      chatEnds.add(`${actor.session}|${chat}`);
    } else if (roll < 0.1) return 'drop';
  } else if (roll < 0.6) {
    client.send({ type: 'message', text: JSON.stringify({ from: actor.session, chat }), chat });
  } else if (roll < 0.7) {
    client.send({ type: 'typing', typing: true, chat });
  } else if (roll < 0.8) {
    client.send({ type: 'next', chat });
    chatEnds.add(`${actor.session}|${chat}`);
    actor.state = 'waiting';
  } else if (roll < 0.88) {
    client.send({ type: 'leave' });
    actor.state = 'idle';
  } else if (roll < 0.9) {
    client.send({ type: 'report', chat });
    chatEnds.add(`${actor.session}|${chat}`);
    actor.state = 'waiting';
  } else if (roll < 0.95) return 'drop';
  return undefined;
}

test(`${CLIENTS} clients joining, skipping, leaving and dropping at random keep every invariant`, async () => {
  const actors = await Promise.all(Array.from({ length: CLIENTS }, (_, index) => connectActor(index % 2)));
  const everyone = [...actors];
  const deadline = Date.now() + DURATION_MS;
  await Promise.all(
    actors.map(async (first, slot) => {
      let actor = first;
      while (Date.now() < deadline) {
        if (act(actor) === 'drop') {
          const how = Math.random();
          if (how < 0.4) {
            // Cut, and back within the grace on either gateway.
            actor.client.terminate();
            actor = await resumeActor(actor, Math.floor(Math.random() * 2));
          } else {
            // Gone for good: a closed tab (the short grace) or a cut, then someone new.
            if (how < 0.8) actor.client.socket.close(1000);
            else actor.client.terminate();
            actor = await connectActor(slot % 2);
          }
          everyone.push(actor);
        }
        // Pacing of the load, not synchronisation: each client acts every 20–100 ms.
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
      }
      actors[slot] = actor;
    }),
  );

  const violations = everyone.flatMap((actor) => actor.violations.map((text) => `${actor.session}: ${text}`));
  for (const [chat, sessions] of members) {
    assert.ok(sessions.size <= 2, `chat ${chat} has ${sessions.size} members`);
  }
  // Membership as the clients saw it misses a sender whose `paired` frame was still in flight
  // when it dropped (it may already have sent into that chat): ask the chat's record in Redis.
  const admin = stack.redis.client();
  const strays = [];
  for (const receipt of receipts) {
    const { chat, from } = receipt;
    if (chat && members.get(chat)?.has(from)) continue;
    if (chat && (await admin.hexists(keys.chat(chat), `gw:${from}`)) === 1) continue;
    strays.push(receipt);
  }
  // Every message was written for the chat it was delivered into: the receiver's current one.
  const misdelivered = receipts.filter((receipt) => receipt.sentFor !== receipt.chat);

  // Every chat ended by `next` or `report` was ended by a member who named it: none skipped
  // a chat its client had not seen. (The chat's hash in Redis names both members.)
  const skipped = [];
  for (const [chat, seen] of partnerLeft) {
    const fields = Object.keys(await admin.hgetall(keys.chat(chat)));
    const enders = fields.filter((field) => field.startsWith('gw:')).map((field) => field.slice(3)).filter((sid) => !seen.has(sid));
    if (!enders.some((sid) => chatEnds.has(`${sid}|${chat}`))) skipped.push({ chat, enders });
  }

  console.log(
    `# ${members.size} chats, ${receipts.length} messages delivered, ${partnerLeft.size} chats ended by next/report, ` +
      `${resumes} resumes (${failedResumes} too late), ${staleAnswers} stale_chat answers; ` +
      `violations ${violations.length}, strays ${strays.length}, misdelivered ${misdelivered.length}, skipped ${skipped.length}`,
  );
  assert.deepEqual(violations.slice(0, 10), []);
  assert.deepEqual(strays.slice(0, 5), [], 'a message reached someone outside its chat');
  assert.deepEqual(misdelivered.slice(0, 5), [], 'a message landed in a chat its sender had not seen');
  assert.deepEqual(skipped.slice(0, 5), [], 'a next or report ended a chat its sender had not seen');
  // Enough happened for the checks above to mean something (first the checks: their result
  // is worth reporting even from a machine too loaded to reach these volumes).
  assert.ok(members.size > 100, `only ${members.size} chats formed`);
  assert.ok(receipts.length > 1000, `only ${receipts.length} messages delivered`);
  assert.ok(partnerLeft.size > 50, `only ${partnerLeft.size} chats ended by next or report`);

  // Once the matcher has caught up, no two waiting sessions could be paired: everyone waiting
  // has no compatible partner left except the ones they just skipped or reported.
  await waitFor(
    async () => {
      const groups = (await admin.xinfo('GROUPS', keys.matcherEvents)) as unknown[][];
      const group = groups.map((flat) => Object.fromEntries(chunk(flat))).find((info) => info.name === MATCHER_GROUP);
      if (!group || Number(group.pending) !== 0 || Number(group.lag) !== 0) return false;
      // (A parked entry, a dropped session keeping its place until its grace ends, is paired with nobody.)
      const waiting = Object.values(await admin.hgetall(keys.matcherQueue))
        .map((json) => JSON.parse(json) as { sid: string; flagged: boolean; parked?: boolean })
        .filter((entry) => !entry.parked);
      const apart = new Set(await admin.zrangebyscore(keys.matcherApart, Date.now(), '+inf'));
      for (let i = 0; i < waiting.length; i++) {
        for (let j = i + 1; j < waiting.length; j++) {
          const [x, y] = [waiting[i]!, waiting[j]!];
          const key = x.sid < y.sid ? `${x.sid}|${y.sid}` : `${y.sid}|${x.sid}`;
          if (!apart.has(key) && x.flagged === y.flagged) return false;
        }
      }
      return true;
    },
    { timeoutMs: 15_000, what: 'a settled queue with no compatible pair waiting' },
  );
});

function chunk(flat: unknown[]): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), flat[i + 1]]);
  return pairs;
}
