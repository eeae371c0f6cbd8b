// @topologies single cluster
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CloseCode, ErrorCode } from '@strangers/protocol';
import { keys } from '@strangers/redis';
import { startGateway, startMatcher, startTestRedis, TestClient, waitFor, type TestRedisHandle, type ServiceHandle } from '@strangers/testkit';
import { pairUp } from './stack.js';

const HEARTBEAT_MS = 400;
const RESUME_GRACE_MS = 1500;
const CLOSE_AFTER = 30;

let redis: TestRedisHandle;
let matcher: ServiceHandle;
/** Default rate limits; trusts loopback as a proxy, so `X-Forwarded-For` names the client. */
let main: ServiceHandle;
/** No rate limits worth the name (a fast sender), a small send buffer bound, few connections. */
let fast: ServiceHandle;
/** Trusts no proxy and limits loopback too: `X-Forwarded-For` must be ignored. */
let strict: ServiceHandle;
/** A normal pair on `main`, talking next to every abuse below. */
let normal: [TestClient, TestClient];
const clients: TestClient[] = [];

const url = (gateway: ServiceHandle, path = '/ws') => `ws://127.0.0.1:${gateway.port}${path}`;

async function open(gateway: ServiceHandle, headers: Record<string, string> = {}, path = '/ws'): Promise<TestClient> {
  const client = await TestClient.connect(url(gateway, path), headers);
  clients.push(client);
  if (path === '/ws') await client.next('welcome');
  return client;
}

/** The upgrade's HTTP status: 101 when it was accepted (the socket is closed again at once). */
async function upgradeStatus(gateway: ServiceHandle, headers: Record<string, string> = {}, path = '/ws'): Promise<number> {
  try {
    const client = await TestClient.connect(url(gateway, path), headers);
    client.close();
    await client.waitClosed();
    return 101;
  } catch (error) {
    const match = /upgrade refused: (\d+)/.exec((error as Error).message);
    if (!match) throw error;
    return Number(match[1]);
  }
}

const interest = () => `t${randomBytes(4).toString('hex')}`;

/** The normal pair still talks, both ways, promptly. Returns the slower round's latency. */
async function normalPairTalks(): Promise<number> {
  const [a, b] = normal;
  const started = Date.now();
  const text = `still here ${randomBytes(3).toString('hex')}`;
  a.send({ type: 'message', text });
  assert.equal((await b.seen((frame) => frame.type === 'message' && frame.text === text, 3000)).text, text);
  const reply = `${text} too`;
  b.send({ type: 'message', text: reply });
  await a.seen((frame) => frame.type === 'message' && frame.text === reply, 3000);
  return Date.now() - started;
}

before(async () => {
  redis = await startTestRedis();
  matcher = await startMatcher(redis.url, { INTEREST_FALLBACK_MS: '600000' });
  const common = { HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS), RESUME_GRACE_MS: String(RESUME_GRACE_MS), RATE_LIMIT_CLOSE_AFTER: String(CLOSE_AFTER) };
  [main, fast, strict] = await Promise.all([
    startGateway(redis.url, {
      ...common,
      GATEWAY_ID: 'gw-main',
      TRUST_PROXY: 'loopback',
      MAX_CONNECTIONS_PER_IP: '3',
      UPGRADES_PER_IP_PER_SECOND: '5',
      ALLOWED_ORIGINS: 'https://good.example, http://localhost:8080',
    }),
    startGateway(redis.url, {
      ...common,
      GATEWAY_ID: 'gw-fast',
      CHAT_RATE_PER_SECOND: '100000',
      CHAT_RATE_BURST: '100000',
      MAX_TEXT_LENGTH: '15000',
      MAX_BUFFERED_BYTES: '65536',
      MAX_CONNECTIONS: '6',
    }),
    startGateway(redis.url, { ...common, GATEWAY_ID: 'gw-strict', LIMIT_LOOPBACK: 'true', MAX_CONNECTIONS_PER_IP: '2', UPGRADES_PER_IP_PER_SECOND: '100' }),
  ]);
  normal = [await open(main), await open(main)];
  await pairUp(normal[0], normal[1], { interests: [interest()] });
});

after(async () => {
  for (const client of clients) client.terminate();
  await Promise.all([main, fast, strict, matcher].map((service) => service?.stop('SIGKILL')));
  await redis?.stop();
});

