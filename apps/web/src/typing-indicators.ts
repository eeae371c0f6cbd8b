import type { StrangerClient } from '@strangers/client';

/** Stop showing "typing" if the partner's "stopped typing" never comes (e.g. they lost connection). */
const PARTNER_TYPING_TIMEOUT_MS = 8000;
/** Tell the partner we stopped typing after this much silence. */
const OWN_TYPING_IDLE_MS = 3000;

/**
 * Both "typing" signals of a chat, each with a timer of its own: the partner's indicator
 * (hidden after a while, since a lost connection never says "stopped"), and ours, sent on the
 * first keystroke and withdrawn after a silence or when the message goes.
 */
export class TypingIndicators {
  private partnerTimer: number | undefined;
  private ownTimer: number | undefined;
  private ownTyping = false;

  constructor(
    private readonly client: StrangerClient,
    private readonly indicator: HTMLElement,
    private readonly input: HTMLTextAreaElement,
  ) {}

  showPartner(typing: boolean): void {
    window.clearTimeout(this.partnerTimer);
    this.indicator.hidden = !typing;
    if (typing) this.partnerTimer = window.setTimeout(() => this.showPartner(false), PARTNER_TYPING_TIMEOUT_MS);
  }

  /** The composer's text changed: we are typing, until a silence says otherwise. */
  onInput(): void {
    if (!this.ownTyping && this.input.value.length > 0) {
      void this.client.typing(true);
      this.ownTyping = true;
    }
    window.clearTimeout(this.ownTimer);
    this.ownTimer = window.setTimeout(() => this.stopOwn(), OWN_TYPING_IDLE_MS);
  }

  stopOwn(): void {
    window.clearTimeout(this.ownTimer);
    if (this.ownTyping) void this.client.typing(false);
    this.ownTyping = false;
  }
}
