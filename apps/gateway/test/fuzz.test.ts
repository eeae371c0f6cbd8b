// @topologies single cluster
/**
 * Protocol fuzzer: random and mutated frames against live gateways (2 gateways, a matcher,
 * a private Redis), aimed at clients in every state (idle, waiting, paired), next to a
 * normal pair that must keep talking.
 *
 *   npm test                      FUZZ_FRAMES=3000 (default)
 *   npm run fuzz -w @strangers/gateway    FUZZ_FRAMES=100000
 *
 * FUZZ_SEED replays a run (the seed is printed on failure by fast-check).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { CloseCode, createClientFrameDecoder, defaultLimits, ErrorCode, serverFrameSchema } from '@strangers/protocol';
import { TestClient, type Frame } from '@strangers/testkit';
import { startStack, pairUp, type Stack } from './stack.js';

const FUZZ_FRAMES = Number(process.env.FUZZ_FRAMES ?? 3000);
const BATCH = 500;
const decoder = createClientFrameDecoder(defaultLimits);

let stack: Stack;
let control: [TestClient, TestClient];
let controlRound = 0;

before(async () => {
  stack = await startStack({
    // Interest-tagged joins pair only on a shared interest; reports never flag loopback.
    matcherEnv: { INTEREST_FALLBACK_MS: '600000', REPORT_THRESHOLD: '1000000000' },
    // Rate limits out of the way (limits.test.ts covers them): every frame reaches the decoder.
    gatewayEnv: {
      RESUME_GRACE_MS: '500',
      CHAT_RATE_PER_SECOND: '1000000',
      CHAT_RATE_BURST: '1000000',
      TYPING_RATE_PER_SECOND: '1000000',
      TYPING_RATE_BURST: '1000000',
    },
  });
  control = [await stack.connect(0), await stack.connect(1)];
  await pairUp(control[0], control[1], { interests: [tag()] });
});

after(async () => stack?.stop());

function tag(): string {
  return `f${randomBytes(5).toString('hex')}`;
}

// ---- frame generators (each yields the frame's JSON text, valid or not) ----

const KNOWN_TYPES = ['join', 'message', 'typing', 'next', 'leave', 'report'] as const;

/** JSON texts of odd values: huge and tiny numbers, -0, unicode edge cases, lone surrogates, empty containers. */
const oddValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1e999', '-1e999', '-0', '1e-999', '123456789012345678901234567890', '9007199254740993', '0.1e1', 'null', 'true', '{}', '[]', '""', '"\\u0000"', '"\\ud800"', '"\\udfff x"', '"\\ufeff"'),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((text) => JSON.stringify(text)),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => JSON.stringify(text)),
  fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 14 }).map((list) => JSON.stringify(list)),
  fc.integer({ min: 1, max: 2500 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 1500 }).map((depth) => '{"a":'.repeat(depth) + '{}' + '}'.repeat(depth)),
);

const key: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('type', 'text', 'id', 'interests', 'requeue', 'typing', 'reason', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ''),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

const typeName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...KNOWN_TYPES),
  fc.constantFrom('JOIN', 'message ', 'welcome', 'error', 'ack', '__proto__', 'constructor', 'toString', ''),
  fc.string({ unit: 'binary', maxLength: 10 }),
);

