import { LinkifyIt } from 'linkify-it';

/**
 * Top-level domains a link without a scheme may end in. linkify-it's default accepts every
 * two-letter country code, which in chat reads a missing space after a full stop as a link
 * ("hi.my name is", "ok.so", "yes.it is"): so the country codes here are only those sold
 * as generic names and seen in spam. A link with a scheme (`http://`, `//`) or `www.` is
 * a link whatever it ends in.
 */
export const fuzzyLinkTlds: readonly string[] = [
  // generic
  'com', 'net', 'org', 'info', 'biz', 'xyz', 'online', 'site', 'website', 'top', 'club', 'live', 'link', 'click',
  'store', 'shop', 'tech', 'app', 'dev', 'fun', 'icu', 'vip', 'win', 'pro', 'page', 'space', 'life', 'world',
  'today', 'chat', 'social', 'dating', 'sex', 'xxx', 'porn', 'adult', 'cam', 'webcam', 'tube', 'video', 'onion',
  'edu', 'gov',
  // country codes used as generic names, or common in spam; not those that are English words
  // a sentence often runs into ("nice.to meet", "ok.me too", "join.us", "i.d"): those still
  // count with a path (`t.me/x`) or `www.`
  'io', 'co', 'tv', 'gg', 'ly', 'cc', 'ws', 'sh', 'gl', 'ai', 'su', 'tk', 'ml', 'ga', 'cf', 'gq',
  'uk', 'ru', 'de', 'fr', 'nl', 'pl', 'br', 'cn', 'jp', 'eu', 'au', 'ua', 'kz', 'vn',
];

const tldAlternation = fuzzyLinkTlds.join('|');
/** `example[.]com`, `example (dot) com`, `example{.}com`, `example <dot> com`. */
const bracketedDot = /\s*[[({<]\s*(?:\.|dot)\s*[\])}>]\s*/g;
/**
 * `example dot com`, `example . com`, `example .com` — only before a known TLD, and not
 * `ok. so` (a space after the dot only is how sentences end).
 */
const spelledOrSpacedDot = new RegExp(`(?<=[a-z0-9])(?:\\s+dot\\s+|\\s+\\.\\s*)(?=(?:${tldAlternation})\\b)`, 'g');
/** `www.x.y` is a link even with an unknown ending. */
const wwwHost = /(?:^|[^a-z0-9])www\d{0,3}\.[a-z0-9-]+/;
/** `name.tld/path`, whatever the ending, as long as both parts are words (not `3.5/5`). */
const hostWithPath = /(?:^|[^a-z0-9.])[a-z0-9-]*[a-z][a-z0-9-]*\.[a-z]{2,}\/[^\s]/;

/**
 * What every link linkify-it can find has (a known TLD after a dot, `//`, `www.`, `mailto:`):
 * a cheap test first, because its full search is the costliest step of all the filters.
 */
const linkifyPretest = new RegExp(`\\.(?:${tldAlternation})(?![a-z0-9-])|//|www\\d{0,3}\\.|mailto:`);

const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: false, fuzzyIP: false }).tlds([...fuzzyLinkTlds]);

/** Undoes the usual ways of hiding a dot in a domain; expects `normalizeText` output. */
export function revealDots(normalized: string): string {
  if (!normalized.includes('dot') && !/[[({<]|\s\./.test(normalized)) return normalized;
  return normalized.replace(bracketedDot, '.').replace(spelledOrSpacedDot, '.');
}

/** True when the (normalised) text carries a link, with or without a scheme, obfuscated or not. */
export function containsLink(normalized: string): boolean {
  // Every link form below needs a dot, a colon (`http:`) or a slash (`//host`).
  if (!normalized.includes('.') && !normalized.includes('dot') && !normalized.includes(':') && !normalized.includes('/')) return false;
  const text = revealDots(normalized);
  return (linkifyPretest.test(text) && linkify.test(text)) || wwwHost.test(text) || hostWithPath.test(text);
}
