import type { KeptApart } from './kept-apart.js';

/** Age group as the join said it: `adult: true`, `adult: false`, or not said. */
export type AgeGroup = 'adult' | 'minor' | 'unknown';
/** What a chat carries (PROTOCOL.md §4); `text` when the join did not say. */
export type MediaKind = 'text' | 'audio' | 'video';

/** What the pairing rules read of a waiting session. */
export interface MatchProfile {
  sid: string;
  /** Its client address was reported often: it only meets other flagged sessions. */
  flagged: boolean;
  age: AgeGroup;
  media: MediaKind;
  /** ISO 639-1 codes; empty: no preference. */
  lang: string[];
  /** Only a session sharing one of `lang` will do, however long it waits. */
  langStrict: boolean;
  interests: string[];
  enqueuedAt: number;
}

/** How long the preferences hold before a session takes anyone (MatchingSettings). */
export interface Widening {
  interestFallbackMs: number;
  langFallbackMs: number;
}

/**
 * The rules of who may meet, all here; every one holds both ways.
 *
 * Hard constraints, never relaxed: different sessions, not kept apart (a `next` cool-down or
 * a report block), equally flagged, the same age group (adult, minor, unknown: an unknown age
 * only meets unknown), the same media kind, and for a strict session a shared language.
 *
 * Preferences that widen with waiting: a shared language, or both "open" on language (no
 * language named, or waited `langFallbackMs`, and not strict); and a shared interest, or both
 * open on interests (none named, or waited `interestFallbackMs`). Among the sessions a
 * session may meet it takes one sharing a language first, then one sharing an interest, then
 * the longest waiting (PairingQueue.findPartner; the model test states the same order).
 *
 * A new dimension: a field on WaitingSession (and the join event), its test here, and, if it
 * splits the queue into groups that never meet, a part of `groupKey` so findPartner only
 * scans the joiner's group. test/pairing.test.ts's model states the same rules.
 */
export function hardCompatible(x: MatchProfile, y: MatchProfile, apart: KeptApart, now: number): boolean {
  return (
    x.sid !== y.sid &&
    groupKey(x) === groupKey(y) &&
    (!(x.langStrict || y.langStrict) || sharesAny(x.lang, y.lang)) &&
    !apart.has(x.sid, y.sid, now)
  );
}

/** Both constraints and preferences hold now: the two may be paired. */
export function mayPair(x: MatchProfile, y: MatchProfile, apart: KeptApart, now: number, widening: Widening): boolean {
  return (
    hardCompatible(x, y, apart, now) &&
    (sharesAny(x.lang, y.lang) || (languageOpen(x, now, widening) && languageOpen(y, now, widening))) &&
    (sharesAny(x.interests, y.interests) || (interestsOpen(x, now, widening) && interestsOpen(y, now, widening)))
  );
}

/** Sessions that can never meet have different keys: the queue is split by it. */
export function groupKey(profile: Pick<MatchProfile, 'media' | 'age' | 'flagged'>): string {
  return `${profile.media}|${profile.age}|${profile.flagged ? 1 : 0}`;
}

export function languageOpen(profile: MatchProfile, now: number, widening: Widening): boolean {
  return !profile.langStrict && (profile.lang.length === 0 || now - profile.enqueuedAt >= widening.langFallbackMs);
}

export function interestsOpen(profile: MatchProfile, now: number, widening: Widening): boolean {
  return profile.interests.length === 0 || now - profile.enqueuedAt >= widening.interestFallbackMs;
}

export function sharesAny(first: readonly string[], second: readonly string[]): boolean {
  if (first.length === 0 || second.length === 0) return false;
  for (const item of first) if (second.includes(item)) return true;
  return false;
}

/** The items both named, in the order of the first list. */
export function shared(first: readonly string[], second: readonly string[]): string[] {
  if (first.length === 0 || second.length === 0) return [];
  return first.filter((item) => second.includes(item));
}
