// The language choice of the start screen: sent as `join.lang` (PROTOCOL.md §1, v1.1).

/** Offered in the list, besides the browser's own language. ISO 639-1. */
const COMMON = ['ar', 'bn', 'de', 'en', 'es', 'fa', 'fr', 'hi', 'id', 'it', 'ja', 'ko', 'nl', 'pl', 'pt', 'ru', 'sv', 'th', 'tr', 'uk', 'vi', 'zh'];
export const ANY_LANGUAGE = 'any';

/** The primary subtag of the browser's language (`pt-BR` → `pt`), if it is an ISO 639-1 code. */
export function browserLanguage(languages: readonly string[] = navigator.languages ?? [navigator.language]): string | undefined {
  for (const tag of languages) {
    const primary = tag.split('-')[0]?.toLowerCase() ?? '';
    if (/^[a-z]{2}$/.test(primary)) return primary;
  }
  return undefined;
}

/** Fills the select, each language named in itself, with the browser's preselected (or a saved choice). */
export function fillLanguages(select: HTMLSelectElement, saved?: string): void {
  const own = browserLanguage();
  const codes = [...new Set([...(own ? [own] : []), ...COMMON])].sort();
  const any = new Option('Any language', ANY_LANGUAGE);
  select.append(any);
  for (const code of codes) {
    let name = code;
    try {
      name = new Intl.DisplayNames([code], { type: 'language' }).of(code) ?? code;
    } catch {
      // an engine without that locale: the code itself
    }
    select.append(new Option(`${name} (${code})`, code));
  }
  select.value = saved && (saved === ANY_LANGUAGE || codes.includes(saved)) ? saved : (own ?? ANY_LANGUAGE);
}

/** `join.lang` for the choice: none for "any". */
export function chosenLanguages(select: HTMLSelectElement): string[] | undefined {
  return select.value === ANY_LANGUAGE ? undefined : [select.value];
}
