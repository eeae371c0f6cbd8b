import * as z from 'zod/mini';

/**
 * The start screen's click-through (issue 20): `terms.json` next to index.html, so a
 * deployment changes the text without a rebuild (replace the file in WEB_DIR). When it
 * cannot be read, the text written in index.html stays.
 */
const termsSchema = z.object({
  /** Shown above the age choice and the "I agree" box; newlines start new lines. */
  text: z.string().check(z.minLength(1), z.maxLength(4000)),
  /** A page with the full terms, linked below the text. */
  termsUrl: z.nullish(z.url({ protocol: /^https?$/ })),
  /** False for an adults-only deployment: the "under 18" choice is not offered. */
  allowMinors: z._default(z.boolean(), true),
});
export type Terms = z.output<typeof termsSchema>;

export interface TermsView {
  text: HTMLElement;
  link: HTMLElement;
  linkAnchor: HTMLAnchorElement;
  minorChoice: HTMLElement;
  adult: HTMLInputElement;
}

export async function loadTerms(view: TermsView): Promise<void> {
  let terms: Terms;
  try {
    const response = await fetch(new URL('terms.json', document.baseURI));
    if (!response.ok) return;
    terms = termsSchema.parse(await response.json());
  } catch {
    return; // keep the built-in text
  }
  view.text.textContent = terms.text;
  view.link.hidden = !terms.termsUrl;
  if (terms.termsUrl) view.linkAnchor.href = terms.termsUrl;
  view.minorChoice.hidden = !terms.allowMinors;
  if (!terms.allowMinors) view.adult.checked = true;
}
