import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import {
  containsLink,
  fingerprint,
  findContact,
  MessageFilters,
  normalizeText,
  parseWordList,
  registerSafetyMetrics,
  RepeatTracker,
  WordList,
  type FilterSettings,
  type MessageContext,
} from '../src/index.js';

const allBlocking: FilterSettings = {
  links: 'block',
  contacts: { mode: 'block', youngMessages: 10, youngMs: 120_000 },
  words: parseWordList('# test list\nhate\nass\nkill yourself\nspamword  # trailing comment\n\n'),
  repeat: { mode: 'block', partners: 3, windowMs: 600_000, minLength: 16, maxEntries: 1000 },
};

let chatCounter = 0;
/** A fresh, young chat for each call unless told otherwise. */
const context = (overrides: Partial<MessageContext> = {}): MessageContext => ({
  sender: 'addr-1',
  chat: `chat-${++chatCounter}`,
  chatMessages: 0,
  chatStartedAt: 1_000_000,
  now: 1_000_500,
  ...overrides,
});

/** Ordinary chat that every filter must let through, young chat and all. */
const ordinary = [
  'hi',
  'hey, how are you?',
  'I like 3.5 stars',
  'see you at 10.30',
  'e.g. this',
  'i.e. that one',
  'my email is down lol',
  'call me maybe',
  '2024',
  'born in 1999, now 25',
  'I am 180 cm and 75 kg',
  'it costs $4.99 or 5,50 €',
  'version 1.2.3 is out',
  'meet at 10:30 on 2024-12-01',
  'the 01.12.2024 was fun',
  'ok. so what do you do?',
  'wait...what',
  'what are you up to at the moment',
  'I am at home now',
  'that is so classy, assistant',
  'do you like music',
  'Привет, как дела?',
  'こんにちは、元気ですか',
  'cool 😎 see ya',
  'hmm/ok',
  'either/or',
  'w/e',
  'a dot on the map',
  'score was 3 - 2',
  'I have 2 cats and 3 dogs',
  'hi.my name is Sam', // a missing space after a full stop is not a link
  'nice.to meet you',
  'ok.me too',
  'yes.it is',
];

type Case = [text: string, filter: 'links' | 'contacts' | 'words'];
const blocked: Case[] = [
  // links, with and without a scheme
  ['go to https://example.org now', 'links'],
  ['http://spam.example', 'links'],
  ['//cdn.example.net/x.js', 'links'],
  ['visit example.com/x', 'links'],
  ['example.com', 'links'],
  ['www.x.y', 'links'],
  ['see www.spam.biz for more', 'links'],
  ['my site: cool-site.xyz', 'links'],
  ['find me on spam.io', 'links'],
  ['a weird.zz/path link', 'links'],
  ['t.me/spamchannel', 'links'],
  ['bit.ly/abc', 'links'],
  ['http://192.168.0.1:8080', 'links'],
  // obfuscated
  ['example[.]com', 'links'],
  ['example (dot) com', 'links'],
  ['example dot com', 'links'],
  ['example . com', 'links'],
  ['EXAMPLE.COM', 'links'],
  // unicode look-alikes
  ['ｅｘａｍｐｌｅ．ｃｏｍ', 'links'], // fullwidth letters and dot
  ['exаmple.com', 'links'], // Cyrillic а
  ['ехамрlе.соm', 'links'], // mostly Cyrillic
  ['example。com', 'links'], // ideographic full stop
  ['example·com', 'links'], // middle dot
  ['ex\u200bample.com', 'links'], // zero-width space inside
  ['𝐞𝐱𝐚𝐦𝐩𝐥𝐞.𝐜𝐨𝐦', 'links'], // mathematical bold
  ['ᴇxᴀᴍᴘʟᴇ.com', 'links'], // small capitals
  // contact details in a young chat
  ['write me: someone@mail.example', 'contacts'],
  ['someone @ gmail . com', 'contacts'],
  ['someone(at)gmail(dot)com', 'contacts'],
  ['someone at gmail dot com', 'contacts'],
  ['ｓｏｍｅｏｎｅ＠ｇｍａｉｌ．ｃｏｍ', 'contacts'],
  ['call 555 123 4567', 'contacts'],
  ['+44 20 7946 0958', 'contacts'],
  ['555.123.4567', 'contacts'],
  ['(555) 123-4567', 'contacts'],
  ['my number 0 1 7 6 1 2 3 4 5 6 7', 'contacts'],
  ['０１７６１２３４５６７', 'contacts'], // fullwidth digits
  // the word list: whole words, any case, look-alikes
  ['I hate this', 'words'],
  ['HATE', 'words'],
  ['h4te', 'words'],
  ['you are an A$$', 'words'],
  ['аss', 'words'], // Cyrillic а
  ['just kill yourself', 'words'],
  ['spamword!', 'words'],
];

