/** How long Next stays armed ("Really?") for the confirming click or second Escape. */
export const CONFIRM_MS = 3000;

/**
 * Next asks for a confirmation (issue 20): the first click or Escape turns the button into
 * "Really?" for 3 s; a second one within that time moves on. One slip of a key never ends
 * a conversation.
 */
export class NextConfirm {
  private armedTimer: number | undefined;

  constructor(
    private readonly label: HTMLElement,
    private readonly help: HTMLElement,
    private readonly confirmed: () => void,
  ) {}

  get armed(): boolean {
    return this.armedTimer !== undefined;
  }

  /** A click on Next or an Escape: arms, or confirms when armed. */
  press(how: 'click' | 'escape'): void {
    if (this.armed) {
      this.reset();
      this.confirmed();
      return;
    }
    this.label.textContent = 'Really?';
    this.help.textContent = how === 'escape' ? 'Press Escape again to find someone new.' : 'Click again to find someone new.';
    this.armedTimer = window.setTimeout(() => this.reset(), CONFIRM_MS);
  }

  reset(): void {
    window.clearTimeout(this.armedTimer);
    this.armedTimer = undefined;
    this.label.textContent = 'Next';
    this.help.textContent = 'Press twice to find someone new.';
  }
}