describe('per-connection message limits', () => {
  test('a burst over the token bucket gets rate_limited and those messages are not sent', async () => {
    const [a, b] = [await open(main), await open(main)];
    await pairUp(a, b, { interests: [interest()] });
    for (let i = 0; i < 28; i++) a.send({ type: 'message', text: `m${i}`, id: `c${i}` });
    const limited = await a.next('error');
    assert.equal(limited.code, ErrorCode.rateLimited);
    await normalPairTalks();
    // Everything acked arrives; everything limited does not.
    await waitFor(async () => a.frames.filter((f) => f.type === 'ack' || f.type === 'error').length === 28, { timeoutMs: 5000, what: '28 answers' });
    const acked = a.frames.filter((f) => f.type === 'ack').map((f) => `m${String(f.id).slice(1)}`);
    const refused = a.frames.filter((f) => f.type === 'error');
    // The join took a token too: every frame counts, valid or not.
    assert.ok(acked.length >= 18 && acked.length < 28, `acked ${acked.length}`);
    assert.ok(refused.every((f) => f.code === ErrorCode.rateLimited));
    await waitFor(async () => b.frames.filter((f) => f.type === 'message').length === acked.length, { timeoutMs: 5000, what: 'acked messages delivered' });
    assert.deepEqual(b.frames.filter((f) => f.type === 'message').map((f) => f.text), acked);
    assert.equal(a.closed, undefined);
    // The bucket refills: a second later the client can talk again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    a.send({ type: 'message', text: 'after a pause', id: 'late' });
    assert.equal((await a.seen((f) => f.type === 'ack' && f.id === 'late')).type, 'ack');
  });

  test('before the 1008 cut every stored message is acked; nothing stored goes unacked', async () => {
    const [a, b] = [await open(main), await open(main)];
    const chat = await pairUp(a, b, { interests: [interest()] });
    for (let i = 0; i < 200 && a.socket.readyState === a.socket.OPEN; i++) a.send({ type: 'message', text: `r${i}`, id: `r${i}`, chat });
    assert.equal((await a.waitClosed()).code, CloseCode.policyViolation);
    const stored = Number(await redis.client().hget(keys.chat(chat), 'seq'));
    assert.ok(stored >= 10, `stored ${stored}`);
    const acked = a.frames.filter((f) => f.type === 'ack').map((f) => f.id);
    assert.deepEqual(acked, Array.from({ length: stored }, (_, i) => `r${i}`), 'one ack per stored message, in order');
    await waitFor(() => b.frames.filter((f) => f.type === 'message').length === stored, { timeoutMs: 5000, what: 'stored messages delivered' });
  });

  test('after the 1008 cut nothing more is read from the socket: a client that ignores the close costs no log lines', async () => {
    const raw = await rawUpgrade(main.port);
    const session = String((await raw.firstFrame).session);
    const flood = maskedTextFrame(JSON.stringify({ type: 'join', interests: 'not a list' }));
    let sending = true;
    const pump = () => {
      // As fast as the socket drains, without ever reading the close frame.
      while (sending && raw.socket.write(flood));
      if (sending) raw.socket.once('drain', pump);
    };
    pump();
    const cut = await main.waitForLog((line) => line.session === session && line.msg === 'sustained flooding; connection closed', 10_000);
    assert.ok(cut);
    const linesAtCut = main.logs.filter((line) => line.session === session).length;
    // Keep flooding a while after the close: on a gateway that still reads, thousands of lines.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    sending = false;
    raw.socket.destroy();
    const linesAfter = main.logs.filter((line) => line.session === session).length - linesAtCut;
    assert.ok(linesAfter <= 2, `${linesAfter} log lines after the cut`);
  });

  test('typing frames have their own bucket; the excess is dropped silently', async () => {
    const [a, b] = [await open(main), await open(main)];
    await pairUp(a, b, { interests: [interest()] });
    for (let i = 0; i < 25; i++) a.send({ type: 'typing', typing: i % 2 === 0 });
    a.send({ type: 'message', text: 'marker', id: 'marker' });
    await b.seen((f) => f.type === 'message' && f.text === 'marker');
    const typings = b.frames.filter((f) => f.type === 'typing').length;
    assert.ok(typings >= 10 && typings < 25, `typing forwarded ${typings} times`);
    assert.equal(a.frames.filter((f) => f.type === 'error').length, 0);
  });

  test('a client that keeps flooding after rate_limited is closed with 1008; the normal pair is untouched', async () => {
    const flooder = await open(main);
    for (let i = 0; i < 200 && flooder.socket.readyState === flooder.socket.OPEN; i++) flooder.send({ type: 'join', interests: 'not a list' });
    const closed = await flooder.waitClosed();
    assert.equal(closed.code, CloseCode.policyViolation);
    assert.ok(flooder.frames.some((f) => f.type === 'error' && f.code === ErrorCode.rateLimited));
    assert.ok(flooder.frames.filter((f) => f.type === 'error' && f.code === ErrorCode.invalidMessage).length >= 20);
    await normalPairTalks();
  });

  test('text, interests and frame size limits answer as PROTOCOL.md says', async () => {
    const client = await open(main);
    client.send({ type: 'join', interests: Array.from({ length: 11 }, (_, i) => `i${i}`) });
    assert.equal((await client.next('error')).code, ErrorCode.invalidMessage);
    client.send({ type: 'join', interests: ['x'.repeat(33)] });
    assert.equal((await client.next('error')).code, ErrorCode.invalidMessage);
    client.send({ type: 'message', text: 'x'.repeat(2001) });
    assert.equal((await client.next('error')).code, ErrorCode.textTooLong);
    client.send(JSON.stringify({ type: 'message', text: 'x'.repeat(17 * 1024) }));
    assert.equal((await client.waitClosed()).code, CloseCode.messageTooBig);
  });
});

