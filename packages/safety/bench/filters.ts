/**
 * Per-message cost of the built-in content filters (links, contacts in a young chat, a word
 * list, repeat tracking — all on) on ordinary chat text: the goal is ≤ 5 µs a message.
 * Not run by tests.
 *
 *   npm run bench:filters -w @strangers/safety -- [--messages 300000] [--rounds 5]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { containsLink, findContact, MessageFilters, normalizeText, WordList, type FilterSettings } from '../src/index.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '300000' }, rounds: { type: 'string', default: '5' } } });
const messages = Number(values.messages);
const rounds = Number(values.rounds);

/** Ordinary chat lines: mostly short ASCII, some longer, some non-ASCII, some with numbers and dots. */
const corpus = [
  'hi',
  'hey',
  'hello there',
  'm or f?',
  'how are you?',
  'where are you from',
  'I like 3.5 stars',
  'see you at 10.30',
  'haha that is so funny lol',
  'what kind of music do you listen to? I am into jazz and some hip hop lately',
  'e.g. this',
  'my email is down lol',
  'call me maybe',
  '2024 was a weird year honestly',
  'i work as a nurse, 12 hour shifts are brutal',
  'ok. so what do you do for fun?',
  'Привет, как дела?',
  'ça va? je suis à Paris',
  'こんにちは',
  'cool 😎',
  'I have 2 cats and 3 dogs',
  'wait... what',
  'nice to meet you!',
  'do you play any games? I have been playing a lot of chess recently, it is addictive',
];

/** A word list of realistic size: the cost is Set lookups per token, so the words themselves do not matter. */
const words = Array.from({ length: 500 }, (_, i) => `blockedword${i}`);
const settings: FilterSettings = {
  links: 'block',
  contacts: { mode: 'block', youngMessages: 10, youngMs: 120_000 },
  words,
  repeat: { mode: 'block', partners: 4, windowMs: 600_000, minLength: 16, maxEntries: 50_000 },
};

/** Counts truthy results, printed at the end, so no call can be optimised away. */
let sink = 0;

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Wall time and this process's CPU time per message (on a shared machine, CPU time is the cost; wall time adds the wait for a core). */
function measure(name: string, run: (text: string, i: number) => unknown): string {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds + 1; round++) {
    const start = process.hrtime.bigint();
    const cpuStart = cpuMicros();
    for (let i = 0; i < messages; i++) if (run(corpus[i % corpus.length]!, i)) sink += 1;
    if (round === 0) continue; // round 0 warms up the JIT
    wall.push(Number(process.hrtime.bigint() - start) / 1000 / messages);
    cpu.push((cpuMicros() - cpuStart) / messages);
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  return `| ${name} | ${mid(cpu).toFixed(2)} | ${range(cpu)} | ${mid(wall).toFixed(2)} | ${range(wall)} |`;
}

const filters = new MessageFilters(settings);
const wordList = new WordList(words);
const now = Date.now();
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`${messages} messages per round, ${rounds} rounds after a warm-up; ${corpus.length} ordinary lines in turn; young chats (contacts checked)\n`);
console.log('| step | CPU µs per message, median | spread over rounds | wall µs, median | spread |');
console.log('| --- | ---: | --- | ---: | --- |');
console.log(measure('checkMessage, all built-in filters on', (text, i) =>
  filters.checkMessage(text, { sender: `addr-${i % 1000}`, chat: `chat-${i % 5000}`, chatMessages: i % 10, chatStartedAt: now, now: now + (i % 60_000) }).ok));
console.log(measure('normalizeText only', (text) => normalizeText(text).length));
console.log(measure('containsLink (on normalised text)', (text) => containsLink(text.toLowerCase())));
console.log(measure('findContact (on normalised text)', (text) => findContact(text.toLowerCase())));
console.log(measure('WordList.find, 500 words (on normalised text)', (text) => wordList.find(text.toLowerCase())));
console.log(`\n(checksum ${sink}) load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
