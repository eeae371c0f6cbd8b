import type { StrangerClient } from '@strangers/client';

/** The server's rematch window (PROTOCOL.md §1, default 60 s). */
export const REMATCH_WINDOW_MS = 60_000;

/**
 * "Reconnect" (issue 20): offered for a minute after a chat ends by `next` or `left`, on
 * either side; a click sends `rematch` with the ended chat's id. Once both strangers have
 * asked, the server pairs them again (`paired` with `rematch: true`).
 */
export class RematchOffer {
  private chat: string | undefined;
  private timer: number | undefined;

  constructor(
    private readonly client: StrangerClient,
    private readonly button: HTMLButtonElement,
    private readonly say: (text: string) => void,
  ) {
    button.addEventListener('click', () => this.ask());
  }

  /** A chat ended in a way that allows a rematch: offer it for the window. */
  offer(chat: string | undefined): void {
    if (chat === undefined) return;
    this.chat = chat;
    this.button.hidden = false;
    this.button.disabled = false;
    this.button.textContent = 'Reconnect';
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.withdraw(), REMATCH_WINDOW_MS);
  }

  /** The stranger of the ended chat asked to reconnect. */
  offered(chat: string): void {
    this.say('The stranger wants to reconnect.');
    this.offer(chat);
  }

  /** Paired again (with anyone), or the window passed. */
  withdraw(): void {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    this.chat = undefined;
    this.button.hidden = true;
  }

  private ask(): void {
    const chat = this.chat;
    if (chat === undefined) return;
    this.client.rematch(chat).then(
      () => {
        this.button.disabled = true;
        this.button.textContent = 'Asked to reconnect';
        this.say('You asked the stranger to reconnect.');
      },
      (error: unknown) => this.say(`Could not ask to reconnect: ${error instanceof Error ? error.message : 'refused'}`),
    );
  }
}