describe('backpressure', () => {
  test('a client that stops reading is cut once its buffer passes the bound; its partner and the normal pair carry on', async () => {
    const [reader, writer] = [await open(fast), await open(fast)];
    const [c, d] = [await open(fast), await open(fast)];
    await pairUp(reader, writer, { interests: [interest()] });
    await pairUp(c, d, { interests: [interest()] });
    reader.socket.pause();
    const cut = fast.waitForLog((line) => line.msg === 'client not reading; connection cut', 60_000);
    let stop = false;
    void cut.finally(() => (stop = true));
    const big = 'x'.repeat(14_000);
    const latencies: number[] = [];
    for (let round = 0; round < 60 && !stop; round++) {
      for (let i = 0; i < 100; i++) writer.send({ type: 'message', text: big });
      // Next to the flood, a second pair on the same gateway keeps its latency.
      const started = Date.now();
      const text = `ping ${round}`;
      c.send({ type: 'message', text });
      await d.seen((f) => f.type === 'message' && f.text === text, 5000);
      latencies.push(Date.now() - started);
      await writer.seen((f) => f.type === 'ack' && f.seq === (round + 1) * 100, 30_000).catch(() => {});
    }
    const line = await cut;
    assert.ok(Number(line.buffered) > 65_536);
    // The cut socket enters the resume grace like any drop; then its partner is told.
    assert.equal((await writer.seen((f) => f.type === 'partner_left', RESUME_GRACE_MS + 5000)).reason, 'disconnected');
    assert.equal(writer.closed, undefined);
    assert.ok(Math.max(...latencies) < 2000, `relay latency next to the flood: ${latencies.join(',')} ms`);
    reader.terminate();
  });
});

describe('heartbeat', () => {
  test('a half-open connection (upgraded, then silent) is terminated, and its session can still be resumed', async () => {
    const raw = await rawUpgrade(main.port);
    const welcome = await raw.firstFrame;
    assert.equal(welcome.type, 'welcome');
    const started = Date.now();
    await raw.closed;
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= HEARTBEAT_MS && elapsed < HEARTBEAT_MS * 6, `terminated after ${elapsed} ms`);
    const again = await TestClient.connect(`${url(main)}?resume=${String(welcome.resumeToken)}`);
    clients.push(again);
    const { resumeToken, ...resumed } = await again.next();
    assert.match(String(resumeToken), /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(resumed, { type: 'resumed', state: 'idle', recovered: true });
  });

  test('a client that answers pings stays connected across many intervals', async () => {
    const client = await open(main);
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS * 4));
    assert.equal(client.closed, undefined);
    await normalPairTalks();
  });
});

