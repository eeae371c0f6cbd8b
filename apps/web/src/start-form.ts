import type { JoinOptions } from '@strangers/client';
import { chosenLanguages } from './language.js';
import { ui } from './ui.js';

const MAX_INTERESTS = 10;

export function parseInterests(raw: string): string[] {
  const tags = raw
    .split(',')
    .map((tag) => tag.trim().toLowerCase())
    .filter((tag) => tag.length > 0)
    .map((tag) => tag.slice(0, 32));
  return [...new Set(tags)].slice(0, MAX_INTERESTS);
}

/**
 * The `join` the start form asks for. Its `required` fields (the age choice, "I agree")
 * are enforced by the browser before the form submits.
 */
export function readStartForm(): JoinOptions {
  const lang = chosenLanguages(ui.lang);
  return {
    interests: parseInterests(ui.interests.value),
    requeue: ui.requeue.checked,
    adult: ui.terms.adult.checked,
    ...(lang ? { lang } : {}),
  };
}