/** A valid frame of every kind, as entries [key, JSON text] so mutation can add, replace and repeat keys. */
const validEntries: fc.Arbitrary<[string, string][]> = fc.oneof(
  fc.record({ interests: fc.option(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 32 }), { maxLength: 10 }), { nil: undefined }), requeue: fc.option(fc.boolean(), { nil: undefined }) }).map(({ interests, requeue }) => {
    const entries: [string, string][] = [['type', '"join"']];
    if (interests) entries.push(['interests', JSON.stringify(interests)]);
    if (requeue !== undefined) entries.push(['requeue', String(requeue)]);
    return entries;
  }),
  fc.record({
    text: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), fc.integer({ min: 1990, max: 2010 }).map((n) => '😀'.repeat(n)), fc.integer({ min: 1998, max: 2600 }).map((n) => 'é'.repeat(n))),
    id: fc.option(fc.string({ maxLength: 70 }), { nil: undefined }),
  }).map(({ text, id }) => {
    const entries: [string, string][] = [['type', '"message"'], ['text', JSON.stringify(text)]];
    if (id !== undefined) entries.push(['id', JSON.stringify(id)]);
    return entries;
  }),
  fc.boolean().map((typing): [string, string][] => [['type', '"typing"'], ['typing', String(typing)]]),
  fc.constantFrom<[string, string][]>([['type', '"next"']], [['type', '"leave"']], [['type', '"report"']]),
  fc.string({ maxLength: 210 }).map((reason): [string, string][] => [['type', '"report"'], ['reason', JSON.stringify(reason)]]),
);

const objectText = (entries: [string, string][]) => `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;

const frameText: fc.Arbitrary<string> = fc.oneof(
  // Valid frames, in whatever state the target is in.
  { weight: 3, arbitrary: validEntries.map(objectText) },
  // Valid frames with a field replaced, added or repeated with an odd value (wrong types, prototype keys…).
  {
    weight: 5,
    arbitrary: fc
      .tuple(validEntries, fc.array(fc.tuple(key, oddValue), { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([entries, extra, replace]) => objectText(replace ? [...entries.filter(([name]) => !extra.some(([k]) => k === name)), ...extra] : [...entries, ...extra])),
  },
  // A known or unknown type with random fields.
  { weight: 3, arbitrary: fc.tuple(typeName, fc.array(fc.tuple(key, oddValue), { maxLength: 4 })).map(([type, extra]) => objectText([['type', JSON.stringify(type)], ...extra])) },
  // Any JSON value, objects without a type included.
  { weight: 2, arbitrary: oddValue },
  { weight: 1, arbitrary: fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }).map((object) => JSON.stringify(object)) },
  // Not JSON: random text, truncated or padded frames.
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.tuple(validEntries.map(objectText), fc.nat()).map(([text, cut]) => text.slice(0, cut % text.length)) },
  { weight: 1, arbitrary: fc.tuple(validEntries.map(objectText), fc.constantFrom('}', ',', ' x', '{}', '\u0000')).map(([text, tail]) => text + tail) },
);

// ---- targets: fresh clients in every state for each batch ----

interface Target {
  state: string;
  client: TestClient;
  /** Errors the decoder alone must produce for what was sent: code → count. */
  expected: Map<string, number>;
}

async function targets(): Promise<Target[]> {
  const [idle0, idle1, wait0, wait1, pairA, pairB] = await Promise.all([stack.connect(0), stack.connect(1), stack.connect(0), stack.connect(1), stack.connect(0), stack.connect(1)]);
  wait0.send({ type: 'join', interests: [tag()] });
  wait1.send({ type: 'join', interests: [tag()] });
  await Promise.all([wait0.next('waiting'), wait1.next('waiting'), pairUp(pairA, pairB, { interests: [tag()] })]);
  return [
    ['idle', idle0],
    ['idle', idle1],
    ['waiting', wait0],
    ['waiting', wait1],
    ['paired', pairA],
    ['paired', pairB],
  ].map(([state, client]) => ({ state: state as string, client: client as TestClient, expected: new Map() }));
}

/** What the gateway reads: ws sends strings as UTF-8, lone surrogates becoming U+FFFD. */
function asReceived(text: string): string {
  return Buffer.from(text).toString();
}

function count(frames: Frame[], code: string): number {
  return frames.filter((frame) => frame.type === 'error' && frame.code === code).length;
}

function assertPerContract(target: Target): void {
  const { client, state } = target;
  assert.equal(client.closed, undefined, `${state} client was closed: ${JSON.stringify(client.closed)}`);
  for (const [index, frame] of client.frames.entries()) {
    const parsed = serverFrameSchema.safeParse(frame);
    assert.ok(parsed.success, `${state} client got a frame outside the contract: ${client.texts[index]}`);
  }
  // Decoder errors are exact: each bad frame got its one answer, nothing else produced them.
  for (const code of [ErrorCode.invalidMessage, ErrorCode.textTooLong]) {
    assert.equal(count(client.frames, code), target.expected.get(code) ?? 0, `${state} client: ${code} count`);
  }
  // Well-formed frames may be refused only for the state they arrive in.
  const others = client.frames.filter((frame) => frame.type === 'error' && frame.code !== ErrorCode.invalidMessage && frame.code !== ErrorCode.textTooLong);
  assert.deepEqual(
    others.filter((frame) => frame.code !== ErrorCode.invalidState),
    [],
    `${state} client: unexpected error codes`,
  );
}

async function expectTooBig(text: string, gateway: number): Promise<void> {
  const client = await stack.connect(gateway);
  client.send(text);
  assert.equal((await client.waitClosed(10_000)).code, CloseCode.messageTooBig);
}

async function controlPairTalks(): Promise<void> {
  const [a, b] = control;
  const text = `control ${controlRound++}`;
  a.send({ type: 'message', text });
  await b.seen((frame) => frame.type === 'message' && frame.text === text, 10_000);
  b.send({ type: 'message', text: `${text} back` });
  await a.seen((frame) => frame.type === 'message' && frame.text === `${text} back`, 10_000);
}

async function assertGatewaysHealthy(): Promise<void> {
  for (const gateway of stack.gateways) {
    assert.equal((await fetch(`http://127.0.0.1:${gateway.port}/healthz`)).status, 200);
    assert.deepEqual(gateway.stderr, [], 'gateway wrote to stderr (crash or unhandled rejection)');
    const bad = gateway.logs.filter((line) => Number(line.level) >= 50);
    assert.deepEqual(bad, [], 'gateway logged errors');
  }
}

