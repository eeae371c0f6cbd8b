import { normalizeText } from './normalize.js';

/**
 * Digits and symbols typed for letters (`h4te`, `$pam`, `k1ll`). Folded on both sides — the
 * word list and the text — so `l`, `1` and `i` all read as `i`: a list entry `kill` matches
 * `k1ll`, `ki11` and `kiII`. Only for matching; never shown to anyone.
 */
const leetFolds: Record<string, string> = { '0': 'o', '1': 'i', l: 'i', '3': 'e', '4': 'a', '@': 'a', '5': 's', $: 's', '7': 't', '8': 'b' };

/** ASCII code → the character it counts as inside a word ('' = a separator). */
const asciiWordChar: string[] = Array.from({ length: 128 }, (_, code) => {
  const char = String.fromCharCode(code).toLowerCase();
  if (leetFolds[char] !== undefined) return leetFolds[char];
  return /[a-z0-9]/.test(char) ? char : '';
});
const wordCodePoint = /^[\p{L}\p{N}]$/u;

/**
 * The tokens the word filter compares, from `normalizeText` output: runs of letters and digits,
 * leet-folded. One pass, slicing the input where no fold is needed (the usual case).
 */
export function wordTokens(normalized: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  let needsFold = false;
  let i = 0;
  while (i <= normalized.length) {
    const code = i < normalized.length ? normalized.charCodeAt(i) : 32;
    let width = 1;
    let isWord: boolean;
    if (code < 128) {
      const char = asciiWordChar[code]!;
      isWord = char !== '';
      if (isWord && char.charCodeAt(0) !== code) needsFold = true;
    } else {
      const point = normalized.codePointAt(i)!;
      width = point > 0xffff ? 2 : 1;
      isWord = wordCodePoint.test(String.fromCodePoint(point));
    }
    if (isWord && start < 0) start = i;
    if (!isWord && start >= 0) {
      tokens.push(needsFold ? foldToken(normalized, start, i) : normalized.slice(start, i));
      start = -1;
      needsFold = false;
    }
    i += width;
  }
  return tokens;
}

function foldToken(text: string, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    out += code < 128 ? asciiWordChar[code]! : text[i]!;
  }
  return out;
}

/**
 * Whole words and phrases from a list (FILTER_WORDS_FILE), case-insensitive and look-alike
 * folded: `ass` refuses `A$$` and `аss` (Cyrillic а) but not `class` or `assistant`.
 */
export class WordList {
  private readonly words = new Set<string>();
  /** First token of each phrase → the phrases' token lists. */
  private readonly phrases = new Map<string, string[][]>();
  readonly size: number;

  constructor(entries: readonly string[]) {
    let size = 0;
    for (const entry of entries) {
      const tokens = wordTokens(normalizeText(entry));
      if (tokens.length > 0) size += 1;
      if (tokens.length === 1) this.words.add(tokens[0]!);
      else if (tokens.length > 1) {
        const list = this.phrases.get(tokens[0]!) ?? [];
        list.push(tokens);
        this.phrases.set(tokens[0]!, list);
      }
    }
    this.size = size;
  }

  /** The first listed word or phrase in `normalized` (`normalizeText` output), as listed (folded), or undefined. */
  find(normalized: string): string | undefined {
    if (this.size === 0) return undefined;
    return this.findInTokens(wordTokens(normalized));
  }

  /** The same, on `wordTokens` output. */
  findInTokens(tokens: readonly string[]): string | undefined {
    if (this.size === 0) return undefined;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (this.words.has(token)) return token;
      const phrases = this.phrases.get(token);
      if (phrases === undefined) continue;
      for (const phrase of phrases) {
        if (phrase.every((part, j) => tokens[i + j] === part)) return phrase.join(' ');
      }
    }
    return undefined;
  }
}
