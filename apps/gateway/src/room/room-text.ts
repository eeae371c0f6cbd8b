/**
 * C0 and C1 controls (CR, LF, TAB, ESC, NUL, DEL, NEL, CSI…) and the Unicode line and
 * paragraph separators: removed, so a room line is relayed as one line (PROTOCOL.md v1.1
 * §2). With ESC gone no terminal sequence (CSI, OSC) can start; with CR/LF gone nobody can
 * forge a `… left the chat` line.
 */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function stripControls(text: string): string {
  return text.replace(CONTROLS, '');
}
