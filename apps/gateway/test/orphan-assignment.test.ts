// @topologies single cluster
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { keys } from '@strangers/redis';
import { startGateway, startMatcher, TestClient, waitFor, type ServiceHandle } from '@strangers/testkit';
import { startStack, type Stack } from './stack.js';

/**
 * A pair assignment written to a gateway's control stream in the instant that gateway dies
 * (after the matcher committed the pair, before the gateway read it): the orphan's record
 * still says `waiting`, its partner was told `paired`. PROTOCOL.md's resume section: the
 * partner gets `partner_left disconnected` once the grace passes without a resume, and a
 * resume within the grace lands in the chat.
 *
 * The gateway is stopped (SIGSTOP) before the pair is made, so it cannot read the
 * assignment, then killed. Each case also runs with the matcher restarted in between, so
 * its in-memory record of recent assignments cannot be what saves the day. The dead
 * gateway's sessions are found either by a reaper or by the resume itself.
 */
const GRACE_MS = 3000;
const ALIVE_TTL_MS = 1000;
const gatewayEnv = { RESUME_GRACE_MS: String(GRACE_MS), GATEWAY_ALIVE_TTL_MS: String(ALIVE_TTL_MS), GATEWAY_ALIVE_INTERVAL_MS: '250' };
/** Death noticed, grace run out, reaper tick, and slack for a loaded machine. */
const LEFT_WITHIN_MS = GRACE_MS + 8000;

/** A survivor whose reaper never runs during a test: the resume alone meets the dead gateway. */
const noReaperEnv = { ...gatewayEnv, GATEWAY_ALIVE_TTL_MS: '240000', GATEWAY_ALIVE_INTERVAL_MS: '120000' };

let stack: Stack;
let admin: ReturnType<Stack['redis']['client']>;

/** One survivor gateway (where B lives and A resumes) for the tests of the enclosing describe. */
function useStack(survivorEnv: Record<string, string>): void {
  before(async () => {
    stack = await startStack({ gateways: 1, gatewayEnv: survivorEnv });
    admin = stack.redis.client();
  });
  afterEach(async () => stack.reset());
  after(async () => stack.stop());
}

const wsUrl = (gateway: ServiceHandle, query = '') => `ws://127.0.0.1:${gateway.port}/ws${query}`;

let victims = 0;

/**
 * A joins on a gateway of its own (X), X is frozen, B joins on the survivor and is paired
 * with A; the assignment for A is left unread in X's control stream; X is killed and found
 * dead.
 */
async function pairWithFrozenGateway(restartMatcher: boolean) {
  const victimId = `victim-${++victims}`;
  const victim = await startGateway(stack.redis.url, { GATEWAY_ID: victimId, ...gatewayEnv });
  const a = await TestClient.connect(wsUrl(victim));
  const welcome = await a.next('welcome');
  const sessionId = String(welcome.session);
  a.send({ type: 'join' });
  await a.next('waiting');
  await waitFor(async () => (await admin.hexists(keys.matcherQueue, sessionId)) === 1, { what: 'A in the queue' });
  process.kill(victim.pid, 'SIGSTOP');
  // Frozen, X would be found dead as soon as its liveness key lapses, before the pair is
  // made. It is to die just after, so the test holds its key until the kill.
  assert.equal(await admin.persist(keys.gatewayAlive(victimId)), 1, "X's liveness key held");

  const b = await stack.connect(0);
  b.send({ type: 'join', requeue: true });
  await b.next('waiting');
  const { chat } = await b.next('paired');
  const control = await admin.xrange(keys.gatewayControl(victimId), '-', '+');
  assert.ok(
    control.some(([, fields]) => fields.includes('paired') && fields.includes(sessionId)),
    "the assignment for A waits, unread, in the frozen gateway's control stream",
  );
  if (restartMatcher) {
    await stack.matcher.stop('SIGKILL');
    stack.matcher = await startMatcher(stack.redis.url);
    await stack.matcher.waitForLog((line) => line.msg === 'matcher active');
  }
  await victim.stop('SIGKILL');
  await admin.del(keys.gatewayAlive(victimId)); // as if it had lapsed
  a.terminate();
  return { a, b, chat: String(chat), token: String(welcome.resumeToken) };
}

/** Resumes A on the survivor. */
function resumeOnSurvivor(token: string): Promise<TestClient> {
  return TestClient.connect(wsUrl(stack.gateways[0]!, `?resume=${token}`));
}

/** A talks to B and back; B never heard of the trouble. */
async function assertTalking(resumed: TestClient, b: TestClient): Promise<void> {
  resumed.send({ type: 'message', text: 'back', id: 'r' });
  await resumed.next('ack');
  assert.equal((await b.next('message')).text, 'back');
  b.send({ type: 'message', text: 'hello' });
  assert.equal((await resumed.next('message')).text, 'hello');
  assert.equal(b.frames.some((frame) => frame.type === 'partner_left'), false, 'B never saw partner_left');
}

for (const restartMatcher of [false, true]) {
  const matcher = restartMatcher ? 'matcher restarted before the death' : 'matcher running';
  describe(`an assignment lost with its gateway, found by the reaper (${matcher})`, () => {
    useStack(gatewayEnv);

    test('the partner gets partner_left disconnected after the grace and is paired again', async () => {
      const { b } = await pairWithFrozenGateway(restartMatcher);
      assert.deepEqual(await b.next('partner_left', LEFT_WITHIN_MS), { type: 'partner_left', reason: 'disconnected' });
      await b.next('waiting');
      const c = await stack.connect(0);
      c.send({ type: 'join' });
      const [pb, pc] = await Promise.all([b.next('paired'), c.next('paired')]);
      assert.equal(pb.chat, pc.chat, 'B, back in the queue, is paired with the next joiner');
    });

    test('a resume within the grace lands in the chat with the partner', async () => {
      const { b, chat, token } = await pairWithFrozenGateway(restartMatcher);
      const resumed = await resumeOnSurvivor(token);
      const first = await resumed.next('resumed');
      // The resume may race the reaper: straight into the chat, or (the matcher re-sending
      // the assignment to where it resumed) waiting, then paired.
      if (first.state === 'waiting') assert.equal((await resumed.next('paired', LEFT_WITHIN_MS)).chat, chat);
      else assert.deepEqual({ ...first, resumeToken: undefined }, { type: 'resumed', state: 'paired', chat, resumeToken: undefined, recovered: true });
      await assertTalking(resumed, b);
      resumed.close();
    });
  });
}

describe('an assignment lost with its gateway, found by the resume (matcher restarted before the death)', () => {
  useStack(noReaperEnv);

  test('a resume before any reaper ran lands in the chat with the partner', async () => {
    const { b, chat, token } = await pairWithFrozenGateway(true);
    const resumed = await resumeOnSurvivor(token);
    assert.deepEqual({ ...(await resumed.next('resumed')), resumeToken: undefined }, { type: 'resumed', state: 'paired', chat, resumeToken: undefined, recovered: true });
    await assertTalking(resumed, b);
    resumed.close();
  });
});
