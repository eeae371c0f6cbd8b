/**
 * The message box's keyboard: on a desktop Enter sends and Shift+Enter starts a new line; on
 * a touch device (coarse pointer) Enter is a new line, as on-screen keyboards expect, and the
 * Send button sends. Never while an IME is composing (Enter then confirms the composition).
 * The placeholder is shortened when the long one would not fit the box.
 */
const LONG_PLACEHOLDER = 'Type a message, Enter to send';
const SHORT_PLACEHOLDER = 'Message';

export function touchTyping(): boolean {
  return window.matchMedia('(pointer: coarse)').matches;
}

/** Wires the box; `composing()` tells whether an IME is composing in it right now (for other keys' guards). */
export function wireComposer(textarea: HTMLTextAreaElement, form: HTMLFormElement, help: HTMLElement): { composing(): boolean } {
  let composing = false;
  textarea.addEventListener('compositionstart', () => (composing = true));
  textarea.addEventListener('compositionend', () => (composing = false));
  textarea.addEventListener('keydown', function onComposerKeydown(event: KeyboardEvent) {
    // keyCode 229: Safari reports the Enter that ends a composition this way.
    if (event.key !== 'Enter' || event.shiftKey || composing || event.isComposing || event.keyCode === 229) return;
    if (touchTyping()) return; // a new line
    event.preventDefault();
    form.requestSubmit();
  });
  const fit = (): void => fitPlaceholder(textarea, help);
  window.addEventListener('resize', fit);
  window.matchMedia('(pointer: coarse)').addEventListener('change', fit);
  new ResizeObserver(fit).observe(textarea);
  fit();
  return { composing: () => composing };
}

function fitPlaceholder(textarea: HTMLTextAreaElement, help: HTMLElement): void {
  const touch = touchTyping();
  help.textContent = touch
    ? 'Enter starts a new line; the Send button sends. Escape twice finds someone else.'
    : 'Enter sends, Shift+Enter starts a new line, Escape twice finds someone else.';
  const style = getComputedStyle(textarea);
  const room = textarea.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const context = document.createElement('canvas').getContext('2d');
  let fits = !touch;
  if (context && fits) {
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    fits = context.measureText(LONG_PLACEHOLDER).width <= room;
  }
  textarea.placeholder = fits ? LONG_PLACEHOLDER : SHORT_PLACEHOLDER;
}
