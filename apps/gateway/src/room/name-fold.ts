import unhomoglyph from 'unhomoglyph';

/**
 * The form two room names are compared in: two names that read alike are one name. The
 * Unicode confusables skeleton (unhomoglyph: `I`/`1` → `l`, `0` → `O`, `m` → `rn`), case
 * folded, skeleton again (a lower-case letter may have one: `M` → `m` → `rn`), and `i` → `l`
 * (case folding makes `I` ≈ `i`, the skeleton `I` ≈ `l`: one class). So `alice`/`aIice`,
 * `mallory`/`rnallory` and `BOB`/`B0B` fold alike.
 */
export function foldRoomName(name: string): string {
  return unhomoglyph(unhomoglyph(name).toLowerCase()).replace(/i/g, 'l');
}

/** Names nobody may take: they would pass for the service speaking. Compared folded. */
const RESERVED = ['system', 'admin', 'administrator', 'moderator', 'mod', 'server', 'root', 'staff', 'support', 'official', 'strangers'];
const RESERVED_FOLDED = new Set(RESERVED.map(foldRoomName));

export function isReservedRoomName(name: string): boolean {
  return RESERVED_FOLDED.has(foldRoomName(name));
}