describe('upgrade admission', () => {
  test('connections per client address: over the limit gets 429; loopback itself is exempt', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 3; i++) await open(main, headers);
    assert.equal(await upgradeStatus(main, headers), 429);
    assert.equal(await upgradeStatus(main, { 'x-forwarded-for': '203.0.113.77' }), 101);
    // Loopback without a forwarded address: far past the per-address limit.
    const local = await Promise.all(Array.from({ length: 12 }, () => open(main)));
    assert.ok(local.every((client) => client.closed === undefined));
    for (const client of local) client.close();
  });

  test('upgrade requests per address per second: a burst past it gets 429', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.9' };
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push(await upgradeStatus(main, headers));
    assert.ok(statuses.includes(101));
    assert.ok(statuses.includes(429), statuses.join(','));
    await normalPairTalks();
  });

  test('X-Forwarded-For is ignored unless the peer is a trusted proxy', async () => {
    // gw-strict trusts no proxy and limits loopback: every client here is 127.0.0.1.
    await open(strict, { 'x-forwarded-for': '192.0.2.1' });
    await open(strict, { 'x-forwarded-for': '192.0.2.2' });
    assert.equal(await upgradeStatus(strict, { 'x-forwarded-for': '192.0.2.3' }), 429);
  });

  test('a full gateway refuses upgrades with 503 and accepts again once there is room', async () => {
    const held: TestClient[] = [];
    let status = 101;
    for (let i = 0; i < 10 && status === 101; i++) {
      try {
        held.push(await open(fast));
      } catch (error) {
        status = Number(/(\d{3})/.exec((error as Error).message)?.[1]);
      }
    }
    assert.equal(status, 503);
    for (const client of held) client.close();
    await waitFor(async () => (await upgradeStatus(fast)) === 101, { timeoutMs: 5000, what: 'room again' });
  });

  test('ALLOWED_ORIGINS: other origins get 403 on both paths; listed origins and non-browser clients get in', async () => {
    assert.equal(await upgradeStatus(main, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(main, { origin: 'https://evil.example' }, '/chat/someone'), 403);
    assert.equal(await upgradeStatus(main, { origin: 'null' }), 403);
    assert.equal(await upgradeStatus(main, { origin: 'https://GOOD.example' }), 101);
    assert.equal(await upgradeStatus(main, { origin: 'http://localhost:8080' }), 101);
    assert.equal(await upgradeStatus(main), 101);
    assert.equal(await upgradeStatus(fast, { origin: 'https://evil.example' }), 101, 'unset = every origin');
  });
});

describe('abuse costs nobody else', () => {
  test('the gateways are still healthy and the normal pair still talks', async () => {
    for (const gateway of [main, fast, strict]) {
      const response = await fetch(`http://127.0.0.1:${gateway.port}/healthz`);
      assert.equal(response.status, 200);
      assert.deepEqual(gateway.stderr, []);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${main.port}/metrics`)).text();
    assert.match(metrics, /strangers_gateway_upgrades_refused_total\{status="429"\} [1-9]/);
    assert.match(metrics, /strangers_gateway_connections_cut_total\{reason="heartbeat"\} [1-9]/);
    await normalPairTalks();
    // Logs hold neither message text nor client addresses.
    const logs = JSON.stringify([main.logs, fast.logs, strict.logs]);
    for (const secret of ['still here', 'after a pause', '203.0.113.7', '198.51.100.9', '192.0.2.']) assert.ok(!logs.includes(secret), secret);
  });
});

/** A client → server text frame (masked, as RFC 6455 requires of clients). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  assert.ok(payload.length < 126);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** A raw TCP WebSocket client that upgrades and then never answers anything (a half-open peer). */
function rawUpgrade(port: number): Promise<{ socket: Socket; firstFrame: Promise<Record<string, unknown>>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      let buffer = Buffer.alloc(0);
      let resolveFrame!: (frame: Record<string, unknown>) => void;
      const firstFrame = new Promise<Record<string, unknown>>((done) => (resolveFrame = done));
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        const headerEnd = buffer.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const frame = buffer.subarray(headerEnd + 4);
        // An unmasked server text frame: FIN+text, then a 7-bit or 16-bit length.
        if (frame.length < 2) return;
        let length = frame[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (frame.length < 4) return;
          length = frame.readUInt16BE(2);
          offset = 4;
        }
        if (frame.length < offset + length) return;
        resolveFrame(JSON.parse(frame.subarray(offset, offset + length).toString()) as Record<string, unknown>);
      });
      resolve({ socket, firstFrame, closed });
    });
  });
}