describe('MessageFilters.checkMessage', () => {
  const filters = new MessageFilters(allBlocking);

  for (const text of ordinary) {
    test(`lets through: ${JSON.stringify(text)}`, () => {
      const result = filters.checkMessage(text, context());
      assert.ok(result.ok, `refused by ${!result.ok ? result.filter : ''}`);
    });
  }

  for (const [text, filter] of blocked) {
    test(`${filter} refuses: ${JSON.stringify(text)}`, () => {
      const result = filters.checkMessage(text, context());
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.filter === filter, `filter was ${!result.ok ? result.filter : 'none'}`);
      assert.ok(!result.ok && !result.reason.includes(text), 'the reason never quotes the text');
    });
  }

  test('contact details are allowed once the chat is neither young by count nor by age', () => {
    const old = { chatMessages: 10, chatStartedAt: 0, now: 200_000 };
    assert.equal(filters.checkMessage('call 555 123 4567', context(old)).ok, true);
    assert.equal(filters.checkMessage('someone@mail.example', context(old)).ok, true);
    // Young by count alone, or by age alone, is still young.
    assert.equal(filters.checkMessage('call 555 123 4567', context({ ...old, chatMessages: 3 })).ok, false);
    assert.equal(filters.checkMessage('call 555 123 4567', context({ ...old, now: 60_000 })).ok, false);
  });

  test('the same long text to many partners is refused from the Nth chat, short openers never', () => {
    const spam = 'Check out my profile for free pics, add me there!';
    const sender = 'spammer';
    const results = [1, 2, 3, 4].map((i) => filters.checkMessage(spam, context({ sender, chat: `spam-${i}` })));
    assert.deepEqual(results.map((r) => r.repeatedTo), [1, 2, 3, 3]);
    assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.filter)), ['ok', 'ok', 'repeat', 'repeat']);
    // Variation in case and punctuation is the same text.
    const variant = filters.checkMessage('CHECK out my profile for free pics... add me there', context({ sender, chat: 'spam-5' }));
    assert.ok(!variant.ok && variant.filter === 'repeat');
    // Another sender is not affected; "hi" to everyone is fine.
    assert.equal(filters.checkMessage(spam, context({ sender: 'someone-else' })).ok, true);
    for (let i = 0; i < 10; i++) assert.deepEqual(filters.checkMessage('hi there', context({ sender })), { ok: true, repeatedTo: 0 });
  });

  test('every filter can be turned off', () => {
    const open = new MessageFilters({
      links: 'allow',
      contacts: { ...allBlocking.contacts, mode: 'allow' },
      words: [],
      repeat: { ...allBlocking.repeat, mode: 'allow' },
    });
    for (const [text] of blocked) assert.equal(open.checkMessage(text, context()).ok, true, text);
    const spam = 'Check out my profile for free pics, add me there!';
    const results = [1, 2, 3, 4].map((i) => open.checkMessage(spam, context({ sender: 's', chat: `c${i}` })));
    assert.ok(results.every((r) => r.ok));
    // Still counted, for the abuse score.
    assert.equal(results[3]!.repeatedTo, 3);
  });

  test('refusals are counted per filter on the registry', async () => {
    const registry = new Registry();
    const counted = new MessageFilters(allBlocking, registerSafetyMetrics(registry));
    counted.checkMessage('example.com', context());
    counted.checkMessage('example dot com', context());
    counted.checkMessage('HATE', context());
    counted.checkMessage('hello', context());
    const metric = await registry.getSingleMetric('strangers_safety_messages_blocked_total')!.get();
    const byFilter = Object.fromEntries(metric.values.map((v) => [v.labels.filter, v.value]));
    assert.deepEqual(byFilter, { links: 2, words: 1 });
  });
});

describe('building blocks', () => {
  test('normalizeText folds width, look-alikes, accents and invisible characters', () => {
    assert.equal(normalizeText('ＨＥＬＬＯ'), 'hello');
    assert.equal(normalizeText('Ρаypаl'), 'paypal'); // Greek Ρ, Cyrillic а
    assert.equal(normalizeText('café'), 'cafe');
    assert.equal(normalizeText('a\u200db\u00adc'), 'abc');
    assert.equal(normalizeText('Plain ASCII 123'), 'plain ascii 123');
  });

  test('containsLink and findContact read normalised text', () => {
    assert.equal(containsLink(normalizeText('exаmple.com')), true);
    assert.equal(containsLink('hi.my name is'), false);
    assert.equal(findContact('555-123-4567'), 'phone');
    assert.equal(findContact('a@b.co'), 'email');
    assert.equal(findContact('12.12.2024'), undefined);
  });

  test('WordList matches whole words and phrases only', () => {
    const list = new WordList(['ass', 'kill yourself']);
    assert.equal(list.find(normalizeText('class assistant bass')), undefined);
    assert.equal(list.find(normalizeText('kill time')), undefined);
    assert.equal(list.find(normalizeText('K1LL  YOURSELF')), 'kiii yourseif');
    assert.equal(new WordList([]).find('anything'), undefined);
  });

  test('RepeatTracker forgets chats outside its window and stays within its bound', () => {
    const tracker = new RepeatTracker({ partners: 3, windowMs: 1000, minLength: 4, maxEntries: 2 });
    const same = fingerprint(normalizeText('Same text!'));
    assert.equal(same, 'sametext');
    assert.equal(tracker.record('s', 'c1', same, 0), 1);
    assert.equal(tracker.record('s', 'c2', same, 500), 2);
    assert.equal(tracker.record('s', 'c2', same, 600), 2, 'the same chat counts once');
    assert.equal(tracker.record('s', 'c3', same, 1400), 2, 'c1 fell out of the window');
    assert.equal(tracker.record('s', 'c4', same, 1500), 3);
    assert.equal(tracker.record('s', 'c5', same, 1500), 3, 'never more than `partners` kept');
    assert.equal(tracker.record('s', 'c1', 'abc', 0), 0, 'too short to count');
    tracker.record('s', 'c1', 'othertext', 0);
    tracker.record('s', 'c1', 'thirdtext', 0);
    assert.equal(tracker.size, 2);
  });
});
