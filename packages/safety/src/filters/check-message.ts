import type { FilterSettings } from '../config.js';
import type { FilterName, SafetyMetrics } from '../metrics.js';
import { findContact } from './contacts.js';
import { containsLink } from './links.js';
import { normalizeText } from './normalize.js';
import { RepeatTracker } from './repeats.js';
import { WordList, wordTokens } from './words.js';

export interface MessageContext {
  /** Who sends: the client address hash (repeats are counted per sender, across its chats). */
  sender: string;
  chat: string;
  /** Messages already in this chat, both directions, before this one (the next `seq` − 1). */
  chatMessages: number;
  /** When the chat was paired (ms). */
  chatStartedAt: number;
  now: number;
}

export type CheckResult =
  | { ok: true; repeatedTo: number }
  | { ok: false; filter: Exclude<FilterName, 'hook'>; reason: string; repeatedTo: number };

/**
 * The content filters a message passes before it is stored and delivered, in one call.
 * `repeatedTo` (distinct chats this sender sent this text to lately, 0 if too short to count)
 * is reported whatever the verdict, for the abuse score. Refused → `error` `blocked` with the
 * frame's `id`; `reason` is safe to show (it never quotes the text).
 */
export class MessageFilters {
  private readonly words: WordList;
  private readonly repeats: RepeatTracker;

  constructor(
    private readonly settings: FilterSettings,
    private readonly metrics?: Pick<SafetyMetrics, 'messagesBlocked'>,
  ) {
    this.words = new WordList(settings.words);
    this.repeats = new RepeatTracker(settings.repeat);
  }

  checkMessage(text: string, context: MessageContext): CheckResult {
    const normalized = normalizeText(text);
    // One tokenisation serves the word list and the repeat fingerprint; short texts need neither.
    const tokens = this.words.size > 0 || normalized.length >= this.settings.repeat.minLength ? wordTokens(normalized) : undefined;
    const repeatedTo = tokens === undefined ? 0 : this.repeats.record(context.sender, context.chat, tokens.join(''), context.now);
    const refusal = this.firstRefusal(normalized, tokens, context, repeatedTo);
    if (refusal === undefined) return { ok: true, repeatedTo };
    this.metrics?.messagesBlocked.inc({ filter: refusal.filter });
    return { ok: false, ...refusal, repeatedTo };
  }

  /** A chat is young while it has fewer than K messages or is younger than T (0 turns that limit off). */
  isYoung(context: MessageContext): boolean {
    const { youngMessages, youngMs } = this.settings.contacts;
    return context.chatMessages < youngMessages || context.now - context.chatStartedAt < youngMs;
  }

  /** Contacts before links: an e-mail address is a contact detail, even though it holds a domain. */
  private firstRefusal(normalized: string, tokens: string[] | undefined, context: MessageContext, repeatedTo: number): { filter: Exclude<FilterName, 'hook'>; reason: string } | undefined {
    const { links, contacts, repeat } = this.settings;
    if (tokens !== undefined && this.words.findInTokens(tokens) !== undefined) {
      return { filter: 'words', reason: 'this message contains a word that is not allowed here' };
    }
    if (contacts.mode === 'block' && this.isYoung(context)) {
      const kind = findContact(normalized);
      if (kind !== undefined) {
        return { filter: 'contacts', reason: `${kind === 'email' ? 'e-mail addresses' : 'phone numbers'} are not allowed at the start of a chat` };
      }
    }
    if (links === 'block' && containsLink(normalized)) return { filter: 'links', reason: 'links are not allowed here' };
    if (repeat.mode === 'block' && repeatedTo >= repeat.partners) {
      return { filter: 'repeat', reason: 'the same message was sent to too many people' };
    }
    return undefined;
  }
}