test(`${FUZZ_FRAMES} fuzzed frames: every answer per contract, no crash, the control pair keeps talking`, async () => {
  const started = Date.now();
  let sent = 0;
  let oversized = 0;
  let batches = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(frameText, { minLength: BATCH, maxLength: BATCH }), async (frames) => {
      const batch = await targets();
      const tooBig: Promise<void>[] = [];
      for (const [index, text] of frames.entries()) {
        const target = batch[index % batch.length]!;
        if (Buffer.byteLength(text) > defaultLimits.maxFrameBytes) {
          // The answer is a 1009 close: sent on a connection of its own.
          tooBig.push(expectTooBig(text, index % 2));
          oversized++;
          sent++;
          continue;
        }
        const decoded = decoder.decode(asReceived(text));
        if (!decoded.ok) target.expected.set(decoded.code, (target.expected.get(decoded.code) ?? 0) + 1);
        target.client.send(text);
        sent++;
      }
      // A last bad frame per client: its answer comes after every decoder answer above.
      await Promise.all(
        batch.map(async (target, index) => {
          const marker = `~end${batches}.${index}`;
          target.client.send({ type: marker });
          target.expected.set(ErrorCode.invalidMessage, (target.expected.get(ErrorCode.invalidMessage) ?? 0) + 1);
          await target.client.seen((frame) => frame.type === 'error' && String(frame.message).includes(marker), 30_000);
        }),
      );
      await Promise.all(tooBig);
      for (const target of batch) assertPerContract(target);
      for (const target of batch) target.client.terminate();
      batches++;
      if (batches % 10 === 0) {
        await controlPairTalks();
        await assertGatewaysHealthy();
      }
    }),
    {
      numRuns: Math.ceil(FUZZ_FRAMES / BATCH),
      endOnFailure: true, // no shrinking against live servers: the seed replays a failure
      ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
    },
  );
  await controlPairTalks();
  await assertGatewaysHealthy();
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`# fuzz: ${sent} frames sent (${oversized} over the frame limit, each closed with 1009) in ${batches} batches, ${seconds.toFixed(1)} s, ${Math.round(sent / seconds)} frames/s\n`);
});
