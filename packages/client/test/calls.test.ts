// @topologies single cluster
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { startGateway, startMatcher, startTestRedis, type ServiceHandle, type TestRedisHandle } from '@strangers/testkit';
import { StrangerClient, StrangerClientError } from '../src/index.ts';
import { nextEvent } from './events.ts';

// The SDK's audio/video helpers against the real stack (two gateways, relay-only TURN settings).

const TURN_URL = 'turn:127.0.0.1:3478?transport=udp';
let redis: TestRedisHandle;
let services: ServiceHandle[] = [];
let gateways: ServiceHandle[] = [];
const clients: StrangerClient[] = [];

before(async () => {
  redis = await startTestRedis();
  const matcher = await startMatcher(redis.url);
  const env = { TURN_SECRET: 'sdk-test-turn-secret-0123', TURN_URLS: TURN_URL, MEDIA_RELAY_ONLY: 'true' };
  gateways = await Promise.all([0, 1].map((i) => startGateway(redis.url, { GATEWAY_ID: `sdk-call-gw-${i}`, ...env })));
  services = [matcher, ...gateways];
});

after(async () => {
  for (const client of clients) client.close({ leave: false });
  await Promise.all(services.map((service) => service.stop('SIGKILL')));
  await redis.stop();
});

async function connected(gateway: number): Promise<StrangerClient> {
  const client = new StrangerClient({ url: `ws://127.0.0.1:${gateways[gateway]!.port}/ws`, WebSocket });
  clients.push(client);
  await client.connect();
  return client;
}

test('join({ media }) pairs a call: typed role, ICE servers and relay policy; signal() and requestIce() reach the right side', async () => {
  const a = await connected(0);
  const b = await connected(1);
  await assert.rejects(a.signal({ type: 'offer', sdp: 'v=0\r\n' }), (error: unknown) => error instanceof StrangerClientError && error.code === 'not_paired');
  await assert.rejects(a.requestIce(), (error: unknown) => error instanceof StrangerClientError && error.code === 'not_paired');
  const waiting = nextEvent(a, 'waiting');
  await a.join({ media: 'video' });
  await waiting;
  const [pa, pb] = await Promise.all([nextEvent(a, 'paired'), nextEvent(b, 'paired'), b.join({ media: 'video' })]);
  assert.equal(pa.media, 'video');
  assert.deepEqual([pa.role, pb.role].sort(), ['answer', 'offer']);
  assert.equal(pa.iceTransportPolicy, 'relay');
  assert.deepEqual(pa.ice?.map((server) => server.urls), [[TURN_URL]]);
  assert.match(pa.ice?.[0]?.username ?? '', new RegExp(`^\\d+:${a.session}$`));

  const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n' };
  const received = nextEvent(b, 'signal');
  await a.signal(offer);
  assert.deepEqual((await received).data, offer);

  const ice = nextEvent(b, 'ice');
  await b.requestIce();
  const fresh = await ice;
  assert.equal(fresh.iceTransportPolicy, 'relay');
  assert.match(fresh.ice[0]?.username ?? '', new RegExp(`^\\d+:${b.session}$`));

  // A host candidate is refused on a relay-only deployment, and said so as an error event.
  const refused = nextEvent(a, 'error');
  await a.signal({ candidate: 'candidate:1 1 udp 2122260223 192.168.1.2 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 });
  assert.equal((await refused).code, 'not_allowed');
  await assert.rejects(a.signal([] as unknown as Record<string, unknown>), (error: unknown) => error instanceof StrangerClientError && error.code === 'invalid_argument');
});
