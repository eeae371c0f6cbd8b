import confusables from 'unhomoglyph/data.json' with { type: 'json' };

/**
 * Look-alikes the confusables data leaves non-ASCII or misses: dots that split a domain
 * (`example。com`, `example·com`) — a filter must read them as the dot they imitate.
 */
const extraFolds: Record<string, string> = {
  '\u00b7': '.', // middle dot
  '\u02f3': '.', // modifier low ring (what the data maps 。 to)
  '\u3002': '.', // ideographic full stop
  '\uff0e': '.', // fullwidth full stop (NFKD also does)
  '\uff61': '.', // halfwidth ideographic full stop
  '\u2024': '.', // one dot leader
  '\u043c': 'm', // Cyrillic em
  '\u043a': 'k', // Cyrillic ka
};
// Small capitals (ᴇxᴀᴍᴘʟᴇ): look-alikes of lower-case letters, missing from the data.
for (const [smallCap, letter] of [...'ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ'].map((char, i) => [char, 'abcdefghijklmnoprstuvwyz'[i]!] as const)) {
  extraFolds[smallCap] = letter;
}

/**
 * Non-ASCII code point → lower-case ASCII look-alike, from Unicode's confusables (the
 * `unhomoglyph` package's data): Cyrillic `а`, Greek `ο`, `ı`, mathematical letters… Entries
 * that map ASCII to ASCII (`0`→`O`, `m`→`rn`) are left out on purpose: digits and letters
 * typed as themselves must stay what they are.
 */
const foldTable: Map<string, string> = buildFoldTable(confusables as Record<string, string>);

function buildFoldTable(data: Record<string, string>): Map<string, string> {
  const table = new Map<string, string>();
  const resolve = (target: string): string | undefined => {
    let value = target;
    // One more hop: the data maps some dots to `·`, which extraFolds maps on.
    if (!isAscii(value)) value = [...value].map((char) => extraFolds[char] ?? data[char] ?? char).join('');
    return isAscii(value) ? value.toLowerCase() : undefined;
  };
  for (const [from, to] of Object.entries(data)) {
    if ([...from].length !== 1 || isAscii(from)) continue;
    const folded = resolve(to);
    if (folded !== undefined) table.set(from, folded);
  }
  for (const [from, to] of Object.entries(extraFolds)) table.set(from, to);
  return table;
}

// eslint-disable-next-line no-control-regex
const printableAscii = /^[\x20-\x7e]*$/;
function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text);
}

/** Combining marks (accents after NFKD) and format characters (zero-width joiners, soft hyphens, bidi controls). */
const marksAndFormat = /[\p{Mn}\p{Me}\p{Cf}]/gu;

/**
 * The text the filters read (never what is delivered): lower case; for non-ASCII text also
 * NFKD (fullwidth `ｅｘａｍｐｌｅ．ｃｏｍ` → ASCII, ligatures split), accents and invisible
 * characters dropped, and look-alike letters folded to ASCII. Plain ASCII, the common case,
 * costs one regex test and `toLowerCase`.
 */
export function normalizeText(text: string): string {
  if (printableAscii.test(text)) return text.toLowerCase();
  const decomposed = text.normalize('NFKD').toLowerCase().replace(marksAndFormat, '');
  let folded = '';
  for (const char of decomposed) folded += foldTable.get(char) ?? char;
  return folded;
}
