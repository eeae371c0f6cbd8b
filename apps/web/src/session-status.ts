import type { StrangerClient } from '@strangers/client';
import { ui } from './ui.js';

/**
 * What the page shows of the connection and the session: the screen, the status line, the
 * connection banner, the online count, and which controls are enabled. One place reads the
 * client's state for all of them, so every event handler shows the same thing.
 */
export class SessionStatus {
  constructor(private readonly client: StrangerClient) {}

  showOnline(count: number): void {
    ui.online.textContent = count === 1 ? '1 person online' : `${count} people online`;
  }

  showScreen(screen: 'start' | 'chat'): void {
    ui.startScreen.hidden = screen !== 'start';
    ui.chatScreen.hidden = screen !== 'chat';
  }

  /** Enables exactly the controls that make sense in the current session state. */
  syncControls(): void {
    const client = this.client;
    const open = client.status === 'open';
    const paired = open && client.state === 'paired';
    ui.message.disabled = !paired;
    ui.send.disabled = !paired;
    ui.next.disabled = !paired;
    ui.report.disabled = !paired;
    ui.leave.disabled = !open || client.state === 'idle';
    ui.startButton.disabled = !open;
    ui.reconnect.disabled = !open || client.state === 'paired';
  }

  /** The connection banner: shown while the connection is down, or when the session ended for good. */
  showBanner(text: string | undefined): void {
    ui.banner.hidden = text === undefined;
    ui.banner.textContent = text ?? '';
  }

  setStatus(text: string, offerNewChat = false): void {
    ui.status.textContent = text;
    ui.newChat.hidden = !offerNewChat;
    this.syncControls();
  }

  /** The status line for the session's current state. */
  statusForState(): void {
    const client = this.client;
    if (client.state === 'paired') {
      const shared = client.interests;
      this.setStatus(shared.length > 0 ? `Chatting with a stranger. You both like: ${shared.join(', ')}` : 'Chatting with a stranger');
    } else if (client.state === 'waiting') {
      this.setStatus(`Looking for someone… (${client.online} online)`);
    } else {
      this.setStatus('Not in a chat', true);
    }
  }
}
