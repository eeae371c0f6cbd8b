import { normalizeText } from './normalize.js';

/**
 * Digits and symbols typed for letters (`h4te`, `$pam`, `k1ll`). Folded on both sides — the
 * word list and the text — so `l`, `1` and `i` all read as `i`: a list entry
 * `kill` matches `k1ll`, `ki11` and `kiII`. Only for matching; never shown to anyone.
 */
const leetFolds: Record<string, string> = { '0': 'o', '1': 'i', l: 'i', '3': 'e', '4': 'a', '@': 'a', '5': 's', $: 's', '7': 't', '8': 'b' };
const leetChars = /[01l34@5$78]/g;
const nonWord = /[^\p{L}\p{N}]+/u;

/** The tokens the word filter compares: of `normalizeText` output, leet-folded, split on anything but letters and digits. */
export function wordTokens(normalized: string): string[] {
  return normalized
    .replace(leetChars, (char) => leetFolds[char]!)
    .split(nonWord)
    .filter((token) => token !== '');
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
    const tokens = wordTokens(normalized);
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
