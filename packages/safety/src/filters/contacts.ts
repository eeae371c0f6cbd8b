import { fuzzyLinkTlds } from './links.js';

const tldAlternation = fuzzyLinkTlds.join('|');

/** Local parts start at a word boundary (the lookbehind), which keeps the scan linear. `name@example.com`, also `name @ example . com` and `name(at)example[dot]com`. */
const emailWithAt = /(?<![a-z0-9._%+-])[a-z0-9._%+-]+\s*(?:@|[[({]\s*at\s*[\])}])\s*[a-z0-9-]+(?:\s*(?:\.|[[({]\s*dot\s*[\])}]|\s+dot\s+)\s*[a-z0-9-]+)*\s*(?:\.|[[({]\s*dot\s*[\])}]|\s+dot\s+)\s*[a-z]{2,}\b/;
/** `name at gmail dot com`: spelled out, so only before a known TLD ("I'm at home" stays prose). */
const emailSpelled = new RegExp(`(?<![a-z0-9._%+-])[a-z0-9._%+-]+\\s+at\\s+[a-z0-9-]+\\s*(?:\\.|\\s+dot\\s+)\\s*(?:${tldAlternation})\\b`);

/**
 * A phone number: 7–15 digits, optionally led by `+`, with at most two separators (space,
 * dot, dash, slash, brackets) between digits: `+44 20 7946 0958`, `555.123.4567`, `(555) 123-4567`.
 */
const phoneCandidate = /(?:\+\s*)?\d(?:[\s.\-/()]{0,2}\d){6,14}/g;
/** Digit runs that are not phone numbers: dates (`2024-12-01`, `01.12.2024`) and IPv4 addresses (the link filter's). */
const notAPhone = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3})$/;

function containsPhone(normalized: string): boolean {
  // Cheap exit: a phone needs seven digits somewhere.
  let digits = 0;
  for (let i = 0; i < normalized.length && digits < 7; i++) {
    const code = normalized.charCodeAt(i);
    if (code >= 48 && code <= 57) digits += 1;
  }
  if (digits < 7) return false;
  for (const match of normalized.matchAll(phoneCandidate)) {
    const candidate = match[0].trim();
    if (!notAPhone.test(candidate)) return true;
  }
  return false;
}

function containsEmail(normalized: string): boolean {
  if (normalized.includes('@') || normalized.includes('at')) {
    return emailWithAt.test(normalized) || emailSpelled.test(normalized);
  }
  return false;
}

export type ContactKind = 'email' | 'phone';

/** Which contact detail the (normalised) text carries, if any. */
export function findContact(normalized: string): ContactKind | undefined {
  if (containsEmail(normalized)) return 'email';
  if (containsPhone(normalized)) return 'phone';
  return undefined;
}
