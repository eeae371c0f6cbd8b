import { MediaKind, type ClientFrame } from '@strangers/protocol';
import { StrangerClientError } from './errors.js';
import type { JoinOptions } from './types.js';

const MEDIA_KINDS: ReadonlySet<string> = new Set(Object.values(MediaKind));
const LANGUAGE = /^[a-z]{2}$/i;

function bad(message: string): StrangerClientError {
  return new StrangerClientError('invalid_argument', message);
}

/** The `join` frame for `options` (PROTOCOL.md §1), or why the options are refused locally. */
export function joinFrame(options: JoinOptions): ClientFrame | StrangerClientError {
  const { interests, requeue, lang, adult, media, proof } = options;
  if (interests !== undefined && (!Array.isArray(interests) || interests.some((tag) => typeof tag !== 'string'))) {
    return bad('interests must be an array of strings');
  }
  if (requeue !== undefined && typeof requeue !== 'boolean') return bad('requeue must be a boolean');
  if (lang !== undefined && (!Array.isArray(lang) || lang.length > 3 || lang.some((code) => typeof code !== 'string' || !LANGUAGE.test(code)))) {
    return bad('lang must be up to 3 ISO 639-1 codes (two letters)');
  }
  if (adult !== undefined && typeof adult !== 'boolean') return bad('adult must be a boolean');
  if (media !== undefined && !MEDIA_KINDS.has(media)) return bad('media must be text, audio or video');
  if (proof !== undefined && (typeof proof !== 'string' || proof.length === 0)) return bad('proof must be a non-empty string');
  const frame: ClientFrame = { type: 'join' };
  if (interests) frame.interests = interests;
  if (requeue !== undefined) frame.requeue = requeue;
  if (lang) frame.lang = lang.map((code) => code.toLowerCase());
  if (adult !== undefined) frame.adult = adult;
  if (media !== undefined) frame.media = media;
  if (proof !== undefined) frame.proof = proof;
  return frame;
}
