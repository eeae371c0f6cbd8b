/**
 * Text limits are in characters (code points), not UTF-16 units: an emoji is one character.
 * Shared by the `/ws` decoder and the shared room.
 */

/** Counts code points without allocating. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** True when `text` has more than `max` code points; counted only when its UTF-16 length is over. */
export function isLongerThan(text: string, max: number): boolean {
  return text.length > max && codePointLength(text) > max;
}
